// One ownership group (DESIGN §2) as seen from one site: a Berkeley DB
// environment under <data-root>/<group>/, replicated through Berkeley DB's
// Base replication API over the site's ReplicationTransport (DESIGN §2a).
// At the owning site it is the static master and the only place the group
// can be written; at every other site it is a client, which Berkeley DB
// itself keeps read-only.
//
// Durability: the owner commits without syncing (so its commit records ask
// no replica to sync either), then flushes its own log while the replicas
// apply; a replica applies what has arrived, flushes its log once, and
// acknowledges the highest permanent LSN it applied, so an acknowledgement
// means "on that replica's disk". A write is answered once both hold.
//
// Thread-safety: every method may be called from any thread. Writes at the
// owner are gathered into one transaction per batch (group commit),
// committed once, and each caller answered after its own wait for
// durability.

#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bdb/ack_tracker.h"
#include "bdb/key.h"
#include "bdb/lsn.h"
#include "bdb/status.h"
#include "bdb/value.h"

namespace capnp {
class MessageBuilder;
}

namespace triad::bdb {

class ReplicationTransport;

// How a table keeps its records. Ordered tables (B-trees) are visited in key
// order and support prefix scans; hashed tables answer only point reads and
// whole-table scans in no particular order, but Berkeley DB logs a new
// record in one log record instead of two (key and data items), and every
// log record is applied at every replica (docs/storage.md).
enum class TableKind { kOrdered, kHashed };

struct TableSpec {
  std::string name;
  TableKind kind = TableKind::kOrdered;
};

struct GroupOptions {
  std::string group;           // the owning utility's id, also the group's name
  int groupEid = 0;            // the owner's environment id (its topology group index)
  std::filesystem::path home;  // the environment folder, <data-root>/<group>
  ReplicationTransport* transport = nullptr;  // the site's; must outlive the group
  std::vector<TableSpec> tables;              // the tables the group holds; the owner creates them
  AckPolicy ackPolicy = AckPolicy::kOne;
  std::chrono::milliseconds ackTimeout{2000};
  uint32_t cacheBytes = 16u << 20;
  uint32_t logFileBytes = 8u << 20;
  // The owner checkpoints and removes logs no longer needed for recovery this
  // often, so a rejoining replica is not sent the whole history (0: never).
  std::chrono::milliseconds checkpointInterval{std::chrono::seconds(30)};
  // An owner whose replicas have not acknowledged its last commit re-sends
  // its last log record this often, so that a replica that missed a message
  // notices the gap and asks for it (Berkeley DB learns of gaps only from
  // what arrives).
  std::chrono::milliseconds resendInterval{200};
  // Gather concurrent writes into one transaction (group commit). Off only for
  // the benchmark's baseline.
  bool groupCommit = true;
  // The owner refuses writes (DiskFull, nothing written) while the data
  // folder's filesystem has less free space than this: Berkeley DB 5.3
  // panics the environment when a log write fails with ENOSPC, and a
  // panicked environment needs a restart. 0 turns the check off.
  uint64_t minFreeBytes = 4u << 20;
  size_t maxBatch = 512;
  // Batches committed but not yet acknowledged at most (0: no bound). The
  // next batch's leader waits for the oldest, so the writers arriving
  // meanwhile join its batch: fewer, larger transactions. Off by default:
  // measured, it made batches 8x larger but saved no CPU (docs/decisions.md).
  size_t batchesInFlight = 0;
  // Diagnostics (Berkeley DB's own messages, role changes); may be empty.
  std::function<void(std::string_view)> log;
};

enum class ReplicationRole { kMaster, kClient, kJoining, kInitialising };
std::string_view roleName(ReplicationRole role);

// One other site of the group, as this site sees it. At the owner, every
// replica with what it has acknowledged; at a replica, the owner.
struct PeerLink {
  std::string site;
  bool connected = false;
  Lsn acknowledged;                    // owner only: on that replica's disk
  uint64_t commitsBehind = 0;          // owner only: commits it has not acknowledged
  std::chrono::nanoseconds behind{0};  // owner only: age of the oldest of them
};

// How far this site has advanced in the group: the LSN of the last
// permanent record (commit or checkpoint) committed here (owner) or applied
// here (replica), packed into one number that orders as LSNs do. Positions
// compare across the sites of a group. Zero until the first since open.
struct CommitPosition {
  uint64_t sequence = 0;
  int64_t committedAtNanos = 0;  // when this site reached it (its own clock)
};

struct ReplicationStatus {
  std::string group;
  std::string site;
  ReplicationRole role = ReplicationRole::kJoining;
  std::string master;  // empty while no master is known
  Lsn lsn;             // end of the log at this site
  CommitPosition commit;
  std::vector<PeerLink> peers;
  uint64_t commits = 0;       // owner: transactions committed since the group opened
  uint64_t permFailures = 0;  // commits no replica acknowledged in time (owner)
  bool stalled = false;       // owner: replicas have acknowledged nothing for over the timeout
};

// Parses "one", "all-available" or "none".
std::optional<AckPolicy> parseAckPolicy(std::string_view text);

class OwnershipGroup;
class OwnershipGroupImpl;

// The transaction a write callback runs in. Valid only inside the callback.
class WriteTxn {
 public:
  Status put(std::string_view table, const Key& key, capnp::MessageBuilder& message);
  Status get(std::string_view table, const Key& key, Value* value);
  Status remove(std::string_view table, const Key& key);
  // Visits the table's records from `fromKey` in key order (a hashed table:
  // whole, fromKey empty, in no order) as this transaction sees them,
  // until `visit` returns false. A read here takes locks the transaction
  // keeps to its end: scan small tables or short prefixes only.
  Status scan(std::string_view table, std::string_view fromKey,
              const std::function<bool(std::string_view key, const Value& value)>& visit);
  // The group's next sequence number, for ids that name their owner
  // ("cf1-000000042"). Sequences only grow and are never handed out twice,
  // even across restarts: the owner reserves them in blocks, writing the
  // block's end to _meta/ids in the transaction that first draws from it, and
  // draws from a block only once that reservation is committed. An aborted
  // transaction or a restart leaves a harmless gap. REQUIRES: the owner.
  Status nextSequence(uint64_t* sequence);

 private:
  friend class OwnershipGroupImpl;
  WriteTxn(OwnershipGroupImpl& group, void* txn) : group_(group), txn_(txn) {}

  OwnershipGroupImpl& group_;
  void* txn_;  // DbTxn*, kept opaque so callers need not include db_cxx.h
};

using WriteFn = std::function<Status(WriteTxn&)>;

// What a write needs before it is made. kReplicated (every normal write): a
// replica that could acknowledge it, else it is refused and nothing is
// written. kLocalFirst: written at the owner whatever the replicas' state,
// then replicated as usual (a compensating record, such as the withdrawal
// of an order that was refused, must exist even when no replica is
// reachable); it still answers NotReplicated until one acknowledges it.
enum class WriteMode { kReplicated, kLocalFirst };
// Visits one record; return false to stop the scan.
using VisitFn = std::function<bool(std::string_view key, const Value& value)>;

class OwnershipGroup {
 public:
  // Opens (creating if needed) the environment and starts replication: as
  // the master when the transport's site owns the group, else as a client. A
  // client joins as soon as its owner is reachable; reads answer from what
  // has replicated meanwhile.
  static Status open(GroupOptions options, std::unique_ptr<OwnershipGroup>* group);

  ~OwnershipGroup();
  OwnershipGroup(const OwnershipGroup&) = delete;
  OwnershipGroup& operator=(const OwnershipGroup&) = delete;

  const std::string& name() const;
  bool isOwner() const;
  // True once Berkeley DB has panicked this environment (e.g. a replicated
  // log write failed on a full disk): nothing works until the site restarts
  // and runs recovery.
  bool panicked() const;

  // Runs fn in a transaction and returns once the commit is durable here and
  // acknowledged per the ack policy. fn may run more than once (a transaction
  // that loses a deadlock is retried), so it must change nothing but what it
  // writes through its WriteTxn and values it recomputes on each run.
  // Returns fn's status if fn fails (nothing
  // fn wrote is kept); NotReplicated if the commit was made locally but no
  // replica acknowledged within the timeout (or at once while the replicas
  // are stalled), or no replica is connected (then nothing is written);
  // NotOwner if this site is a client of the group and Berkeley DB refused
  // the write.
  Status write(WriteFn fn, WriteMode mode = WriteMode::kReplicated);

  // Point read and ordered scan, at any site. A client being re-initialised
  // answers ReplicaInitialising; a table not yet replicated reads as empty.
  Status get(std::string_view table, const Key& key, Value* value);
  Status scan(std::string_view table, std::string_view fromKey, const VisitFn& visit);

  // Owner: the highest sequence nextSequence has handed out (0 before the
  // first since this site opened the group: what was drawn before a restart
  // is at most the persisted reservation).
  uint64_t lastSequence() const;

  // Cheap: how far this site has advanced in the group.
  CommitPosition commitPosition();
  Lsn lsn();
  ReplicationStatus status();

  // Waits until at least `count` other sites of the group are connected and,
  // at the owner, one has acknowledged a commit (an owner at start-up,
  // before it takes writes). Returns false on timeout.
  bool waitForReplicas(size_t count, std::chrono::milliseconds timeout);

  // Waits until this site has applied the owner's commit `sequence` (a
  // client catching up), or the timeout passes. Returns false on timeout.
  bool waitForCommit(uint64_t sequence, std::chrono::milliseconds timeout);

  // Checkpoints and removes log files no longer needed (the owner does this
  // on a schedule; tests call it to force internal initialisation).
  Status checkpointAndArchive();

 private:
  explicit OwnershipGroup(std::unique_ptr<OwnershipGroupImpl> impl);
  std::unique_ptr<OwnershipGroupImpl> impl_;
};

}  // namespace triad::bdb
