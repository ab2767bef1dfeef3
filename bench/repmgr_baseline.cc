#include "bench/repmgr_baseline.h"

#include <capnp/serialize.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <thread>
#include <vector>

namespace triad::bench {
namespace {

using namespace std::chrono_literals;

constexpr const char* kHost = "127.0.0.1";
constexpr int kMessageThreads = 2;  // as Triad's sites ran it
// How often a transaction that lost a deadlock is run again.
constexpr int kConflictRetries = 20;

// Set by a committing thread around its commit: Replication Manager fires
// DB_EVENT_REP_PERM_FAILED on that thread when no replica acknowledged the
// commit in time (its send path runs in the committer).
thread_local bool* tPermFailed = nullptr;

u_int32_t toMicros(std::chrono::milliseconds ms) {
  return static_cast<u_int32_t>(std::chrono::duration_cast<std::chrono::microseconds>(ms).count());
}

}  // namespace

void RepmgrSite::EnvCloser::operator()(DbEnv* env) const {
  env->close(0);
  delete env;
}

void RepmgrSite::DbCloser::operator()(Db* db) const {
  db->close(0);
  delete db;
}

RepmgrSite::RepmgrSite(const BenchSiteConfig& config)
    : config_(config), errorPrefix_("repmgr site " + config.id) {}

bdb::Status RepmgrSite::open(const BenchSiteConfig& config, std::chrono::milliseconds joinTimeout,
                             std::unique_ptr<RepmgrSite>* out) {
  std::unique_ptr<RepmgrSite> site(new RepmgrSite(config));
  if (bdb::Status s = site->start(joinTimeout); !s.isOk()) return s;
  *out = std::move(site);
  return bdb::Status::ok();
}

bdb::Status RepmgrSite::failure(int ret, std::string_view what) const {
  return bdb::Status::ioError(errorPrefix_ + ": " + std::string(what) + ": " + db_strerror(ret));
}

void RepmgrSite::log(std::string_view line) const {
  fprintf(stderr, "[%s] %.*s\n", config_.id.c_str(), static_cast<int>(line.size()), line.data());
}

bdb::Status RepmgrSite::start(std::chrono::milliseconds joinTimeout) {
  std::error_code ec;
  std::filesystem::create_directories(config_.home, ec);
  if (ec) return bdb::Status::ioError("cannot create " + config_.home.string());
  env_.reset(new DbEnv(DB_CXX_NO_EXCEPTIONS));
  DbEnv& env = *env_;
  env.set_app_private(this);
  env.set_errcall(&RepmgrSite::onError);
  env.set_errpfx(errorPrefix_.c_str());  // kept by pointer: errorPrefix_ outlives env_
  env.set_event_notify(&RepmgrSite::onEvent);
  // The same environment settings as an ownership group (bdb/ownership_group.cc).
  int ret = env.set_cachesize(0, 16u << 20, 1);
  if (ret == 0) ret = env.set_lg_max(8u << 20);
  if (ret == 0) ret = env.set_lk_detect(DB_LOCK_MINWRITE);
  if (ret == 0) ret = env.log_set_config(DB_LOG_AUTO_REMOVE, 1);
  if (ret != 0) return failure(ret, "configuring the environment");
  const u_int32_t flags = DB_CREATE | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL | DB_INIT_TXN |
                          DB_INIT_REP | DB_THREAD | DB_RECOVER;
  ret = env.open(config_.home.c_str(), flags, 0600);
  if (ret != 0) return failure(ret, "opening the environment");

  const bool master = config_.master();
  ret = env.rep_set_priority(master ? 100 : 0);
  // Static master: no elections, ever.
  if (ret == 0) ret = env.rep_set_config(DB_REPMGR_CONF_ELECTIONS, 0);
  if (ret == 0) ret = env.repmgr_set_ack_policy(DB_REPMGR_ACKS_ONE);
  if (ret == 0) ret = env.rep_set_timeout(DB_REP_ACK_TIMEOUT, toMicros(config_.ackTimeout));
  if (ret == 0) ret = env.rep_set_timeout(DB_REP_CONNECTION_RETRY, toMicros(500ms));
  if (ret == 0) ret = env.rep_set_timeout(DB_REP_HEARTBEAT_SEND, toMicros(1000ms));
  if (ret == 0 && !master) ret = env.rep_set_timeout(DB_REP_HEARTBEAT_MONITOR, toMicros(3000ms));
  if (ret != 0) return failure(ret, "configuring replication");

  // The local site, and for a client the master as its bootstrap helper:
  // the master learns every member from their joins.
  DbSite* site = nullptr;
  ret = env.repmgr_site(kHost, config_.self().port, &site, 0);
  if (ret != 0) return failure(ret, "configuring the local site");
  ret = site->set_config(DB_LOCAL_SITE, 1);
  if (ret == 0 && master) ret = site->set_config(DB_GROUP_CREATOR, 1);
  site->close();
  if (ret != 0) return failure(ret, "configuring the local site");
  if (!master) {
    ret = env.repmgr_site(kHost, config_.sites.front().port, &site, 0);
    if (ret != 0) return failure(ret, "configuring the master's site");
    ret = site->set_config(DB_BOOTSTRAP_HELPER, 1);
    site->close();
    if (ret != 0) return failure(ret, "configuring the master's site");
  }

  const auto deadline = std::chrono::steady_clock::now() + joinTimeout;
  for (;;) {
    ret = env.repmgr_start(kMessageThreads, master ? DB_REP_MASTER : DB_REP_CLIENT);
    // A client whose master is not reachable yet tries again.
    if (ret != DB_REP_UNAVAIL || master || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(100ms);
  }
  if (ret != 0) return failure(ret, "starting Replication Manager");

  if (master) {
    Db* db = new Db(&env, 0);
    db_.reset(db);
    ret = db->open(nullptr, "orders.db", nullptr, DB_BTREE, DB_CREATE | DB_AUTO_COMMIT | DB_THREAD,
                   0600);
    if (ret != 0) return failure(ret, "creating the table of orders");
  }
  return bdb::Status::ok();
}

bdb::Status RepmgrSite::commit(std::span<OrderRecord> records) {
  std::vector<kj::Array<capnp::word>> values;
  values.reserve(records.size());
  for (OrderRecord& record : records) values.push_back(capnp::messageToFlatArray(record.message));
  for (int attempt = 0;; ++attempt) {
    DbTxn* txn = nullptr;
    int ret = env_->txn_begin(nullptr, &txn, 0);
    if (ret != 0) return failure(ret, "beginning a transaction");
    for (size_t i = 0; i < records.size() && ret == 0; ++i) {
      Dbt key(records[i].id.data(), static_cast<u_int32_t>(records[i].id.size()));
      auto bytes = values[i].asBytes();
      Dbt value(bytes.begin(), static_cast<u_int32_t>(bytes.size()));
      ret = db_->put(txn, &key, &value, 0);
    }
    if (ret != 0) {
      txn->abort();
      if (ret == DB_LOCK_DEADLOCK && attempt + 1 < kConflictRetries) {
        deadlocks_++;
        continue;
      }
      return failure(ret, "put");
    }
    bool permFailed = false;
    tPermFailed = &permFailed;
    ret = txn->commit(0);
    tPermFailed = nullptr;
    if (ret != 0) return failure(ret, "commit");
    transactions_++;
    if (permFailed) {
      return bdb::Status::notReplicated(
          "committed at the master but no replica acknowledged within " +
          std::to_string(config_.ackTimeout.count()) + " ms");
    }
    return bdb::Status::ok();
  }
}

size_t RepmgrSite::connectedReplicas() {
  u_int count = 0;
  DB_REPMGR_SITE* sites = nullptr;
  if (env_->repmgr_site_list(&count, &sites) != 0) return 0;
  size_t connected = 0;
  for (u_int i = 0; i < count; ++i) connected += sites[i].status == DB_REPMGR_CONNECTED ? 1 : 0;
  free(sites);
  return connected;
}

nlohmann::json RepmgrSite::diagnostics() {
  nlohmann::json json = {{"permFailures", permFailures_.load()},
                         {"deadlocksRetried", deadlocks_.load()},
                         {"tcpSocketsWithoutNoDelay", socketsWithoutNoDelay()}};
  DB_REPMGR_STAT* stat = nullptr;
  if (env_->repmgr_stat(&stat, 0) == 0) {
    json["messagesQueued"] = stat->st_msgs_queued;
    json["messagesDropped"] = stat->st_msgs_dropped;
    json["connectionsDropped"] = stat->st_connection_drop;
    json["connectFailures"] = stat->st_connect_fail;
    free(stat);
  }
  return json;
}

int RepmgrSite::socketsWithoutNoDelay() {
  int without = 0;
  DIR* fds = opendir("/proc/self/fd");
  if (fds == nullptr) return -1;
  while (dirent* entry = readdir(fds)) {
    const int fd = atoi(entry->d_name);
    if (entry->d_name[0] == '.' || fd == dirfd(fds)) continue;
    int type = 0;
    socklen_t length = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0 || type != SOCK_STREAM) continue;
    sockaddr_storage address{};
    length = sizeof address;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) continue;
    if (address.ss_family != AF_INET && address.ss_family != AF_INET6) continue;
    int noDelay = 0;
    length = sizeof noDelay;
    if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &noDelay, &length) == 0 && noDelay == 0) {
      ++without;
    }
  }
  closedir(fds);
  return without;
}

void RepmgrSite::onEvent(DbEnv* env, u_int32_t event, void*) {
  auto* self = static_cast<RepmgrSite*>(env->get_app_private());
  switch (event) {
    case DB_EVENT_REP_PERM_FAILED:
      self->permFailures_++;
      if (tPermFailed != nullptr) *tPermFailed = true;
      break;
    case DB_EVENT_REP_STARTUPDONE:
      self->startupDone_ = true;
      if (self->config_.verbose) self->log("caught up with the master");
      break;
    case DB_EVENT_REP_DUPMASTER:
    case DB_EVENT_REP_JOIN_FAILURE:
    case DB_EVENT_PANIC:
      self->log("ALARM: Berkeley DB event " + std::to_string(event));
      break;
    default:
      break;
  }
}

void RepmgrSite::onError(const DbEnv* env, const char* prefix, const char* message) {
  auto* self = static_cast<RepmgrSite*>(const_cast<DbEnv*>(env)->get_app_private());
  if (self != nullptr) self->log(std::string(prefix != nullptr ? prefix : "") + ": " + message);
}

}  // namespace triad::bench
