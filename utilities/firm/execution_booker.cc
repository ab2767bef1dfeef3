#include "utilities/firm/execution_booker.h"

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
                                 std::function<void(std::string_view)> log)
    : books_(books), log_(std::move(log)) {
  groups_.reserve(streetGroups.size());
  for (bdb::OwnershipGroup* group : streetGroups) {
    GroupState state;
    state.group = group;
    groups_.push_back(std::move(state));
  }
}

uint64_t ExecutionBooker::runPass(const std::atomic<bool>* stop) {
  std::lock_guard<std::mutex> pass(passMutex_);
  uint64_t booked = 0;
  for (GroupState& state : groups_) {
    if (stopping(stop)) break;
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
  if (state.scanned && position == state.scannedAt) {
    {
      std::lock_guard<std::mutex> lock(statsMutex_);
      ++stats_.scansSkipped;
    }
    // Nothing new here; only what failed before is tried again.
    std::vector<std::string> retry;
    for (const auto& [id, record] : state.pending) retry.push_back(id);
    for (const std::string& id : retry) {
      if (stopping(stop)) return;
      auto it = state.pending.find(id);
      if (it == state.pending.end()) continue;
      bdb::Record<idl::Execution> record = std::move(it->second);
      state.pending.erase(it);
      book(state, record, booked);
    }
    return;
  }

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
    state.lastScanError.clear();
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
  for (const bdb::Record<idl::Execution>& record : unknown) {
    if (stopping(stop)) {
      // Not booked yet: make sure a later pass looks again.
      state.pending.emplace(std::string(record->getId().cStr()),
                            bdb::Record<idl::Execution>::copyOf(record.reader()));
      continue;
    }
    const uint64_t bookedBefore = booked;
    book(state, record, booked);
    if (booked > bookedBefore && &record != &unknown.back()) common::crashPoint("firm.mid-batch");
  }
}

bool ExecutionBooker::book(GroupState& state, const bdb::Record<idl::Execution>& execution,
                           uint64_t& booked) {
  std::string id = execution->getId().cStr();
  Result<BookingOutcome> outcome = books_.bookExecution(execution.reader());
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
    return false;
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
  return true;
}

void ExecutionBooker::note(const std::string& line) {
  if (log_) log_(line);
}

ExecutionBookerStats ExecutionBooker::stats() const {
  std::lock_guard<std::mutex> lock(statsMutex_);
  return stats_;
}

}  // namespace triad::firm
