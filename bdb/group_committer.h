// Group commit (DESIGN §2): a replica applies and fsyncs one commit at a time,
// so throughput comes from gathering concurrent writes into one transaction,
// committing and acknowledging it once, and answering each caller after it.
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

#include "bdb/status.h"

namespace triad::bdb {

class WriteTxn;

struct PendingWrite {
  std::function<Status(WriteTxn&)> fn;
  Status result;  // set by the commit function
  bool done = false;
};

class GroupCommitter {
 public:
  // commitBatch runs every write of the batch and sets each one's result. It
  // runs on the thread of one of the batch's callers, never two at once.
  using CommitBatchFn = std::function<void(std::span<PendingWrite* const> batch)>;

  GroupCommitter(size_t maxBatch, CommitBatchFn commitBatch);
  ~GroupCommitter();  // refuses new writes, waits for those in progress

  Status submit(std::function<Status(WriteTxn&)> fn);

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
