// The environment of an ownership group and its replication through the
// Base API (ownership_group.h, DESIGN §2a): opening and closing, Berkeley
// DB's send function and events, delivering what the transport received,
// the owner's maintenance, and status.

#include "bdb/ownership_group.h"

#include <capnp/message.h>

#include <cstring>

#include "bdb/db_error.h"
#include "bdb/ownership_group_impl.h"

namespace triad::bdb {
namespace {

// Set by a committing thread around its commit: Berkeley DB calls the send
// function for the commit record on that thread, with the record's LSN.
thread_local Lsn* tCommitLsn = nullptr;

// Berkeley DB's log record types of the records it sends as permanent
// (dbinc_auto/txn_auto.h: __txn_regop and __txn_ckp), read from the first
// four bytes of a record to find a site's position at open.
constexpr uint32_t kTxnRegop = 10;
constexpr uint32_t kTxnCheckpoint = 11;
// How far back from the end of its log a site looks for that record.
constexpr int kPositionSearchRecords = 10000;

std::string_view bytesOf(const Dbt* dbt) {
  if (dbt == nullptr || dbt->get_size() == 0) return {};
  return {static_cast<const char*>(dbt->get_data()), dbt->get_size()};
}

}  // namespace

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The committing thread's hook into the send function (group_writes.cc).
int commitCapturingLsn(DbTxn* txn, Lsn* committedAt) {
  *committedAt = {};
  tCommitLsn = committedAt;
  const int ret = txn->commit(0);
  tCommitLsn = nullptr;
  return ret;
}

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

std::optional<AckPolicy> parseAckPolicy(std::string_view text) {
  if (text == "one") return AckPolicy::kOne;
  if (text == "all-available") return AckPolicy::kAllAvailable;
  if (text == "none") return AckPolicy::kNone;
  return std::nullopt;
}

OwnershipGroupImpl::OwnershipGroupImpl(GroupOptions options)
    : options_(std::move(options)),
      transport_(*options_.transport),
      owner_(transport_.localEid() == options_.groupEid),
      localSite_(transport_.localSite()),
      errorPrefix_("group " + options_.group + " at " + localSite_) {}

// ---- Opening and closing ----

Status OwnershipGroupImpl::open() {
  std::error_code ec;
  std::filesystem::create_directories(options_.home, ec);
  if (ec) {
    return Status::ioError("cannot create " + options_.home.string() + ": " + ec.message());
  }
  if (Status s = configure(); !s.isOk()) return s;

  const u_int32_t flags = DB_CREATE | DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL | DB_INIT_TXN |
                          DB_INIT_REP | DB_THREAD | DB_RECOVER;
  int ret = env_->open(options_.home.c_str(), flags, 0600);
  if (ret != 0) return fromDb(ret, "opening the environment at " + options_.home.string());
  reached(lastPermanentInLog());

  if (owner_) {
    std::vector<int> replicas;
    for (const TransportPeer& peer : transport_.peers()) replicas.push_back(peer.eid);
    acks_ =
        std::make_unique<AckTracker>(std::move(replicas), options_.ackPolicy, options_.ackTimeout);
  }
  ret = announce();
  if (ret != 0) return fromDb(ret, "starting replication");
  if (owner_) role_ = ReplicationRole::kMaster;
  transport_.attach(options_.groupEid, this);
  attached_ = true;
  // The transport reports only changes: tell the tracker who is up now.
  if (acks_) {
    for (const TransportPeer& peer : transport_.peers()) {
      acks_->peerChanged(peer.eid, peer.connected);
    }
  }

  if (owner_) {
    // The owner creates every table now, so clients can open them once the
    // creation has replicated.
    for (const TableSpec& table : options_.tables) {
      Db* db;
      if (Status s = tableHandle(table.name, &db); !s.isOk()) return s;
    }
    Db* meta;
    if (Status s = tableHandle(kMetaTable, &meta); !s.isOk()) return s;
    if (options_.groupCommit) {
      committer_ = std::make_unique<GroupCommitter>(
          options_.maxBatch, [this](std::span<PendingWrite* const> batch) { commitBatch(batch); });
    }
    maintenance_ = std::thread([this] { maintenanceLoop(); });
  }
  return Status::ok();
}

Status OwnershipGroupImpl::configure() {
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
  // The owner writes its commits to the log without syncing and flushes
  // the log itself (awaitDurable), so that its commit records do not carry
  // REPCTL_FLUSH, which makes every replica fsync per record. A replica
  // does not sync per applied transaction either: deliver() flushes once
  // per delivery, before it acknowledges.
  if (ret == 0) ret = env.set_flags(owner_ ? DB_TXN_WRITE_NOSYNC : DB_TXN_NOSYNC, 1);
  if (ret != 0) return fromDb(ret, "configuring the environment");

  ret = env.rep_set_transport(transport_.localEid(), &OwnershipGroupImpl::onSend);
  // Static master: only the owner could ever win an election, and none is
  // ever held (the Base API holds one only when asked).
  if (ret == 0) ret = env.rep_set_priority(owner_ ? 100 : 0);
  // During a lockout (internal initialisation) answer DB_REP_LOCKOUT at once,
  // which readers turn into ReplicaInitialising, instead of sleeping in 5 s
  // steps inside Berkeley DB.
  if (ret == 0) ret = env.rep_set_config(DB_REP_CONF_NOWAIT, 1);
  // Berkeley DB's master waits 30 s inside every checkpoint by default, so
  // that clients can finish theirs first; replicas here flush on their own
  // and need no such head start.
  if (ret == 0) ret = env.rep_set_timeout(DB_REP_CHECKPOINT_DELAY, 0);
  if (ret != 0) return fromDb(ret, "configuring replication");
  return Status::ok();
}

int OwnershipGroupImpl::announce() {
  Dbt cdata(const_cast<char*>(localSite_.data()), static_cast<u_int32_t>(localSite_.size()));
  return env_->rep_start(&cdata, owner_ ? DB_REP_MASTER : DB_REP_CLIENT);
}

void OwnershipGroupImpl::close() {
  {
    std::lock_guard lock(stopMutex_);
    stopping_ = true;
  }
  stopCv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
  committer_.reset();  // commits what is queued first
  // No delivery may run into a closing environment.
  if (attached_) transport_.detach(options_.groupEid);
  attached_ = false;
  {
    std::lock_guard lock(tablesMutex_);
    tables_.clear();
  }
  env_.reset();
}

Lsn OwnershipGroupImpl::lastPermanentInLog() {
  DbLogc* cursor = nullptr;
  if (env_->log_cursor(&cursor, 0) != 0) return {};
  DbLsn lsn;
  Dbt record;
  Lsn found;
  int ret = cursor->get(&lsn, &record, DB_LAST);
  for (int seen = 0; ret == 0 && seen < kPositionSearchRecords; ++seen) {
    uint32_t type = 0;
    if (record.get_size() >= sizeof type) {
      std::memcpy(&type, record.get_data(), sizeof type);
      if (type == kTxnRegop || type == kTxnCheckpoint) {
        found = {lsn.file, lsn.offset};
        break;
      }
    }
    ret = cursor->get(&lsn, &record, DB_PREV);
  }
  cursor->close(0);
  return found;
}

void OwnershipGroupImpl::reached(Lsn lsn) {
  uint64_t packed = lsn.packed();
  uint64_t current = position_.load();
  while (packed > current && !position_.compare_exchange_weak(current, packed)) {
  }
  if (packed > current) positionAtNanos_ = nowNanos();
}

// ---- Replication ----

int OwnershipGroupImpl::onSend(DbEnv* env, const Dbt* control, const Dbt* record, const DbLsn* lsn,
                               int eid, u_int32_t flags) {
  auto* self = static_cast<OwnershipGroupImpl*>(env->get_app_private());
  if ((flags & DB_REP_PERMANENT) != 0 && lsn != nullptr && tCommitLsn != nullptr) {
    *tCommitLsn = std::max(*tCommitLsn, Lsn{lsn->file, lsn->offset});
  }
  return self->transport_.send(self->options_.groupEid, eid, bytesOf(control), bytesOf(record),
                               flags);
}

void OwnershipGroupImpl::deliver(std::span<const InboundMessage> messages) {
  Lsn applied;  // the highest permanent LSN applied by this delivery
  for (const InboundMessage& message : messages) {
    switch (message.kind) {
      case InboundMessage::Kind::kPeerUp:
        if (acks_) acks_->peerChanged(message.fromEid, true);
        // A site that (re)connects hears who the master is; a replica whose
        // owner (re)connects asks it for what it has missed.
        if (owner_ || message.fromEid == options_.groupEid) {
          if (int ret = announce(); ret != 0) {
            log("group " + options_.group +
                ": announcing this site failed: " + describeDbError(ret));
          }
        }
        break;
      case InboundMessage::Kind::kPeerDown:
        if (acks_) acks_->peerChanged(message.fromEid, false);
        break;
      case InboundMessage::Kind::kBerkeleyDb: {
        Dbt control(const_cast<char*>(message.control.data()),
                    static_cast<u_int32_t>(message.control.size()));
        Dbt record(const_cast<char*>(message.record.data()),
                   static_cast<u_int32_t>(message.record.size()));
        DbLsn permanent{};
        const int ret = env_->rep_process_message(&control, &record, message.fromEid, &permanent);
        switch (ret) {
          case DB_REP_ISPERM:
            applied = std::max(applied, Lsn{permanent.file, permanent.offset});
            break;
          case 0:
          case DB_REP_NOTPERM:  // stored, not applied yet: never acknowledged
          case DB_REP_IGNORE:
          case DB_REP_NEWSITE:
          case DB_REP_HOLDELECTION:  // no elections: the owner is the master
            break;
          case DB_REP_DUPMASTER:
            log("group " + options_.group + ": ALARM: site " + transport_.siteOf(message.fromEid) +
                " claims to be master");
            break;
          case DB_REP_JOIN_FAILURE:
            log("group " + options_.group + ": ALARM: cannot join the owner's log");
            break;
          default:
            log("group " + options_.group + ": a message from " +
                transport_.siteOf(message.fromEid) + " failed: " + describeDbError(ret));
            break;
        }
        break;
      }
    }
  }
  if (applied.isZero() || owner_) return;
  // Everything applied above is in this site's log buffer: one flush makes
  // it durable, and only then is it acknowledged.
  DbLsn through{applied.file, applied.offset};
  if (int ret = env_->log_flush(&through); ret != 0) {
    log("group " + options_.group + ": flushing the replica's log failed: " + describeDbError(ret));
    return;
  }
  reached(applied);
  transport_.sendAck(options_.groupEid, applied);
}

void OwnershipGroupImpl::acknowledged(int fromEid, Lsn lsn) {
  if (acks_) acks_->acknowledged(fromEid, lsn);
}

void OwnershipGroupImpl::maintenanceLoop() {
  using Clock = std::chrono::steady_clock;
  Clock::time_point nextCheckpoint = Clock::now() + options_.checkpointInterval;
  std::map<int, Lsn> lastSeen;  // what each lagging replica had acknowledged last time
  std::unique_lock lock(stopMutex_);
  while (!stopCv_.wait_for(lock, options_.resendInterval, [&] { return stopping_; })) {
    lock.unlock();
    if (options_.checkpointInterval.count() > 0 && Clock::now() >= nextCheckpoint) {
      if (Status s = checkpointAndArchive(); !s.isOk()) log(s.toString());
      nextCheckpoint = Clock::now() + options_.checkpointInterval;
    }
    // A connected replica that acknowledged nothing new since the last look
    // and is behind our last commit may have missed a message: re-sending
    // the last record makes it notice the gap and ask.
    const Lsn last = Lsn::unpacked(position_.load());
    bool resend = false;
    for (const AckTracker::Replica& replica : acks_->replicas()) {
      if (!replica.up || replica.acknowledged >= last) continue;
      resend = resend || lastSeen[replica.eid] == replica.acknowledged;
      lastSeen[replica.eid] = replica.acknowledged;
    }
    if (resend) env_->rep_flush();
    lock.lock();
  }
}

// ---- Events and diagnostics ----

void OwnershipGroupImpl::onEvent(DbEnv* env, u_int32_t event, void* info) {
  auto* self = static_cast<OwnershipGroupImpl*>(env->get_app_private());
  const std::string& group = self->options_.group;
  switch (event) {
    case DB_EVENT_REP_MASTER:
      self->role_ = ReplicationRole::kMaster;
      break;
    case DB_EVENT_REP_CLIENT:
      if (self->role_ != ReplicationRole::kClient) self->role_ = ReplicationRole::kJoining;
      break;
    case DB_EVENT_REP_NEWMASTER: {
      const int eid = *static_cast<int*>(info);
      self->masterEid_ = eid;
      if (eid != self->options_.groupEid) {
        self->log("group " + group + ": ALARM: Berkeley DB names " + self->transport_.siteOf(eid) +
                  " master, not the owner");
      }
      break;
    }
    case DB_EVENT_REP_STARTUPDONE:
      self->role_ = ReplicationRole::kClient;
      self->log("group " + group + ": replica caught up with the owner");
      break;
    case DB_EVENT_REP_INIT_DONE:
      self->log("group " + group + ": internal initialisation done");
      break;
    case DB_EVENT_REP_DUPMASTER:
      self->log("group " + group + ": ALARM: another site claims to be master");
      break;
    case DB_EVENT_REP_JOIN_FAILURE:
      self->log("group " + group + ": ALARM: cannot join the owner's log");
      break;
    case DB_EVENT_PANIC:
      self->panicked_ = true;
      self->log("group " + group + ": Berkeley DB panic: run recovery");
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

void OwnershipGroupImpl::log(std::string_view line) const {
  if (options_.log) options_.log(line);
}

// ---- Status ----

CommitPosition OwnershipGroupImpl::commitPosition() const {
  return {position_.load(), positionAtNanos_.load()};
}

Lsn OwnershipGroupImpl::lsn() {
  DB_LOG_STAT* stat = nullptr;
  if (env_->log_stat(&stat, 0) != 0) return {};
  Lsn lsn{stat->st_cur_file, stat->st_cur_offset};
  free(stat);
  return lsn;
}

size_t OwnershipGroupImpl::connectedPeers() const {
  if (!owner_) return transport_.connected(options_.groupEid) ? 1 : 0;
  size_t connected = 0;
  for (const TransportPeer& peer : transport_.peers()) connected += peer.connected ? 1 : 0;
  return connected;
}

ReplicationStatus OwnershipGroupImpl::status() {
  ReplicationStatus status;
  status.group = options_.group;
  status.site = localSite_;
  status.role = role_;
  status.lsn = lsn();
  status.commit = commitPosition();
  status.commits = commits_;
  status.permFailures = permFailures_;
  if (owner_) {
    status.master = localSite_;
    status.stalled = acks_->stalled();
    for (const AckTracker::Replica& replica : acks_->replicas()) {
      status.peers.push_back({.site = transport_.siteOf(replica.eid),
                              .connected = transport_.connected(replica.eid),
                              .acknowledged = replica.acknowledged,
                              .commitsBehind = replica.commitsBehind,
                              .behind = replica.behind});
    }
  } else {
    if (int eid = masterEid_; eid != DB_EID_INVALID) status.master = transport_.siteOf(eid);
    status.peers.push_back({.site = options_.group,
                            .connected = transport_.connected(options_.groupEid),
                            .acknowledged = {},
                            .commitsBehind = 0,
                            .behind = {}});
  }
  return status;
}

// ---- Public face ----

OwnershipGroup::OwnershipGroup(std::unique_ptr<OwnershipGroupImpl> impl) : impl_(std::move(impl)) {}
OwnershipGroup::~OwnershipGroup() = default;

Status OwnershipGroup::open(GroupOptions options, std::unique_ptr<OwnershipGroup>* group) {
  if (options.transport == nullptr) {
    return Status::invalidArgument("group " + options.group + " has no replication transport");
  }
  auto impl = std::make_unique<OwnershipGroupImpl>(std::move(options));
  if (Status s = impl->open(); !s.isOk()) return s;
  group->reset(new OwnershipGroup(std::move(impl)));
  return Status::ok();
}

const std::string& OwnershipGroup::name() const { return impl_->options().group; }
bool OwnershipGroup::isOwner() const { return impl_->isOwner(); }
bool OwnershipGroup::panicked() const { return impl_->panicked(); }
Status OwnershipGroup::write(WriteFn fn, WriteMode mode) {
  return impl_->write(std::move(fn), mode);
}
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
Status WriteTxn::scan(std::string_view table, std::string_view fromKey, const VisitFn& visit) {
  return group_.scanIn(static_cast<DbTxn*>(txn_), table, fromKey, visit);
}
Status WriteTxn::nextSequence(uint64_t* sequence) {
  return group_.nextSequenceIn(static_cast<DbTxn*>(txn_), sequence);
}

}  // namespace triad::bdb
