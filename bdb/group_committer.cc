#include "bdb/group_committer.h"

#include <vector>

namespace triad::bdb {

GroupCommitter::GroupCommitter(size_t maxBatch, CommitBatchFn commitBatch)
    : maxBatch_(maxBatch), commitBatch_(std::move(commitBatch)), thread_([this] { run(); }) {}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_one();
  thread_.join();
}

Status GroupCommitter::submit(std::function<Status(WriteTxn&)> fn) {
  PendingWrite write{std::move(fn), Status::ok(), false};
  std::unique_lock lock(mutex_);
  if (stopping_) return Status::unavailable("the group is closing");
  queue_.push_back(&write);
  queued_.notify_one();
  finished_.wait(lock, [&] { return write.done; });
  return write.result;
}

void GroupCommitter::run() {
  std::vector<PendingWrite*> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      queued_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to commit
      while (!queue_.empty() && batch.size() < maxBatch_) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
    }
    commitBatch_(batch);
    {
      std::lock_guard lock(mutex_);
      for (PendingWrite* write : batch) write->done = true;
    }
    finished_.notify_all();
    batch.clear();
  }
}

}  // namespace triad::bdb
