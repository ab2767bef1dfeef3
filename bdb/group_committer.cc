#include "bdb/group_committer.h"

#include <vector>

namespace triad::bdb {

GroupCommitter::GroupCommitter(size_t maxBatch, CommitBatchFn commitBatch)
    : maxBatch_(maxBatch), commitBatch_(std::move(commitBatch)) {}

GroupCommitter::~GroupCommitter() {
  std::unique_lock lock(mutex_);
  stopping_ = true;
  finished_.wait(lock, [&] { return queue_.empty() && !committing_; });
}

Status GroupCommitter::submit(std::function<Status(WriteTxn&)> fn, bool needsReplica,
                              Lsn* committedAt) {
  PendingWrite write{std::move(fn), needsReplica, Status::ok(), {}, false};
  std::unique_lock lock(mutex_);
  if (stopping_) return Status::unavailable("the group is closing");
  queue_.push_back(&write);
  std::vector<PendingWrite*> batch;
  while (!write.done) {
    if (committing_) {
      finished_.wait(lock);
      continue;
    }
    // Lead: commit what is queued (this write is among it, or was answered
    // by an earlier batch and the loop ends).
    committing_ = true;
    while (!queue_.empty() && batch.size() < maxBatch_) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    commitBatch_(batch);
    lock.lock();
    for (PendingWrite* done : batch) done->done = true;
    batch.clear();
    committing_ = false;
    finished_.notify_all();
  }
  *committedAt = write.committedAt;
  return write.result;
}

}  // namespace triad::bdb
