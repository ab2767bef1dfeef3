#include "bdb/ownership_group.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <db_cxx.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "bdb/db_error.h"
#include "bdb/group_committer.h"
#include "idl/records.capnp.h"

namespace triad::bdb {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;

constexpr std::string_view kMetaTable = "_meta";
// How often a transaction that lost a deadlock is retried before the caller
// is told Conflict.
constexpr int kConflictRetries = 20;
constexpr std::string_view kCommitMarkKey = "commit";
constexpr std::string_view kSequenceKey = "ids";
// Sequences are reserved this many at a time (WriteTxn::nextSequence).
constexpr uint64_t kSequenceBlock = 1024;

// The end of the sequence block the current transaction reserved, if any:
// it becomes usable once that transaction commits. Write callbacks run on the
// committing thread, so the commit path finds it here.
thread_local uint64_t tReservedThrough = 0;

// Set by the committing thread around a commit; Berkeley DB fires
// DB_EVENT_REP_PERM_FAILED on that same thread when the commit was not
// acknowledged in time (repmgr's send path runs in the committer).
thread_local bool* tPermFailed = nullptr;

uint32_t toMicros(std::chrono::milliseconds ms) {
  return static_cast<uint32_t>(duration_cast<microseconds>(ms).count());
}

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int toDbAckPolicy(AckPolicy policy) {
  switch (policy) {
    case AckPolicy::kOne:
      return DB_REPMGR_ACKS_ONE;
    case AckPolicy::kAllAvailable:
      return DB_REPMGR_ACKS_ALL_AVAILABLE;
    case AckPolicy::kNone:
      return DB_REPMGR_ACKS_NONE;
  }
  return DB_REPMGR_ACKS_ONE;
}

struct DbEnvCloser {
  void operator()(DbEnv* env) const {
    env->close(0);
    delete env;
  }
};

struct DbCloser {
  void operator()(Db* db) const {
    db->close(0);
    delete db;
  }
};

}  // namespace

std::string_view roleName(ReplicationRole role) {
  switch (role) {
    case ReplicationRole::kMaster:
      return "master";
    case ReplicationRole::kClient:
      return "client";
    case ReplicationRole::kJoining:
      return "joining";
    case ReplicationRole::kInitialising:
      return "initialising";
  }
  return "unknown";
}

ReplicaLag lagBehind(const ReplicationStatus& owner, const ReplicationStatus& replica) {
  ReplicaLag lag;
  if (replica.commit.sequence >= owner.commit.sequence) return lag;
  lag.commits = owner.commit.sequence - replica.commit.sequence;
  lag.time = std::chrono::nanoseconds(
      std::max<int64_t>(0, owner.commit.committedAtNanos - replica.commit.committedAtNanos));
  return lag;
}

std::optional<AckPolicy> parseAckPolicy(std::string_view text) {
  if (text == "one") return AckPolicy::kOne;
  if (text == "all-available") return AckPolicy::kAllAvailable;
  if (text == "none") return AckPolicy::kNone;
  return std::nullopt;
}

class OwnershipGroupImpl {
 public:
  explicit OwnershipGroupImpl(GroupOptions options)
      : options_(std::move(options)), owner_(options_.localSite == options_.group) {}

  ~OwnershipGroupImpl() { close(); }

  Status open();
  void close();

  Status write(WriteFn fn);
  Status get(std::string_view table, const Key& key, Value* value);
  Status scan(std::string_view table, std::string_view fromKey, const VisitFn& visit);
  // One pass of a scan; returns Berkeley DB's code, a decoding failure in *status.
  int scanOnce(Db* db, std::string_view fromKey, const VisitFn& visit, bool* visited,
               Status* status);
  Status putIn(DbTxn* txn, std::string_view table, const Key& key, capnp::MessageBuilder& message);
  Status getIn(DbTxn* txn, std::string_view table, const Key& key, Value* value);
  Status removeIn(DbTxn* txn, std::string_view table, const Key& key);
  Status nextSequenceIn(DbTxn* txn, uint64_t* sequence);
  uint64_t lastSequence();
  // After a commit: the reservation the transaction wrote is usable.
  void reservationCommitted();
  CommitPosition commitPosition();
  Lsn lsn();
  ReplicationStatus status();
  Status checkpointAndArchive();
  size_t connectedPeers();
  // Commits a small write and reports whether a replica acknowledged it.
  Status probeReplication();

  const GroupOptions& options() const { return options_; }
  bool isOwner() const { return owner_; }
  bool panicked() const { return panicked_; }
  uint64_t unknownSitesRemoved() const { return unknownSitesRemoved_; }
  // DiskFull if the data folder's filesystem is below options_.minFreeBytes.
  Status checkFreeSpace();

 private:
  static void onEvent(DbEnv* env, u_int32_t event, void* info);
  static void onError(const DbEnv* env, const char* prefix, const char* message);
  void log(std::string_view line);

  Status startReplication();
  void joinInBackground();
  Status tableHandle(std::string_view table, Db** db);
  // After a rollback or internal initialisation every open handle of the
  // environment is dead (DB_REP_HANDLE_DEAD); they are reopened on next use.
  void dropAllHandles();
  Status writeDirect(const WriteFn& fn);
  Status writeDirectOnce(const WriteFn& fn);
  void commitBatch(std::span<PendingWrite* const> batch);
  // One attempt; returns true when the batch lost a deadlock and was undone.
  bool commitBatchOnce(std::span<PendingWrite* const> batch);
  Status putCommitMark(DbTxn* txn, uint64_t sequence);
  int beginTxn(DbTxn* parent, DbTxn** txn);
  std::string siteAt(const char* host, u_int port) const;
  Status refusedWrite(int ret, std::string_view what);
  void checkpointLoop();
  // Owner: removes from the group every site the topology does not name, as
  // soon as Berkeley DB reports one added (and on a short period).
  void membershipLoop();
  void removeUnknownSites();

  const GroupOptions options_;
  const bool owner_;
  const std::string errorPrefix_ = "group " + options_.group + " at " + options_.localSite;
  std::unique_ptr<DbEnv, DbEnvCloser> env_;

  std::mutex tablesMutex_;
  std::map<std::string, std::unique_ptr<Db, DbCloser>, std::less<>> tables_;  // guarded

  std::atomic<ReplicationRole> role_{ReplicationRole::kJoining};
  std::atomic<int> masterEid_{DB_EID_INVALID};
  std::atomic<uint64_t> permFailures_{0};
  std::atomic<bool> startupDone_{false};
  std::atomic<bool> panicked_{false};
  std::atomic<uint64_t> unknownSitesRemoved_{0};

  uint64_t nextSequence_ = 1;  // owner only; touched by the committing thread only

  std::mutex sequenceMutex_;
  bool sequenceLoaded_ = false;   // guarded by sequenceMutex_
  uint64_t nextId_ = 1;           // guarded: the next sequence to hand out
  uint64_t reservedThrough_ = 0;  // guarded: the committed reservation

  std::unique_ptr<GroupCommitter> committer_;

  std::mutex stopMutex_;
  std::condition_variable stopCv_;  // guarded by stopMutex_
  bool stopping_ = false;           // guarded by stopMutex_
  bool siteAdded_ = false;          // guarded by stopMutex_
  std::thread joiner_;
  std::thread checkpointer_;
  std::thread membership_;
};

// ---- Opening and closing ----

Status OwnershipGroupImpl::open() {
  std::error_code ec;
  std::filesystem::create_directories(options_.home, ec);
  if (ec) {
    return Status::ioError("cannot create " + options_.home.string() + ": " + ec.message());
  }

  env_.reset(new DbEnv(DB_CXX_NO_EXCEPTIONS));
  DbEnv& env = *env_;
  env.set_app_private(this);
  env.set_errcall(&OwnershipGroupImpl::onError);
  // Berkeley DB keeps the pointer, not a copy: it must outlive the handle.
  env.set_errpfx(errorPrefix_.c_str());
  env.set_event_notify(&OwnershipGroupImpl::onEvent);
  int ret = env.set_cachesize(0, options_.cacheBytes, 1);
  if (ret == 0) ret = env.set_lg_max(options_.logFileBytes);
  // Readers, not the writer, lose a deadlock.
  if (ret == 0) ret = env.set_lk_detect(DB_LOCK_MINWRITE);
  if (ret == 0) ret = env.log_set_config(DB_LOG_AUTO_REMOVE, 1);
  if (ret != 0) return fromDb(ret, "configuring the environment");

  const u_int32_t flags = DB_CREATE | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL | DB_INIT_TXN |
                          DB_INIT_REP | DB_THREAD | DB_RECOVER;
  ret = env.open(options_.home.c_str(), flags, 0600);
  if (ret != 0) return fromDb(ret, "opening the environment at " + options_.home.string());

  if (Status s = startReplication(); !s.isOk()) return s;

  if (owner_) {
    // The owner creates every table now, so clients can open them once the
    // creation has replicated.
    for (const TableSpec& table : options_.tables) {
      Db* db;
      if (Status s = tableHandle(table.name, &db); !s.isOk()) return s;
    }
    Db* meta;
    if (Status s = tableHandle(kMetaTable, &meta); !s.isOk()) return s;
    nextSequence_ = commitPosition().sequence + 1;
    if (options_.groupCommit) {
      committer_ = std::make_unique<GroupCommitter>(
          options_.maxBatch, [this](std::span<PendingWrite* const> batch) { commitBatch(batch); });
    }
    if (options_.checkpointInterval.count() > 0) {
      checkpointer_ = std::thread([this] { checkpointLoop(); });
    }
    membership_ = std::thread([this] { membershipLoop(); });
  }
  return Status::ok();
}

Status OwnershipGroupImpl::startReplication() {
  DbEnv& env = *env_;
  int ret = env.rep_set_priority(owner_ ? 100 : 0);
  // Static master: nobody but the owner may ever become master.
  if (ret == 0) ret = env.rep_set_config(DB_REPMGR_CONF_ELECTIONS, 0);
  // During a lockout (internal initialisation) answer DB_REP_LOCKOUT at once,
  // which readers turn into ReplicaInitialising, instead of sleeping in 5 s
  // steps inside Berkeley DB.
  if (ret == 0) ret = env.rep_set_config(DB_REP_CONF_NOWAIT, 1);
  if (ret == 0 && owner_) ret = env.rep_set_config(DB_REP_CONF_BULK, options_.bulkTransfer);
  if (ret == 0) ret = env.repmgr_set_ack_policy(toDbAckPolicy(options_.ackPolicy));
  if (ret == 0) ret = env.rep_set_timeout(DB_REP_ACK_TIMEOUT, toMicros(options_.ackTimeout));
  if (ret == 0) {
    ret = env.rep_set_timeout(DB_REP_CONNECTION_RETRY, toMicros(options_.connectionRetry));
  }
  if (ret == 0) ret = env.rep_set_timeout(DB_REP_HEARTBEAT_SEND, toMicros(options_.heartbeat));
  if (ret == 0 && !owner_) {
    ret = env.rep_set_timeout(DB_REP_HEARTBEAT_MONITOR, toMicros(options_.heartbeat * 3));
  }
  if (ret != 0) return fromDb(ret, "configuring replication");

  bool sawLocal = false;
  for (const SiteAddress& address : options_.sites) {
    const bool local = address.site == options_.localSite;
    const bool ownerSite = address.site == options_.group;
    // A client needs only the owner as its helper to join; the owner learns
    // every member from their joins (Berkeley DB's group membership database).
    if (!local && !ownerSite) continue;
    DbSite* site = nullptr;
    ret = env.repmgr_site(address.host.c_str(), address.port, &site, 0);
    if (ret != 0) return fromDb(ret, "configuring site " + address.site);
    if (local) {
      sawLocal = true;
      ret = site->set_config(DB_LOCAL_SITE, 1);
      if (ret == 0 && owner_) ret = site->set_config(DB_GROUP_CREATOR, 1);
    } else {
      ret = site->set_config(DB_BOOTSTRAP_HELPER, 1);
    }
    site->close();
    if (ret != 0) return fromDb(ret, "configuring site " + address.site);
  }
  if (!sawLocal) {
    return Status::invalidArgument("site " + options_.localSite + " has no address in group " +
                                   options_.group);
  }

  ret = env.repmgr_start(2, owner_ ? DB_REP_MASTER : DB_REP_CLIENT);
  if (ret == DB_REP_UNAVAIL && !owner_) {
    // The owner is not reachable yet: keep trying without holding up the
    // rest of the site. Reads answer Unavailable meanwhile.
    log("group " + options_.group + ": owner not reachable yet; joining in the background");
    joiner_ = std::thread([this] { joinInBackground(); });
    return Status::ok();
  }
  if (ret != 0) return fromDb(ret, "starting replication");
  if (owner_) role_ = ReplicationRole::kMaster;
  return Status::ok();
}

void OwnershipGroupImpl::joinInBackground() {
  std::unique_lock lock(stopMutex_);
  while (!stopping_) {
    if (stopCv_.wait_for(lock, options_.connectionRetry, [&] { return stopping_; })) return;
    lock.unlock();
    int ret = env_->repmgr_start(2, DB_REP_CLIENT);
    lock.lock();
    if (ret == 0) {
      log("group " + options_.group + ": joined");
      return;
    }
    if (ret != DB_REP_UNAVAIL) {
      log("group " + options_.group + ": cannot join: " + std::string(db_strerror(ret)));
    }
  }
}

void OwnershipGroupImpl::close() {
  {
    std::lock_guard lock(stopMutex_);
    stopping_ = true;
  }
  stopCv_.notify_all();
  if (joiner_.joinable()) joiner_.join();
  if (checkpointer_.joinable()) checkpointer_.join();
  if (membership_.joinable()) membership_.join();
  committer_.reset();  // commits what is queued first
  {
    std::lock_guard lock(tablesMutex_);
    tables_.clear();
  }
  // A client's close can take ~5 s: a repmgr message thread caught in an
  // operation lockout sleeps in fixed 5 s steps (__op_rep_enter) before it
  // sees the stop. Sites close their groups in parallel to bound this.
  env_.reset();
}

// ---- Events and diagnostics ----

void OwnershipGroupImpl::onEvent(DbEnv* env, u_int32_t event, void* info) {
  auto* self = static_cast<OwnershipGroupImpl*>(env->get_app_private());
  switch (event) {
    case DB_EVENT_REP_PERM_FAILED:
      self->permFailures_++;
      if (tPermFailed != nullptr) *tPermFailed = true;
      break;
    case DB_EVENT_REP_MASTER:
      self->role_ = ReplicationRole::kMaster;
      break;
    case DB_EVENT_REP_CLIENT:
      if (self->role_ != ReplicationRole::kClient) self->role_ = ReplicationRole::kJoining;
      break;
    case DB_EVENT_REP_NEWMASTER:
      self->masterEid_ = *static_cast<int*>(info);
      self->log("group " + self->options_.group + ": master known");
      break;
    case DB_EVENT_REP_CONNECT_ESTD:
      self->log("group " + self->options_.group + ": connection established");
      break;
    case DB_EVENT_REP_CONNECT_BROKEN:
      self->log("group " + self->options_.group + ": connection broken");
      break;
    case DB_EVENT_REP_SITE_ADDED:
      self->log("group " + self->options_.group + ": site added");
      if (self->owner_) {
        // Checked on the membership thread: Replication Manager's own calls
        // must not be made from its event callback.
        {
          std::lock_guard lock(self->stopMutex_);
          self->siteAdded_ = true;
        }
        self->stopCv_.notify_all();
      }
      break;
    case DB_EVENT_REP_LOCAL_SITE_REMOVED:
      self->log("group " + self->options_.group + ": local site removed");
      break;
    case DB_EVENT_REP_STARTUPDONE:
      self->startupDone_ = true;
      self->role_ = ReplicationRole::kClient;
      self->log("group " + self->options_.group + ": replica caught up with the owner");
      break;
    case DB_EVENT_REP_INIT_DONE:
      self->log("group " + self->options_.group + ": internal initialisation done");
      break;
    case DB_EVENT_REP_DUPMASTER:
      self->log("group " + self->options_.group + ": another site claims to be master");
      break;
    case DB_EVENT_PANIC:
      self->panicked_ = true;
      self->log("group " + self->options_.group + ": Berkeley DB panic: run recovery");
      break;
    default:
      break;
  }
}

void OwnershipGroupImpl::onError(const DbEnv* env, const char* prefix, const char* message) {
  auto* self = static_cast<OwnershipGroupImpl*>(const_cast<DbEnv*>(env)->get_app_private());
  rememberDbMessage(message);
  if (self != nullptr) {
    self->log(std::string(prefix != nullptr ? prefix : "") + ": " + message);
  }
}

void OwnershipGroupImpl::log(std::string_view line) {
  if (options_.log) options_.log(line);
}

// ---- Tables ----

Status OwnershipGroupImpl::tableHandle(std::string_view table, Db** db) {
  std::lock_guard lock(tablesMutex_);
  if (auto it = tables_.find(table); it != tables_.end()) {
    *db = it->second.get();
    return Status::ok();
  }
  bool known = table == kMetaTable;
  DBTYPE type = DB_BTREE;
  for (const TableSpec& spec : options_.tables) {
    if (spec.name != table) continue;
    known = true;
    if (spec.kind == TableKind::kHashed) type = DB_HASH;
  }
  if (!known) {
    return Status::invalidArgument("group " + options_.group + " has no table '" +
                                   std::string(table) + "'");
  }
  const std::string file = std::string(table) + ".db";
  auto notReplicated = [&] {
    return Status::notFound("table " + std::string(table) + " of group " + options_.group +
                            " has not replicated to " + options_.localSite + " yet");
  };
  // A client answers a table that has not replicated without asking Berkeley
  // DB: its open of a missing file can sleep 5 s when it meets the lockout
  // of an internal initialisation, as every new replica's first join is
  // (docs/decisions.md, "Readers during internal initialisation").
  std::error_code error;
  if (!owner_ && !std::filesystem::exists(options_.home / file, error)) return notReplicated();
  std::unique_ptr<Db, DbCloser> handle(new Db(env_.get(), DB_CXX_NO_EXCEPTIONS));
  // Only the owner creates; a client opens what has replicated to it.
  const u_int32_t flags = DB_THREAD | DB_AUTO_COMMIT | (owner_ ? DB_CREATE : 0);
  // Creating a table can lose a deadlock to replication's own work (a site
  // joining updates the membership database): the victim retries.
  int ret = 0;
  for (int attempt = 0; attempt < kConflictRetries; ++attempt) {
    ret = handle->open(nullptr, file.c_str(), nullptr, type, flags, 0600);
    if (ret != DB_LOCK_DEADLOCK && ret != DB_LOCK_NOTGRANTED) break;
    handle.reset(new Db(env_.get(), DB_CXX_NO_EXCEPTIONS));
    std::this_thread::sleep_for(std::chrono::milliseconds(1 + attempt));
  }
  if (ret == ENOENT) return notReplicated();
  if (ret != 0) return fromDb(ret, "opening table " + std::string(table));
  *db = handle.get();
  tables_.emplace(std::string(table), std::move(handle));
  return Status::ok();
}

void OwnershipGroupImpl::dropAllHandles() {
  std::lock_guard lock(tablesMutex_);
  tables_.clear();
}

// ---- Writes ----

Status OwnershipGroupImpl::refusedWrite(int ret, std::string_view what) {
  if (!owner_) {
    // Berkeley DB refuses writes at a replication client: that, not a check
    // of ours, is what keeps the group single-writer.
    return Status::notOwner("group " + options_.group + " is owned by " + options_.group + "; " +
                            options_.localSite + " holds a read-only replica (" +
                            std::string(what) + " refused by Berkeley DB: " + describeDbError(ret) +
                            ")");
  }
  return fromDb(ret, what);
}

Status OwnershipGroupImpl::putIn(DbTxn* txn, std::string_view table, const Key& key,
                                 capnp::MessageBuilder& message) {
  Db* db;
  Status s = tableHandle(table, &db);
  if (s.code() == Status::Code::kNotFound && !owner_) {
    return Status::notOwner("group " + options_.group + " is owned by " + options_.group + "; " +
                            options_.localSite + " holds a read-only replica");
  }
  if (!s.isOk()) return s;
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  auto bytes = words.asBytes();
  Dbt k(const_cast<char*>(key.bytes().data()), static_cast<u_int32_t>(key.bytes().size()));
  Dbt v(bytes.begin(), static_cast<u_int32_t>(bytes.size()));
  int ret = db->put(txn, &k, &v, 0);
  if (ret != 0) return refusedWrite(ret, "put into " + std::string(table));
  return Status::ok();
}

Status OwnershipGroupImpl::removeIn(DbTxn* txn, std::string_view table, const Key& key) {
  Db* db;
  if (Status s = tableHandle(table, &db); !s.isOk()) return s;
  Dbt k(const_cast<char*>(key.bytes().data()), static_cast<u_int32_t>(key.bytes().size()));
  int ret = db->del(txn, &k, 0);
  if (ret == DB_NOTFOUND) return Status::notFound("no such key");
  if (ret != 0) return refusedWrite(ret, "delete from " + std::string(table));
  return Status::ok();
}

Status OwnershipGroupImpl::getIn(DbTxn* txn, std::string_view table, const Key& key, Value* value) {
  Db* db;
  if (Status s = tableHandle(table, &db); !s.isOk()) return s;
  Dbt k(const_cast<char*>(key.bytes().data()), static_cast<u_int32_t>(key.bytes().size()));
  Dbt v;
  v.set_flags(DB_DBT_MALLOC);
  int ret = db->get(txn, &k, &v, 0);
  if (ret == DB_REP_HANDLE_DEAD && txn == nullptr) {
    dropAllHandles();
    if (Status s = tableHandle(table, &db); !s.isOk()) return s;
    ret = db->get(txn, &k, &v, 0);
  }
  if (ret == DB_NOTFOUND || ret == DB_KEYEMPTY) return Status::notFound("no such key");
  if (ret != 0) return fromDb(ret, "reading " + std::string(table));
  Status s = Value::fromBytes({static_cast<const char*>(v.get_data()), v.get_size()}, value);
  free(v.get_data());
  return s;
}

Status OwnershipGroupImpl::nextSequenceIn(DbTxn* txn, uint64_t* sequence) {
  if (!owner_) return refusedWrite(EACCES, "drawing a sequence number");
  std::lock_guard lock(sequenceMutex_);
  if (!sequenceLoaded_) {
    Value stored;
    Status s = getIn(txn, kMetaTable, Key::of(kSequenceKey), &stored);
    if (!s.isOk() && !s.isNotFound()) return s;
    reservedThrough_ = s.isOk() ? stored.as<idl::Counter>().getValue() : 0;
    nextId_ = reservedThrough_ + 1;
    sequenceLoaded_ = true;
  }
  if (nextId_ > std::max(reservedThrough_, tReservedThrough)) {
    const uint64_t end = nextId_ + kSequenceBlock - 1;
    capnp::MallocMessageBuilder message(8);
    message.initRoot<idl::Counter>().setValue(end);
    if (Status s = putIn(txn, kMetaTable, Key::of(kSequenceKey), message); !s.isOk()) return s;
    tReservedThrough = end;
  }
  *sequence = nextId_++;
  return Status::ok();
}

uint64_t OwnershipGroupImpl::lastSequence() {
  std::lock_guard lock(sequenceMutex_);
  return nextId_ - 1;
}

void OwnershipGroupImpl::reservationCommitted() {
  if (tReservedThrough == 0) return;
  std::lock_guard lock(sequenceMutex_);
  reservedThrough_ = std::max(reservedThrough_, tReservedThrough);
  tReservedThrough = 0;
}

Status OwnershipGroupImpl::putCommitMark(DbTxn* txn, uint64_t sequence) {
  capnp::MallocMessageBuilder message(16);
  auto mark = message.initRoot<idl::CommitMark>();
  mark.setSequence(sequence);
  mark.setCommittedAtNanos(nowNanos());
  mark.setOwner(options_.group);
  return putIn(txn, kMetaTable, Key::of(kCommitMarkKey), message);
}

Status OwnershipGroupImpl::probeReplication() {
  return write([this](WriteTxn& txn) {
    capnp::MallocMessageBuilder message(16);
    auto probe = message.initRoot<idl::CommitMark>();
    probe.setCommittedAtNanos(nowNanos());
    probe.setOwner(options_.localSite);
    return txn.put(kMetaTable, Key::of("probe"), message);
  });
}

size_t OwnershipGroupImpl::connectedPeers() {
  u_int count = 0;
  DB_REPMGR_SITE* sites = nullptr;
  if (env_->repmgr_site_list(&count, &sites) != 0) return 0;
  size_t connected = 0;
  for (u_int i = 0; i < count; ++i) {
    if (sites[i].status == DB_REPMGR_CONNECTED) ++connected;
  }
  free(sites);
  return connected;
}

Status OwnershipGroupImpl::checkFreeSpace() {
  if (!owner_ || options_.minFreeBytes == 0) return Status::ok();
  struct statvfs fs {};
  if (::statvfs(options_.home.c_str(), &fs) != 0) return Status::ok();  // cannot tell: try
  const uint64_t free = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (free >= options_.minFreeBytes) return Status::ok();
  return Status::diskFull("the disk of " + options_.home.string() + " has " +
                          std::to_string(free >> 10) + " KiB free, under the " +
                          std::to_string(options_.minFreeBytes >> 10) +
                          " KiB reserve; nothing was written");
}

int OwnershipGroupImpl::beginTxn(DbTxn* parent, DbTxn** txn) {
  // Replication takes short lockouts at the owner too (a site joining the
  // group updates the membership database); with DB_REP_CONF_NOWAIT they
  // come back as DB_REP_LOCKOUT. A writer waits them out, up to a bound.
  const auto deadline = std::chrono::steady_clock::now() + options_.ackTimeout;
  for (;;) {
    int ret = env_->txn_begin(parent, txn, 0);
    if (ret != DB_REP_LOCKOUT || std::chrono::steady_clock::now() >= deadline) return ret;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

Status OwnershipGroupImpl::write(WriteFn fn) {
  if (committer_) return committer_->submit(std::move(fn));
  return writeDirect(fn);
}

Status OwnershipGroupImpl::writeDirect(const WriteFn& fn) {
  for (int attempt = 0;; ++attempt) {
    Status s = writeDirectOnce(fn);
    if (s.code() != Status::Code::kConflict || attempt + 1 == kConflictRetries) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(1 + attempt));
  }
}

Status OwnershipGroupImpl::writeDirectOnce(const WriteFn& fn) {
  if (owner_ && options_.ackPolicy != AckPolicy::kNone && connectedPeers() == 0) {
    return Status::notReplicated("no replica of group " + options_.group +
                                 " is connected; nothing was written");
  }
  if (Status s = checkFreeSpace(); !s.isOk()) return s;
  DbTxn* txn = nullptr;
  int ret = beginTxn(nullptr, &txn);
  if (ret != 0) return refusedWrite(ret, "beginning a transaction");
  WriteTxn writeTxn(*this, txn);
  tReservedThrough = 0;
  Status s = fn(writeTxn);
  if (!s.isOk()) {
    txn->abort();
    return s;
  }
  bool permFailed = false;
  tPermFailed = &permFailed;
  ret = txn->commit(0);
  tPermFailed = nullptr;
  if (ret != 0) return refusedWrite(ret, "commit");
  reservationCommitted();
  if (permFailed) {
    return Status::notReplicated("committed at " + options_.localSite +
                                 " but no replica acknowledged within " +
                                 std::to_string(options_.ackTimeout.count()) + " ms");
  }
  return Status::ok();
}

void OwnershipGroupImpl::commitBatch(std::span<PendingWrite* const> batch) {
  // A batch whose transaction lost a deadlock is undone whole and run again:
  // write callbacks only write through their transaction, so running one
  // again is safe (GroupOptions' contract).
  for (int attempt = 0;; ++attempt) {
    for (PendingWrite* write : batch) write->result = Status::ok();
    if (!commitBatchOnce(batch) || attempt + 1 == kConflictRetries) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1 + attempt));
  }
}

bool OwnershipGroupImpl::commitBatchOnce(std::span<PendingWrite* const> batch) {
  auto failAll = [&](const Status& status) {
    for (PendingWrite* write : batch) write->result = status;
    return false;
  };
  if (options_.ackPolicy != AckPolicy::kNone && connectedPeers() == 0) {
    // Refuse rather than accept what would be on one disk only.
    return failAll(Status::notReplicated("no replica of group " + options_.group +
                                         " is connected; nothing was written"));
  }
  if (Status s = checkFreeSpace(); !s.isOk()) return failAll(s);
  DbTxn* parent = nullptr;
  int ret = beginTxn(nullptr, &parent);
  if (ret != 0) return failAll(fromDb(ret, "beginning a transaction"));

  // Each write runs in a child transaction, so one that fails is undone
  // alone and the rest of the batch still commits. One that lost a deadlock
  // sinks the batch instead: the parent holds locks the winner waits for.
  size_t applied = 0;
  tReservedThrough = 0;
  for (PendingWrite* write : batch) {
    const uint64_t reservedBefore = tReservedThrough;
    DbTxn* child = nullptr;
    ret = env_->txn_begin(parent, &child, 0);
    Status s = fromDb(ret, "beginning a nested transaction");
    if (ret == 0) {
      WriteTxn writeTxn(*this, child);
      s = write->fn(writeTxn);
      if (s.isOk()) {
        ret = child->commit(0);
        if (ret != 0) s = fromDb(ret, "committing a nested transaction");
      } else {
        child->abort();
        tReservedThrough = reservedBefore;  // its reservation went with it
      }
    }
    if (s.code() == Status::Code::kConflict) {
      parent->abort();
      failAll(s);
      return true;
    }
    write->result = s;
    if (s.isOk()) ++applied;
  }
  if (applied == 0) {
    parent->abort();
    return false;
  }
  if (Status s = putCommitMark(parent, nextSequence_); !s.isOk()) {
    parent->abort();
    failAll(s);
    return s.code() == Status::Code::kConflict;
  }
  bool permFailed = false;
  tPermFailed = &permFailed;
  ret = parent->commit(0);
  tPermFailed = nullptr;
  Status outcome = Status::ok();
  if (ret != 0) {
    outcome = fromDb(ret, "commit");
  } else {
    ++nextSequence_;
    reservationCommitted();
    if (permFailed) {
      outcome = Status::notReplicated("committed at " + options_.localSite +
                                      " but no replica acknowledged within " +
                                      std::to_string(options_.ackTimeout.count()) + " ms");
    }
  }
  for (PendingWrite* write : batch) {
    if (write->result.isOk()) write->result = outcome;
  }
  return false;
}

// ---- Reads ----

Status OwnershipGroupImpl::get(std::string_view table, const Key& key, Value* value) {
  return getIn(nullptr, table, key, value);
}

Status OwnershipGroupImpl::scan(std::string_view table, std::string_view fromKey,
                                const VisitFn& visit) {
  for (const TableSpec& spec : options_.tables) {
    if (spec.name == table && spec.kind == TableKind::kHashed && !fromKey.empty()) {
      return Status::invalidArgument("table " + std::string(table) +
                                     " is hashed: it is scanned whole, not from a key");
    }
  }
  Db* db;
  Status s = tableHandle(table, &db);
  if (s.isNotFound()) return Status::ok();  // not replicated yet: nothing to visit
  if (!s.isOk()) return s;
  for (int attempt = 0;; ++attempt) {
    bool visited = false;
    int ret = scanOnce(db, fromKey, visit, &visited, &s);
    if (!s.isOk()) return s;
    if (ret == DB_REP_HANDLE_DEAD && !visited && attempt == 0) {
      dropAllHandles();
      if (Status reopened = tableHandle(table, &db); !reopened.isOk()) return reopened;
      continue;
    }
    if (ret != 0 && ret != DB_NOTFOUND) return fromDb(ret, "scanning " + std::string(table));
    return Status::ok();
  }
}

int OwnershipGroupImpl::scanOnce(Db* db, std::string_view fromKey, const VisitFn& visit,
                                 bool* visited, Status* status) {
  Dbc* cursor = nullptr;
  int ret = db->cursor(nullptr, &cursor, 0);
  if (ret != 0) return ret;
  // DB_SET_RANGE replaces the key buffer with the key found: give it one
  // Berkeley DB may reallocate.
  Dbt k;
  k.set_flags(DB_DBT_REALLOC);
  void* start = malloc(fromKey.empty() ? 1 : fromKey.size());
  // An empty view may have a null data(): memcpy from null is undefined.
  if (!fromKey.empty()) memcpy(start, fromKey.data(), fromKey.size());
  k.set_data(start);
  k.set_size(static_cast<u_int32_t>(fromKey.size()));
  Dbt v;
  v.set_flags(DB_DBT_REALLOC);
  ret = cursor->get(&k, &v, fromKey.empty() ? DB_FIRST : DB_SET_RANGE);
  while (ret == 0) {
    Value value;
    *status = Value::fromBytes({static_cast<const char*>(v.get_data()), v.get_size()}, &value);
    if (!status->isOk()) break;
    *visited = true;
    if (!visit({static_cast<const char*>(k.get_data()), k.get_size()}, value)) break;
    ret = cursor->get(&k, &v, DB_NEXT);
  }
  cursor->close();
  free(k.get_data());
  free(v.get_data());
  return ret;
}

CommitPosition OwnershipGroupImpl::commitPosition() {
  Value value;
  if (!get(kMetaTable, Key::of(kCommitMarkKey), &value).isOk()) return {};
  auto mark = value.as<idl::CommitMark>();
  return {mark.getSequence(), mark.getCommittedAtNanos()};
}

Lsn OwnershipGroupImpl::lsn() {
  DB_LOG_STAT* stat = nullptr;
  if (env_->log_stat(&stat, 0) != 0) return {};
  Lsn lsn{stat->st_cur_file, stat->st_cur_offset};
  free(stat);
  return lsn;
}

std::string OwnershipGroupImpl::siteAt(const char* host, u_int port) const {
  for (const SiteAddress& address : options_.sites) {
    if (address.host == host && address.port == port) return address.site;
  }
  return std::string(host) + ":" + std::to_string(port);
}

ReplicationStatus OwnershipGroupImpl::status() {
  ReplicationStatus status;
  status.group = options_.group;
  status.site = options_.localSite;
  status.role = role_;
  status.lsn = lsn();
  status.commit = commitPosition();
  status.permFailures = permFailures_;
  if (owner_) {
    status.master = options_.localSite;
  } else if (int eid = masterEid_; eid != DB_EID_INVALID) {
    DbSite* site = nullptr;
    if (env_->repmgr_site_by_eid(eid, &site) == 0) {
      const char* host = nullptr;
      u_int port = 0;
      if (site->get_address(&host, &port) == 0) status.master = siteAt(host, port);
      site->close();
    }
  }
  u_int count = 0;
  DB_REPMGR_SITE* sites = nullptr;
  if (env_->repmgr_site_list(&count, &sites) == 0) {
    for (u_int i = 0; i < count; ++i) {
      status.peers.push_back(
          {siteAt(sites[i].host, sites[i].port), sites[i].status == DB_REPMGR_CONNECTED});
    }
    free(sites);
  }
  return status;
}

// ---- Maintenance ----

Status OwnershipGroupImpl::checkpointAndArchive() {
  int ret = env_->txn_checkpoint(0, 0, DB_FORCE);
  if (ret == 0) {
    char** removed = nullptr;
    ret = env_->log_archive(&removed, DB_ARCH_REMOVE);
    free(removed);
  }
  return ret == 0 ? Status::ok() : fromDb(ret, "checkpoint");
}

void OwnershipGroupImpl::checkpointLoop() {
  std::unique_lock lock(stopMutex_);
  while (!stopCv_.wait_for(lock, options_.checkpointInterval, [&] { return stopping_; })) {
    lock.unlock();
    if (Status s = checkpointAndArchive(); !s.isOk()) log(s.toString());
    lock.lock();
  }
}

void OwnershipGroupImpl::membershipLoop() {
  std::unique_lock lock(stopMutex_);
  while (!stopping_) {
    stopCv_.wait_for(lock, std::chrono::milliseconds(250), [&] { return stopping_ || siteAdded_; });
    if (stopping_) return;
    siteAdded_ = false;
    lock.unlock();
    removeUnknownSites();
    lock.lock();
  }
}

void OwnershipGroupImpl::removeUnknownSites() {
  u_int count = 0;
  DB_REPMGR_SITE* sites = nullptr;
  if (env_->repmgr_site_list(&count, &sites) != 0) return;
  std::vector<std::pair<std::string, u_int>> unknown;
  for (u_int i = 0; i < count; ++i) {
    bool known = false;
    for (const SiteAddress& address : options_.sites) {
      known = known || (address.host == sites[i].host && address.port == sites[i].port);
    }
    if (!known) unknown.emplace_back(sites[i].host, sites[i].port);
  }
  free(sites);
  for (const auto& [host, port] : unknown) {
    DbSite* site = nullptr;
    int ret = env_->repmgr_site(host.c_str(), port, &site, 0);
    // remove() discards the handle whatever it returns.
    if (ret == 0) ret = site->remove();
    unknownSitesRemoved_++;
    log("group " + options_.group + ": ALARM: refused site " + host + ":" + std::to_string(port) +
        ", which the topology does not name" +
        (ret == 0 ? std::string("; removed from the group")
                  : "; its removal failed: " + std::string(db_strerror(ret))));
  }
}

// ---- Public face ----

OwnershipGroup::OwnershipGroup(std::unique_ptr<OwnershipGroupImpl> impl) : impl_(std::move(impl)) {}
OwnershipGroup::~OwnershipGroup() = default;

Status OwnershipGroup::open(GroupOptions options, std::unique_ptr<OwnershipGroup>* group) {
  auto impl = std::make_unique<OwnershipGroupImpl>(std::move(options));
  if (Status s = impl->open(); !s.isOk()) return s;
  group->reset(new OwnershipGroup(std::move(impl)));
  return Status::ok();
}

const std::string& OwnershipGroup::name() const { return impl_->options().group; }
bool OwnershipGroup::isOwner() const { return impl_->isOwner(); }
bool OwnershipGroup::panicked() const { return impl_->panicked(); }
uint64_t OwnershipGroup::unknownSitesRemoved() const { return impl_->unknownSitesRemoved(); }
Status OwnershipGroup::write(WriteFn fn) { return impl_->write(std::move(fn)); }
Status OwnershipGroup::get(std::string_view table, const Key& key, Value* value) {
  return impl_->get(table, key, value);
}
Status OwnershipGroup::scan(std::string_view table, std::string_view fromKey,
                            const VisitFn& visit) {
  return impl_->scan(table, fromKey, visit);
}
uint64_t OwnershipGroup::lastSequence() const { return impl_->lastSequence(); }
CommitPosition OwnershipGroup::commitPosition() { return impl_->commitPosition(); }
Lsn OwnershipGroup::lsn() { return impl_->lsn(); }
ReplicationStatus OwnershipGroup::status() { return impl_->status(); }
Status OwnershipGroup::checkpointAndArchive() { return impl_->checkpointAndArchive(); }

bool OwnershipGroup::waitForReplicas(size_t count, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // A connection comes up before the replica has synchronised and can
    // acknowledge, so only an acknowledged commit proves it is there.
    if (impl_->connectedPeers() >= count && (!isOwner() || impl_->probeReplication().isOk())) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool OwnershipGroup::waitForCommit(uint64_t sequence, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (commitPosition().sequence < sequence) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

Status WriteTxn::put(std::string_view table, const Key& key, capnp::MessageBuilder& message) {
  return group_.putIn(static_cast<DbTxn*>(txn_), table, key, message);
}
Status WriteTxn::get(std::string_view table, const Key& key, Value* value) {
  return group_.getIn(static_cast<DbTxn*>(txn_), table, key, value);
}
Status WriteTxn::remove(std::string_view table, const Key& key) {
  return group_.removeIn(static_cast<DbTxn*>(txn_), table, key);
}
Status WriteTxn::nextSequence(uint64_t* sequence) {
  return group_.nextSequenceIn(static_cast<DbTxn*>(txn_), sequence);
}

}  // namespace triad::bdb
