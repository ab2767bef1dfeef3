#include "utilities/street/venue_watch.h"

#include <algorithm>
#include <utility>

namespace triad::street {

namespace {
constexpr int64_t kNanosPerSecond = 1'000'000'000;
}  // namespace

int64_t VenueWatch::timeoutNanos(const std::string& venue) const {
  const topology::Exchange* exchange = topology_.findExchange(venue);
  const int64_t seconds = exchange != nullptr ? exchange->answerTimeoutSeconds : 10;
  return seconds * kNanosPerSecond;
}

void VenueWatch::sent(Kind kind, std::string clOrdId, std::string orderId, std::string venue,
                      int64_t nowNanos) {
  std::lock_guard lock(mutex_);
  Request request{.kind = kind,
                  .clOrdId = clOrdId,
                  .orderId = std::move(orderId),
                  .venue = std::move(venue),
                  .sinceNanos = nowNanos};
  outstanding_.insert_or_assign(std::move(clOrdId), std::move(request));
}

void VenueWatch::answered(std::string_view clOrdId) {
  std::lock_guard lock(mutex_);
  if (auto it = outstanding_.find(clOrdId); it != outstanding_.end()) outstanding_.erase(it);
  if (auto it = stuck_.find(clOrdId); it != stuck_.end()) stuck_.erase(it);
  if (auto it = unconfirmed_.find(clOrdId); it != unconfirmed_.end()) unconfirmed_.erase(it);
  // A report about an order being checked says the venue has it.
  if (auto it = checking_.find(clOrdId); it != checking_.end()) checking_.erase(it);
}

std::vector<VenueWatch::Request> VenueWatch::takeOverdue(int64_t nowNanos) {
  std::lock_guard lock(mutex_);
  std::vector<Request> overdue;
  for (const auto& [clOrdId, request] : outstanding_) {
    if (nowNanos - request.sinceNanos < timeoutNanos(request.venue)) continue;
    if (stuck_.emplace(clOrdId, request).second) overdue.push_back(request);
  }
  // Start-up checks the venue did not answer in time: not re-sent.
  for (auto it = checking_.begin(); it != checking_.end();) {
    if (nowNanos - it->second.sinceNanos < timeoutNanos(it->second.venue)) {
      ++it;
      continue;
    }
    unconfirmed_.insert_or_assign(it->first, it->second);
    it = checking_.erase(it);
  }
  return overdue;
}

void VenueWatch::statusRequested(std::string_view clOrdId) {
  std::lock_guard lock(mutex_);
  if (auto it = stuck_.find(clOrdId); it != stuck_.end()) it->second.statusRequested = true;
  if (auto it = outstanding_.find(clOrdId); it != outstanding_.end()) {
    it->second.statusRequested = true;
  }
}

void VenueWatch::acknowledged(Acknowledgement acknowledgement) {
  std::lock_guard lock(mutex_);
  std::string orderId = acknowledgement.orderId;
  acknowledgements_.try_emplace(std::move(orderId), std::move(acknowledgement));
}

void VenueWatch::superseded(std::string_view orderId) {
  std::lock_guard lock(mutex_);
  if (auto it = acknowledgements_.find(orderId); it != acknowledgements_.end()) {
    acknowledgements_.erase(it);
  }
}

std::vector<VenueWatch::Acknowledgement> VenueWatch::takeAcknowledgementsToRecord(
    int64_t nowNanos, int64_t settleNanos) {
  std::lock_guard lock(mutex_);
  std::vector<Acknowledgement> settled;
  for (auto it = acknowledgements_.begin(); it != acknowledgements_.end();) {
    if (nowNanos - it->second.atNanos < settleNanos) {
      ++it;
      continue;
    }
    settled.push_back(std::move(it->second));
    it = acknowledgements_.erase(it);
  }
  return settled;
}

void VenueWatch::checking(Request request) {
  std::lock_guard lock(mutex_);
  std::string clOrdId = request.clOrdId;
  checking_.insert_or_assign(std::move(clOrdId), std::move(request));
}

std::optional<bool> VenueWatch::checked(std::string_view clOrdId, bool known) {
  std::lock_guard lock(mutex_);
  auto it = checking_.find(clOrdId);
  if (it == checking_.end()) {
    // A late answer to a check that timed out settles it too.
    auto late = unconfirmed_.find(clOrdId);
    if (late == unconfirmed_.end()) return std::nullopt;
    unconfirmed_.erase(late);
  } else {
    checking_.erase(it);
  }
  if (!known) unknownChecked_.emplace_back(clOrdId);
  return known;
}

std::vector<std::string> VenueWatch::takeUnknownChecked() {
  std::lock_guard lock(mutex_);
  return std::exchange(unknownChecked_, {});
}

void VenueWatch::unconfirmed(Request request) {
  std::lock_guard lock(mutex_);
  std::string clOrdId = request.clOrdId;
  unconfirmed_.insert_or_assign(std::move(clOrdId), std::move(request));
}

void VenueWatch::countRefusedReport(bool overfill) {
  std::lock_guard lock(mutex_);
  ++counters_.refusedReports;
  if (overfill) ++counters_.overfills;
}

void VenueWatch::bump(uint64_t Counters::*counter) {
  std::lock_guard lock(mutex_);
  ++(counters_.*counter);
}

VenueWatch::Snapshot VenueWatch::snapshot() const {
  std::lock_guard lock(mutex_);
  Snapshot snapshot;
  for (const auto& entry : stuck_) snapshot.stuck.push_back(entry.second);
  for (const auto& entry : unconfirmed_) snapshot.unconfirmed.push_back(entry.second);
  const auto oldestFirst = [](const Request& a, const Request& b) {
    return a.sinceNanos < b.sinceNanos;
  };
  std::sort(snapshot.stuck.begin(), snapshot.stuck.end(), oldestFirst);
  std::sort(snapshot.unconfirmed.begin(), snapshot.unconfirmed.end(), oldestFirst);
  snapshot.counters = counters_;
  return snapshot;
}

}  // namespace triad::street
