// What the owner of a group knows of its replicas' disks (DESIGN §2a). Each
// replica acknowledges the highest permanent LSN it has applied and flushed
// to its own log; a committer, after its commit returned (its locks already
// released), waits here until the ack policy holds for its commit's LSN.
//
// A replica set that has acknowledged nothing for longer than the timeout
// is stalled: later commits do not each wait the whole timeout again, they
// are answered at once (not acknowledged) until an acknowledgement arrives.
//
// Thread-safety: every method may be called from any thread. acknowledged()
// and peerChanged() only take a short lock (the transport's I/O thread calls
// them).

#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <vector>

#include "bdb/lsn.h"

namespace triad::bdb {

// Which replicas must acknowledge a commit before it counts as replicated.
// kOne: at least one. kAllAvailable: every replica whose connection is up,
// and at least one. kNone: none (the commit is durable here only).
enum class AckPolicy { kOne, kAllAvailable, kNone };

class AckTracker {
 public:
  enum class Wait { kAcknowledged, kTimedOut, kStalled };

  struct Replica {
    int eid = 0;
    bool up = false;
    Lsn acknowledged;                    // zero: nothing yet
    uint64_t commitsBehind = 0;          // commits made here it has not acknowledged
    std::chrono::nanoseconds behind{0};  // age of the oldest of them
  };

  AckTracker(std::vector<int> replicaEids, AckPolicy policy, std::chrono::milliseconds timeout);

  void acknowledged(int eid, Lsn lsn);
  void peerChanged(int eid, bool up);
  // A commit at `lsn` was made (for the lag figures).
  void committed(Lsn lsn);

  // Blocks until the policy holds for `lsn`, the timeout passes (kTimedOut,
  // and the set is stalled from then on), or answers kStalled at once.
  Wait await(Lsn lsn);
  // Blocks until the policy holds for `lsn` or `timeout` passes, and says
  // which; the stall is not this wait's to decide (the group committer
  // paces itself with it).
  bool settle(Lsn lsn, std::chrono::milliseconds timeout);

  std::vector<Replica> replicas() const;
  size_t replicasUp() const;
  bool stalled() const;

 private:
  bool satisfied(Lsn lsn) const;  // mutex_ held

  const AckPolicy policy_;
  const std::chrono::milliseconds timeout_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<int, Replica> replicas_;  // guarded by mutex_
  bool stalled_ = false;             // guarded by mutex_
  // Recent commits, oldest first (LSN, when), for lag; guarded by mutex_.
  std::deque<std::pair<Lsn, std::chrono::steady_clock::time_point>> recent_;
};

}  // namespace triad::bdb
