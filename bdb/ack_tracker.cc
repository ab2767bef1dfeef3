#include "bdb/ack_tracker.h"

#include <algorithm>

namespace triad::bdb {
namespace {

// Lag is counted over at most this many recent commits.
constexpr size_t kRecentCommits = 16384;

}  // namespace

AckTracker::AckTracker(std::vector<int> replicaEids, AckPolicy policy,
                       std::chrono::milliseconds timeout)
    : policy_(policy), timeout_(timeout) {
  for (int eid : replicaEids) replicas_[eid].eid = eid;
}

void AckTracker::acknowledged(int eid, Lsn lsn) {
  {
    std::lock_guard lock(mutex_);
    auto found = replicas_.find(eid);
    if (found == replicas_.end() || lsn <= found->second.acknowledged) return;
    found->second.acknowledged = lsn;
    stalled_ = false;
    // Forget what every replica has.
    Lsn everywhere = lsn;
    for (const auto& [id, replica] : replicas_) {
      everywhere = std::min(everywhere, replica.acknowledged);
    }
    while (!recent_.empty() && recent_.front().first <= everywhere) recent_.pop_front();
  }
  changed_.notify_all();
}

void AckTracker::peerChanged(int eid, bool up) {
  {
    std::lock_guard lock(mutex_);
    auto found = replicas_.find(eid);
    if (found == replicas_.end()) return;
    found->second.up = up;
  }
  changed_.notify_all();
}

void AckTracker::committed(Lsn lsn) {
  std::lock_guard lock(mutex_);
  if (recent_.size() == kRecentCommits) recent_.pop_front();
  auto at = std::upper_bound(recent_.begin(), recent_.end(), lsn,
                             [](Lsn l, const auto& entry) { return l < entry.first; });
  recent_.insert(at, {lsn, std::chrono::steady_clock::now()});
}

bool AckTracker::satisfied(Lsn lsn) const {
  if (policy_ == AckPolicy::kNone) return true;
  bool any = false;
  bool allUp = true;
  for (const auto& [eid, replica] : replicas_) {
    const bool has = replica.acknowledged >= lsn;
    any = any || has;
    if (replica.up && !has) allUp = false;
  }
  return policy_ == AckPolicy::kOne ? any : any && allUp;
}

AckTracker::Wait AckTracker::await(Lsn lsn) {
  std::unique_lock lock(mutex_);
  if (satisfied(lsn)) return Wait::kAcknowledged;
  if (stalled_) return Wait::kStalled;
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  if (changed_.wait_until(lock, deadline, [&] { return satisfied(lsn); })) {
    return Wait::kAcknowledged;
  }
  stalled_ = true;
  return Wait::kTimedOut;
}

bool AckTracker::settle(Lsn lsn, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (stalled_) return satisfied(lsn);
  return changed_.wait_for(lock, timeout, [&] { return stalled_ || satisfied(lsn); }) &&
         satisfied(lsn);
}

std::vector<AckTracker::Replica> AckTracker::replicas() const {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  std::vector<Replica> out;
  for (const auto& [eid, known] : replicas_) {
    Replica replica = known;
    auto first = std::upper_bound(recent_.begin(), recent_.end(), replica.acknowledged,
                                  [](Lsn l, const auto& entry) { return l < entry.first; });
    replica.commitsBehind = static_cast<uint64_t>(recent_.end() - first);
    replica.behind = first == recent_.end() ? std::chrono::nanoseconds(0) : now - first->second;
    out.push_back(replica);
  }
  return out;
}

size_t AckTracker::replicasUp() const {
  std::lock_guard lock(mutex_);
  return static_cast<size_t>(std::count_if(replicas_.begin(), replicas_.end(),
                                           [](const auto& entry) { return entry.second.up; }));
}

bool AckTracker::stalled() const {
  std::lock_guard lock(mutex_);
  return stalled_;
}

}  // namespace triad::bdb
