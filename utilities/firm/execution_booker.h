// The firm's catch-up path for executions (DESIGN §3 step 5, §4: "the firm
// finds the executions it has not booked"): a pass reads the `executions`
// table of every street group replica at the firm and books each fill the
// books do not hold yet. Nothing depends on a bus message arriving: booking
// from the replicas alone books every fill, and Books::bookExecution is
// idempotent (keyed by execution id), so a fill booked by any other path, or
// before a restart, is answered "already booked" with a point read and no
// write.
//
// Per street group, a pass:
//  - reads the group's commitPosition() *before* scanning, and skips the
//    group (counted in scansSkipped) when it has not moved since the last
//    scan that completed; a commit during a scan makes the group look moved
//    next time;
//  - otherwise scans `executions` whole and books every record whose id it
//    has not seen booked. Executions are keyed by (order id, execution id),
//    so a new one can appear anywhere in the table: there is no key to resume
//    from. Instead, ids found booked are remembered in memory, so a rescan of
//    a moved group only books (or point-reads at the firm) the unknown ones.
//    The trade-off: the scan itself still reads the whole table, and the
//    remembered ids grow with the day's fills (tens of bytes each). A
//    restarted booker remembers nothing: its first pass reads every group
//    and point-reads every execution's booking once (no writes for those
//    already booked).
//  - ignores records with quantity 0: they are markers of rejects and
//    closures (utilities/street/README.md), not fills. They never belong in
//    `executions`; one found there is counted and skipped.
//
// Incremental passes (the bus as a hint, never a dependency): the firm's
// bus doorbell announces each execution it hears of (announce: group, order
// id, execution id). Once a group has had an announcement, a pass that finds
// it moved point-reads the announced executions from its replica instead of
// scanning the table; one the replica has not applied yet is read again on
// the next pass. The whole-table scan above still runs for such a group, but
// only when asked (requestFullScan: the doorbell saw a gap) or when the last
// one is older than `fullScanInterval` and the group moved since: so a lost
// message costs at most that interval, and a pass costs the new executions,
// not the day's. A group never announced is scanned whenever it moves, as
// above.
//
// The executions a pass books are booked concurrently (up to
// kBookingThreads at once), so that the firm group's group commit gathers
// them into few transactions instead of one acknowledged commit each.
//
// A booking that fails (a storage error, NotReplicated, or a refusal such as
// an unknown account) is not remembered: the record is kept and retried on
// every pass, also when its group has not moved, and logged once per id. A
// scan that fails (a replica being initialised) is retried on the next pass
// and logged when its reason changes.
//
// Thread-safety: runPass may be called from any thread, one pass at a time
// (a second concurrent call waits for the first). stats() may be called from
// any thread at any time.

#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "bdb/ownership_group.h"
#include "bdb/table.h"
#include "idl/records.capnp.h"
#include "utilities/firm/books.h"

namespace triad::firm {

struct ExecutionBookerStats {
  uint64_t passes = 0;
  uint64_t groupsScanned = 0;     // scans of a street group's executions
  uint64_t scansSkipped = 0;      // groups not moved since their last scan
  uint64_t executionsBooked = 0;  // fills this booker booked (new postings)
  uint64_t alreadyBooked = 0;     // fills found booked already (another path, or before a restart)
  uint64_t markersIgnored = 0;    // quantity-0 records seen in `executions`
  uint64_t bookingFailures = 0;   // failed or refused bookings (each retried next pass)
  uint64_t scanFailures = 0;      // scans that stopped on a storage error (retried next pass)
  uint64_t pointReads = 0;        // announced executions read by key instead of a scan
};

class ExecutionBooker {
 public:
  // `log` gets one line per problem (a failed scan; a failed booking, once
  // per execution id); it may be empty. Every pointer in `streetGroups`
  // must outlive the booker.
  ExecutionBooker(Books& books, std::vector<bdb::OwnershipGroup*> streetGroups,
                  std::function<void(std::string_view)> log = {},
                  std::chrono::milliseconds fullScanInterval = std::chrono::seconds(1));

  static constexpr size_t kBookingThreads = 16;

  // An execution the bus announced (any thread), with its key in the street
  // group (tables::executionKey). Unknown groups are ignored.
  void announce(std::string_view group, std::string_view executionId, bdb::Key key);
  // The next pass scans every moved group whole (the bus lost messages).
  void requestFullScan();

  ExecutionBooker(const ExecutionBooker&) = delete;
  ExecutionBooker& operator=(const ExecutionBooker&) = delete;

  // One pass over every street group. Returns how many fills it booked.
  // When `stop` becomes true the pass ends early, between two bookings;
  // what it did not get to is found by a later pass.
  uint64_t runPass(const std::atomic<bool>* stop = nullptr);

  ExecutionBookerStats stats() const;

 private:
  struct GroupState {
    bdb::OwnershipGroup* group = nullptr;
    bool scanned = false;                   // a scan has completed
    uint64_t scannedAt = 0;                 // the commit sequence read before that scan
    std::unordered_set<std::string> known;  // ids booked (or markers): never looked at again
    std::map<std::string, bdb::Record<idl::Execution>> pending;  // failed bookings, retried
    std::string lastScanError;  // logged once until a scan succeeds or fails otherwise
    bool announced = false;     // the bus has announced executions of this group
    std::chrono::steady_clock::time_point fullScanAt;  // when the last whole scan completed
    std::map<std::string, bdb::Key> hinted;  // announced, not yet read: execution id -> key
  };

  void passOver(GroupState& state, const std::atomic<bool>* stop, uint64_t& booked);
  void scanWhole(GroupState& state, uint64_t position, const std::atomic<bool>* stop,
                 uint64_t& booked);
  void readAnnounced(GroupState& state, const std::atomic<bool>* stop, uint64_t& booked);
  // Books the executions concurrently; those not booked (failed, or left
  // when `stop` became true) are kept in `pending`.
  void bookAll(GroupState& state, std::vector<bdb::Record<idl::Execution>> executions,
               const std::atomic<bool>* stop, uint64_t& booked);
  void settle(GroupState& state, const bdb::Record<idl::Execution>& execution,
              const Result<BookingOutcome>& outcome, uint64_t& booked);
  void note(const std::string& line);

  Books& books_;
  std::function<void(std::string_view)> log_;
  std::mutex passMutex_;  // one pass at a time; guards groups_ and reported_
  std::vector<GroupState> groups_;
  std::unordered_set<std::string> reported_;  // execution ids whose failure was logged
  const std::chrono::milliseconds fullScanInterval_;

  struct Announced {
    std::string group;
    std::string executionId;
    bdb::Key key;
  };
  std::mutex announceMutex_;  // guards announced_ and fullScanRequested_
  std::vector<Announced> announced_;
  bool fullScanRequested_ = false;

  mutable std::mutex statsMutex_;
  ExecutionBookerStats stats_;
};

}  // namespace triad::firm
