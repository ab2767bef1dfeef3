// One ownership group (DESIGN §2) as seen from one site: a Berkeley DB
// environment under <data-root>/<group>/, replicated by Replication Manager.
// At the owning site it is the static master (elections off) and the only
// place the group can be written; at every other site it is a priority-0
// client, which Berkeley DB itself keeps read-only.
//
// Thread-safety: every method may be called from any thread. Writes at the
// owner are gathered by one committer thread into a single transaction per
// batch (group commit), committed once, and each caller answered after the
// commit is durable locally and acknowledged by a replica.

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

#include "bdb/key.h"
#include "bdb/status.h"
#include "bdb/value.h"

namespace capnp {
class MessageBuilder;
}

namespace triad::bdb {

struct SiteAddress {
  std::string site;  // the utility id of the site ("cf1")
  std::string host;  // a firm-side address: replication has no authentication
  uint16_t port = 0;
};

// Which replicas must acknowledge a commit before it counts as replicated.
// Only policies under which priority-0 clients acknowledge are offered
// (Berkeley DB's QUORUM, ONE_PEER and ALL_PEERS count electable peers only).
enum class AckPolicy { kOne, kAllAvailable, kNone };

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
  std::string group;               // the owning utility's id, also the group's name
  std::string localSite;           // this site's utility id
  std::filesystem::path home;      // the environment folder, <data-root>/<group>
  std::vector<SiteAddress> sites;  // every site's endpoint for this group, the owner's included
  std::vector<TableSpec> tables;   // the tables the group holds; the owner creates them
  AckPolicy ackPolicy = AckPolicy::kOne;
  std::chrono::milliseconds ackTimeout{2000};
  std::chrono::milliseconds connectionRetry{500};  // Berkeley DB's default is 30 s
  std::chrono::milliseconds heartbeat{1000};
  uint32_t cacheBytes = 16u << 20;
  uint32_t logFileBytes = 8u << 20;
  // The owner checkpoints and removes logs no longer needed for recovery this
  // often, so a rejoining replica is not sent the whole history (0: never).
  std::chrono::milliseconds checkpointInterval{std::chrono::seconds(30)};
  // Gather concurrent writes into one transaction (group commit). Off only for
  // the benchmark's baseline.
  bool groupCommit = true;
  // The owner sends its replicas each transaction's log records in one
  // message, at its commit record, instead of one message per record
  // (Berkeley DB's bulk transfer). Off: measured here, it doubles the
  // acknowledged commit's latency, and in the whole deployment it more than
  // doubles the CPU each order costs (docs/decisions.md; the storage floor
  // benchmark keeps the comparison).
  bool bulkTransfer = false;
  // The owner refuses writes (DiskFull, nothing written) while the data
  // folder's filesystem has less free space than this: Berkeley DB 5.3
  // panics the environment when a log write fails with ENOSPC, and a
  // panicked environment needs a restart. 0 turns the check off.
  uint64_t minFreeBytes = 4u << 20;
  size_t maxBatch = 512;
  // Diagnostics (Berkeley DB's own messages, role changes); may be empty.
  std::function<void(std::string_view)> log;
};

enum class ReplicationRole { kMaster, kClient, kJoining, kInitialising };
std::string_view roleName(ReplicationRole role);

struct Lsn {
  uint32_t file = 0;
  uint32_t offset = 0;
  friend auto operator<=>(const Lsn&, const Lsn&) = default;
};

struct PeerLink {
  std::string site;
  bool connected = false;
};

// A commit mark: the owner writes one in every batch it commits, so any
// replica can tell how far it has advanced without scanning.
struct CommitPosition {
  uint64_t sequence = 0;
  int64_t committedAtNanos = 0;
};

struct ReplicationStatus {
  std::string group;
  std::string site;
  ReplicationRole role = ReplicationRole::kJoining;
  std::string master;  // empty while no master is known
  Lsn lsn;             // end of the log at this site
  CommitPosition commit;
  std::vector<PeerLink> peers;
  uint64_t permFailures = 0;  // commits no replica acknowledged in time (owner)
};

// How far a replica is behind its owner, from the two sites' statuses (the
// operator console gathers them from every site). Commits counts the owner's
// batches the replica has not applied; time is how much older the replica's
// last applied batch is than the owner's last batch.
struct ReplicaLag {
  uint64_t commits = 0;
  std::chrono::nanoseconds time{0};
  bool caughtUp() const { return commits == 0; }
};
ReplicaLag lagBehind(const ReplicationStatus& owner, const ReplicationStatus& replica);

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
// Visits one record; return false to stop the scan.
using VisitFn = std::function<bool(std::string_view key, const Value& value)>;

class OwnershipGroup {
 public:
  // Opens (creating if needed) the environment and starts replication: as
  // the master when options.localSite == options.group, else as a client. A
  // client that cannot reach its master yet keeps joining in the background.
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
  // Owner: how many sites the topology does not name tried to join and were
  // removed from the group (each also logged as an ALARM).
  uint64_t unknownSitesRemoved() const;

  // Runs fn in a transaction and returns once the commit is durable here and
  // acknowledged per the ack policy. fn may run more than once (a transaction
  // that loses a deadlock is retried), so it must change nothing but what it
  // writes through its WriteTxn and values it recomputes on each run.
  // Returns fn's status if fn fails (nothing
  // fn wrote is kept); NotReplicated if the commit was made locally but no
  // replica acknowledged within the timeout, or no replica is connected (then
  // nothing is written); NotOwner if this site is a client of the group and
  // Berkeley DB refused the write.
  Status write(WriteFn fn);

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

  // Waits until at least `count` other sites of the group are connected (an
  // owner at start-up, before it takes writes). Returns false on timeout.
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

// Replication Manager opens its sockets without TCP_NODELAY, so every
// acknowledged commit waits ~40 ms on Nagle and delayed ACKs. Triad forces
// TCP_NODELAY on every TCP socket the process opens (see tcp_nodelay.cc);
// this switch exists so the benchmark can measure the difference. Process-wide
// by nature: it is a property of the process's sockets, not of a group.
void setReplicationTcpNoDelay(bool enabled);
bool replicationTcpNoDelay();

}  // namespace triad::bdb
