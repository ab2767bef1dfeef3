#include "utilities/firm/execution_booker.h"

#include <optional>
#include <thread>
#include <utility>

#include "utilities/common/crash_point.h"
#include "utilities/common/tables.h"

namespace triad::firm {

namespace {

bool stopping(const std::atomic<bool>* stop) {
  return stop != nullptr && stop->load(std::memory_order_relaxed);
}

}  // namespace

ExecutionBooker::ExecutionBooker(Books& books, std::vector<bdb::OwnershipGroup*> streetGroups,
                                 std::function<void(std::string_view)> log,
                                 std::chrono::milliseconds fullScanInterval)
    : books_(books), log_(std::move(log)), fullScanInterval_(fullScanInterval) {
  groups_.reserve(streetGroups.size());
  for (bdb::OwnershipGroup* group : streetGroups) {
    GroupState state;
    state.group = group;
    groups_.push_back(std::move(state));
  }
}

void ExecutionBooker::announce(std::string_view group, std::string_view executionId, bdb::Key key) {
  std::lock_guard<std::mutex> lock(announceMutex_);
  announced_.push_back({std::string(group), std::string(executionId), std::move(key)});
}

void ExecutionBooker::requestFullScan() {
  std::lock_guard<std::mutex> lock(announceMutex_);
  fullScanRequested_ = true;
}

uint64_t ExecutionBooker::runPass(const std::atomic<bool>* stop) {
  std::lock_guard<std::mutex> pass(passMutex_);
  std::vector<Announced> announced;
  bool fullScan = false;
  {
    std::lock_guard<std::mutex> lock(announceMutex_);
    announced.swap(announced_);
    fullScan = std::exchange(fullScanRequested_, false);
  }
  for (Announced& hint : announced) {
    for (GroupState& state : groups_) {
      if (state.group->name() != hint.group) continue;
      state.announced = true;
      if (!state.known.contains(hint.executionId)) {
        state.hinted.emplace(std::move(hint.executionId), std::move(hint.key));
      }
    }
  }
  uint64_t booked = 0;
  for (GroupState& state : groups_) {
    if (stopping(stop)) break;
    if (fullScan) state.scanned = false;  // scanned whole if it moved or not
    passOver(state, stop, booked);
  }
  std::lock_guard<std::mutex> lock(statsMutex_);
  ++stats_.passes;
  return booked;
}

void ExecutionBooker::passOver(GroupState& state, const std::atomic<bool>* stop, uint64_t& booked) {
  // Read before the scan: a commit made during the scan makes the group
  // look moved on the next pass.
  const uint64_t position = state.group->commitPosition().sequence;
  const bool moved = !state.scanned || position != state.scannedAt;
  const bool scanDue = !state.scanned || !state.announced ||
                       std::chrono::steady_clock::now() - state.fullScanAt >= fullScanInterval_;
  if (moved && scanDue) return scanWhole(state, position, stop, booked);
  if (!moved) {
    std::lock_guard<std::mutex> lock(statsMutex_);
    ++stats_.scansSkipped;
  }
  // What failed before is tried again, with what the bus announced.
  std::vector<bdb::Record<idl::Execution>> retry;
  for (auto& [id, record] : state.pending) retry.push_back(std::move(record));
  state.pending.clear();
  bookAll(state, std::move(retry), stop, booked);
  readAnnounced(state, stop, booked);
}

void ExecutionBooker::readAnnounced(GroupState& state, const std::atomic<bool>* stop,
                                    uint64_t& booked) {
  std::vector<bdb::Record<idl::Execution>> found;
  uint64_t reads = 0;
  for (auto it = state.hinted.begin(); it != state.hinted.end();) {
    if (state.known.contains(it->first) || state.pending.contains(it->first)) {
      it = state.hinted.erase(it);
      continue;
    }
    bdb::Record<idl::Execution> record;
    bdb::Status s = tables::kExecutions.get(*state.group, it->second, &record);
    ++reads;
    if (!s.isOk()) {
      // Not applied at this replica yet (or unreadable now): next pass, or
      // the next whole scan, finds it.
      ++it;
      continue;
    }
    it = state.hinted.erase(it);
    if (record->getQuantity() == 0) {
      std::lock_guard<std::mutex> lock(statsMutex_);
      ++stats_.markersIgnored;
      state.known.insert(std::string(record->getId().cStr()));
      continue;
    }
    found.push_back(std::move(record));
  }
  {
    std::lock_guard<std::mutex> lock(statsMutex_);
    stats_.pointReads += reads;
  }
  bookAll(state, std::move(found), stop, booked);
}

void ExecutionBooker::scanWhole(GroupState& state, uint64_t position, const std::atomic<bool>* stop,
                                uint64_t& booked) {
  // The whole table (new executions can be anywhere in it); the unknown
  // ones are copied out and booked after the scan, so that no cursor on the
  // street group stays open across the firm's commits.
  std::vector<bdb::Record<idl::Execution>> unknown;
  uint64_t markers = 0;
  bdb::Status scanned = tables::kExecutions.scan(
      *state.group, "", [&](std::string_view, idl::Execution::Reader execution) {
        std::string id = execution.getId().cStr();
        if (state.known.contains(id)) return true;
        if (execution.getQuantity() == 0) {
          ++markers;
          state.known.insert(std::move(id));
          return true;
        }
        unknown.push_back(bdb::Record<idl::Execution>::copyOf(execution));
        return true;
      });
  {
    std::lock_guard<std::mutex> lock(statsMutex_);
    ++stats_.groupsScanned;
    stats_.markersIgnored += markers;
    if (!scanned.isOk()) ++stats_.scanFailures;
  }
  if (scanned.isOk()) {
    state.scanned = true;
    state.scannedAt = position;
    state.fullScanAt = std::chrono::steady_clock::now();
    state.lastScanError.clear();
    state.hinted.clear();  // the scan saw everything announced before it
  } else if (std::string reason = scanned.toString(); reason != state.lastScanError) {
    // Logged when the reason changes, not on every pass (a replica being
    // initialised fails ten times a second).
    note("execution-scan-failed group=" + state.group->name() + " reason=" + reason);
    state.lastScanError = std::move(reason);
  }

  // Failed bookings found again by this scan are retried with the rest;
  // any the scan did not reach (it failed) stay pending.
  for (const bdb::Record<idl::Execution>& record : unknown) {
    state.pending.erase(std::string(record->getId().cStr()));
  }
  bookAll(state, std::move(unknown), stop, booked);
}

void ExecutionBooker::bookAll(GroupState& state,
                              std::vector<bdb::Record<idl::Execution>> executions,
                              const std::atomic<bool>* stop, uint64_t& booked) {
  if (executions.empty()) return;
  // Concurrent bookings share the firm group's commits (group commit).
  std::vector<std::optional<Result<BookingOutcome>>> outcomes(executions.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < executions.size(); i = next++) {
      if (stopping(stop)) continue;
      outcomes[i].emplace(books_.bookExecution(executions[i].reader()));
      // A booking written while others of the batch are not (yet).
      if (executions.size() > 1 && outcomes[i]->isOk() && !outcomes[i]->value().alreadyBooked) {
        common::crashPoint("firm.mid-batch");
      }
    }
  };
  std::vector<std::thread> helpers;
  const size_t threads = std::min(executions.size(), kBookingThreads);
  for (size_t i = 1; i < threads; ++i) helpers.emplace_back(work);
  work();
  for (std::thread& helper : helpers) helper.join();
  for (size_t i = 0; i < executions.size(); ++i) {
    if (!outcomes[i]) {
      // Not booked yet (stopping): make sure a later pass looks again.
      state.pending.emplace(std::string(executions[i]->getId().cStr()), std::move(executions[i]));
      continue;
    }
    settle(state, executions[i], *outcomes[i], booked);
  }
}

void ExecutionBooker::settle(GroupState& state, const bdb::Record<idl::Execution>& execution,
                             const Result<BookingOutcome>& outcome, uint64_t& booked) {
  std::string id = execution->getId().cStr();
  if (!outcome.isOk()) {
    {
      std::lock_guard<std::mutex> lock(statsMutex_);
      ++stats_.bookingFailures;
    }
    if (reported_.insert(id).second) {
      note("execution-booking-failed group=" + state.group->name() + " execution=" + id +
           " reason=" + outcome.toString());
    }
    state.pending.emplace(id, bdb::Record<idl::Execution>::copyOf(execution.reader()));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(statsMutex_);
    if (outcome.value().alreadyBooked) {
      ++stats_.alreadyBooked;
    } else {
      ++stats_.executionsBooked;
      ++booked;
    }
  }
  reported_.erase(id);
  state.known.insert(std::move(id));
}

void ExecutionBooker::note(const std::string& line) {
  if (log_) log_(line);
}

ExecutionBookerStats ExecutionBooker::stats() const {
  std::lock_guard<std::mutex> lock(statsMutex_);
  return stats_;
}

}  // namespace triad::firm
