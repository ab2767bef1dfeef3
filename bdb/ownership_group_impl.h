// The inside of an OwnershipGroup (ownership_group.h): only bdb/ includes
// this. Its parts live in three files: ownership_group.cc (the environment,
// replication and status), group_writes.cc (transactions, group commit,
// durability, sequences) and group_reads.cc (tables, reads and scans).

#pragma once

#include <db_cxx.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>

#include "bdb/ack_tracker.h"
#include "bdb/group_committer.h"
#include "bdb/ownership_group.h"
#include "bdb/replication_transport.h"

namespace triad::bdb {

inline constexpr std::string_view kMetaTable = "_meta";
// How often a transaction that lost a deadlock is retried before the caller
// is told Conflict.
inline constexpr int kConflictRetries = 20;

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

int64_t nowNanos();

class OwnershipGroupImpl final : public ReplicationEndpoint {
 public:
  explicit OwnershipGroupImpl(GroupOptions options);
  ~OwnershipGroupImpl() override { close(); }

  Status open();
  void close();

  // ---- Writes (group_writes.cc) ----
  Status write(WriteFn fn, WriteMode mode);
  Status putIn(DbTxn* txn, std::string_view table, const Key& key, capnp::MessageBuilder& message);
  Status getIn(DbTxn* txn, std::string_view table, const Key& key, Value* value);
  Status scanIn(DbTxn* txn, std::string_view table, std::string_view fromKey, const VisitFn& visit);
  Status removeIn(DbTxn* txn, std::string_view table, const Key& key);
  Status nextSequenceIn(DbTxn* txn, uint64_t* sequence);
  uint64_t lastSequence();
  // Commits a small write and reports whether a replica acknowledged it.
  Status probeReplication();
  Status checkpointAndArchive();

  // ---- Reads (group_reads.cc) ----
  Status get(std::string_view table, const Key& key, Value* value);
  Status scan(std::string_view table, std::string_view fromKey, const VisitFn& visit);

  // ---- Replication and status (ownership_group.cc) ----
  void deliver(std::span<const InboundMessage> messages) override;
  void acknowledged(int fromEid, Lsn lsn) override;
  CommitPosition commitPosition() const;
  Lsn lsn();
  ReplicationStatus status();
  // Owner: the replicas whose connection is up; replica: 1 if the owner's is.
  size_t connectedPeers() const;

  const GroupOptions& options() const { return options_; }
  bool isOwner() const { return owner_; }
  bool panicked() const { return panicked_; }

 private:
  // Berkeley DB's callbacks; env->get_app_private() is the group.
  static int onSend(DbEnv* env, const Dbt* control, const Dbt* record, const DbLsn* lsn, int eid,
                    u_int32_t flags);
  static void onEvent(DbEnv* env, u_int32_t event, void* info);
  static void onError(const DbEnv* env, const char* prefix, const char* message);
  void log(std::string_view line) const;

  Status configure();
  // Announces this site's role to the group (again): the owner as master,
  // a replica as a client looking for its master.
  int announce();
  // The LSN of the last permanent record in this site's log (zero if none).
  Lsn lastPermanentInLog();
  void reached(Lsn lsn);  // this site's position moved to at least lsn
  // Owner: checkpoints on its interval, and re-sends its last log record
  // while a connected replica lags, so that one that missed a message asks.
  void maintenanceLoop();

  // group_reads.cc
  Status tableHandle(std::string_view table, Db** db);
  std::optional<TableKind> tableKind(std::string_view table) const;
  // After a rollback or internal initialisation every open handle of the
  // environment is dead (DB_REP_HANDLE_DEAD); they are reopened on next use.
  void dropAllHandles();
  // One pass of a scan; returns Berkeley DB's code, a decoding failure in *status.
  int scanOnce(Db* db, DbTxn* txn, std::string_view fromKey, const VisitFn& visit, bool* visited,
               Status* status);
  // Runs `read` as a replica reads (group_reads.cc): in a transaction of its
  // own, riding out a short replication lockout while mayRepeat() allows;
  // DB_REP_LOCKOUT when the lockout lasts. The owner runs it without one.
  int readInTxn(const std::function<int(DbTxn*)>& read, const std::function<bool()>& mayRepeat);

  // group_writes.cc
  // Runs fn in one transaction of its own (no group commit).
  Status writeDirect(const WriteFn& fn, WriteMode mode, Lsn* committedAt);
  Status writeDirectOnce(const WriteFn& fn, WriteMode mode, Lsn* committedAt);
  void commitBatch(std::span<PendingWrite* const> batch);
  enum class BatchOutcome { kDone, kConflict, kRerun };
  BatchOutcome commitBatchOnce(std::span<PendingWrite* const> batch, std::vector<bool>* excluded);
  // Refuses (nothing written) when no replica could acknowledge.
  Status replicaAvailable();
  // Commits txn; *committedAt is its commit record's LSN.
  int commitTxn(DbTxn* txn, Lsn* committedAt);
  // Waits until the commit at `lsn` is on this site's disk and acknowledged
  // per the ack policy (a kLocalFirst write does not wait for replicas that
  // are gone or stalled).
  Status awaitDurable(Lsn lsn, WriteMode mode);
  int beginTxn(DbTxn** txn);
  Status refusedWrite(int ret, std::string_view what);
  // DiskFull if the data folder's filesystem is below options_.minFreeBytes.
  Status checkFreeSpace();
  // After a commit: the sequence reservation the transaction wrote is usable.
  void reservationCommitted();

  const GroupOptions options_;
  ReplicationTransport& transport_;
  const bool owner_;
  const std::string localSite_;
  const std::string errorPrefix_;
  std::unique_ptr<DbEnv, DbEnvCloser> env_;
  std::unique_ptr<AckTracker> acks_;  // owner only

  mutable std::mutex tablesMutex_;
  std::map<std::string, std::unique_ptr<Db, DbCloser>, std::less<>> tables_;  // guarded

  std::atomic<ReplicationRole> role_{ReplicationRole::kJoining};
  std::atomic<int> masterEid_{DB_EID_INVALID};
  std::atomic<uint64_t> permFailures_{0};
  std::atomic<uint64_t> commits_{0};
  std::atomic<bool> panicked_{false};
  std::atomic<uint64_t> position_{0};  // packed Lsn: see CommitPosition
  std::atomic<int64_t> positionAtNanos_{0};

  std::mutex sequenceMutex_;
  bool sequenceLoaded_ = false;   // guarded by sequenceMutex_
  uint64_t nextId_ = 1;           // guarded: the next sequence to hand out
  uint64_t reservedThrough_ = 0;  // guarded: the committed reservation

  std::unique_ptr<GroupCommitter> committer_;
  // The commit LSNs of the batches not known to be acknowledged, oldest
  // first; only the batch's leader touches it (one at a time).
  std::deque<Lsn> unacknowledged_;

  std::mutex stopMutex_;
  std::condition_variable stopCv_;  // guarded by stopMutex_
  bool stopping_ = false;           // guarded by stopMutex_
  std::thread maintenance_;         // owner only
  bool attached_ = false;
};

}  // namespace triad::bdb
