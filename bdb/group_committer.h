// Group commit (DESIGN §2a): every transaction is applied at every replica,
// so throughput comes from gathering concurrent writes into one transaction,
// committing it once, and answering each caller after it. The batch's
// leader only commits; each caller then waits for its commit's durability
// (the owner's flush, the replicas' acknowledgements) on its own thread, so
// the next batch commits while the last one is being acknowledged.
//
// Leader/follower: a caller that finds no commit in progress commits the
// queue itself (its own write and whatever else is queued, up to maxBatch);
// callers that arrive meanwhile queue up and wait, and one of them leads the
// next batch. An uncontended write therefore commits on its caller's thread,
// with no hand-off to a committer thread and back (two wake-ups, each a
// scheduling delay on a loaded machine); under load, batches form while the
// previous commit waits for its acknowledgement.
//
// Thread-safety: submit() may be called from any thread.

#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <span>

#include "bdb/lsn.h"
#include "bdb/status.h"

namespace triad::bdb {

class WriteTxn;

struct PendingWrite {
  std::function<Status(WriteTxn&)> fn;
  bool needsReplica = true;  // refused, nothing written, when no replica could acknowledge
  Status result;             // set by the commit function
  Lsn committedAt;           // set by the commit function: the batch's commit record
  bool done = false;
};

class GroupCommitter {
 public:
  // commitBatch runs every write of the batch and sets each one's result. It
  // runs on the thread of one of the batch's callers, never two at once.
  using CommitBatchFn = std::function<void(std::span<PendingWrite* const> batch)>;

  GroupCommitter(size_t maxBatch, CommitBatchFn commitBatch);
  ~GroupCommitter();  // refuses new writes, waits for those in progress

  // Runs fn in the next batch; *committedAt is the batch's commit LSN when
  // the result is ok (zero if nothing was committed).
  Status submit(std::function<Status(WriteTxn&)> fn, bool needsReplica, Lsn* committedAt);

 private:
  const size_t maxBatch_;
  const CommitBatchFn commitBatch_;
  std::mutex mutex_;
  std::condition_variable finished_;  // guarded by mutex_: a batch's writes are done
  std::deque<PendingWrite*> queue_;   // guarded by mutex_
  bool committing_ = false;           // guarded by mutex_: a leader is committing a batch
  bool stopping_ = false;             // guarded by mutex_
};

}  // namespace triad::bdb
