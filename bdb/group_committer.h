// Group commit (DESIGN §2): a replica applies and fsyncs one commit at a time,
// so throughput comes from gathering concurrent writes into one transaction,
// committing and acknowledging it once, and answering each caller after it.
//
// Callers block in submit(); one committer thread takes everything queued
// (up to maxBatch) and hands it to the commit function as one batch.
//
// Thread-safety: submit() may be called from any thread.

#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <span>
#include <thread>

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
  // commitBatch runs every write of the batch and sets each one's result.
  using CommitBatchFn = std::function<void(std::span<PendingWrite* const> batch)>;

  GroupCommitter(size_t maxBatch, CommitBatchFn commitBatch);
  ~GroupCommitter();  // finishes what is queued, then stops

  Status submit(std::function<Status(WriteTxn&)> fn);

 private:
  void run();

  const size_t maxBatch_;
  const CommitBatchFn commitBatch_;
  std::mutex mutex_;
  std::condition_variable queued_;    // guarded by mutex_: queue_ grew or stopping_
  std::condition_variable finished_;  // guarded by mutex_: a batch's writes are done
  std::deque<PendingWrite*> queue_;   // guarded by mutex_
  bool stopping_ = false;             // guarded by mutex_
  std::thread thread_;
};

}  // namespace triad::bdb
