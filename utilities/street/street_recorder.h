// What a street utility writes to its own ownership group (DESIGN §2-§4),
// and the catch-up scans that find the work it has not done yet, without the
// FIX sessions or the bus around them, so tests drive it over real storage.
//
// Writes. Each record method is one owned().write(...) transaction (group-
// committed with concurrent writes) and idempotent, so a caller may retry it
// after any failure, NotReplicated ("committed here, unacknowledged")
// included:
//  - recordRoute: one Route per order, ever; a repeat returns the original.
//  - recordFill / recordReject / recordClosure: one execution report from the
//    venue each, stored under its dedup identity: executions, rejects and
//    closures are keyed (order id, venue, venue session, venue ExecID)
//    (tables::reportKey), so "already recorded?" is one point read of the
//    key and writing the record is the only write: QuickFIX delivers at
//    least once, and a resend after a reconnect must record nothing twice.
//    The venue is the order's (the one it was routed to); the venue session
//    is what makes an ExecID unique at a venue that numbers them per session
//    or per trading day (venue_session.h).
//    - a fill stores its Execution, with account, symbol, side and currency
//      copied from the order, so the firm can book it from the street record
//      alone. A fill that would take the order's filled quantity above its
//      quantity is refused (kOverfill) and nothing is written.
//    - a reject or closure stores its Reject/Closure.
//  A repeat returns the record stored the first time, with duplicate = true,
//  and writes nothing; a fill repeated with another quantity or price is not
//  a repeat but a venue reusing an ExecID (kConflictingReport). A venue ExecID already used for
//  another kind of report of the order is refused (kInvalidReport). The same ExecID for another
//  order is another report (the order id leads the key): a venue names the order of every report by
//  its ClOrdID, and a resend repeats it. A street utility's own refusal (no venue involved, e.g. a
//  venue it does not serve) needs an ExecID too: use one derived from the order id
//  ("ss1:reject:<order id>") and no venue session (such an id is unique for
//  ever), so that it is idempotent like the others.
//
// Catch-up (DESIGN §4: the bus may drop, the replicas do not):
//  - unroutedOrders: orders in every customer group whose `street` is this
//    utility and that have no Route here (nor an order rejection or closure,
//    which answer an order without routing it).
//  - unansweredCancels: cancel requests in every customer group whose
//    `street` is this utility and that no Closure and no cancel refusal names
//    (by cancelRequestId).
//  Both are cheap when nothing changed: each remembers every customer group's
//  commitPosition() at its last scan and skips a group that has not moved
//  (the position is read before the scan, so a commit during it moves the
//  group again). Orders are read incrementally (order ids grow within a
//  group, and a group's orders are keyed by id); cancels are keyed by order
//  id first, so a moved group's cancels are read whole, and only new ones are
//  checked. What an earlier scan found is kept in memory and re-checked
//  against this utility's own group with point reads, so an order stays
//  "unrouted" until it is routed even if no customer group moves. `force`
//  rescans every group from the start.
//
// Thread-safety: every method may be called from any thread. Reports for one
// order are serialised by a striped mutex (the overfill check reads the
// order's executions, then writes); the two scans share one mutex.
// REQUIRES: the site owns a street group, and only one StreetRecorder writes
// it.

#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/topology.h"
#include "bdb/table.h"
#include "idl/records.capnp.h"
#include "utilities/common/site_storage.h"

namespace triad::street {

enum class RecordErrorCode {
  kInvalidReport,      // a field is malformed, or a venue ExecID was reused: the reason names it
  kWrongStreet,        // the order is routed to another street utility
  kUnknownOrder,       // no such order in the customer replicas (yet)
  kOverfill,           // the fill would take the filled quantity above the order's quantity
  kConflictingReport,  // the ExecID was recorded before for this order with other terms
  kStorage,            // the storage layer failed: see `storage`
};

// "invalidReport", "overfill", ...
std::string_view errorCodeName(RecordErrorCode code);

struct RecordError {
  RecordErrorCode code = RecordErrorCode::kStorage;
  std::string reason;
  // Ok unless code == kStorage. NotReplicated means the write is durable here
  // but unacknowledged: retrying it is safe (every write is idempotent).
  bdb::Status storage;

  std::string toString() const;  // "overfill: a fill of 50 ..."
};

template <typename T>
using Outcome = std::variant<T, RecordError>;

template <typename T>
struct Recorded {
  bdb::Record<T> record;   // as stored: the new record, or the first one on a repeat
  bool duplicate = false;  // a repeat: nothing was written
};

// An execution report with ExecType fill or partial fill.
// The venue session (venue_session.h) of every report below: empty only for
// an ExecID the street derived from ids that are unique for ever.
struct FillReport {
  std::string venueExecId{};    // FIX ExecID (17)
  std::string venueSession{};   // "yyyymmdd"
  int64_t quantity = 0;         // LastQty (32), whole shares
  int64_t priceMicros = 0;      // LastPx (31)
  int64_t executedAtNanos = 0;  // TransactTime (60); 0: the recorder's clock
};

// An order rejected by the venue (ExecType rejected), or a cancel it refused
// (OrderCancelReject).
struct RejectReport {
  std::string venueExecId{};
  std::string venueSession{};
  idl::Reject::Kind kind = idl::Reject::Kind::ORDER_REJECTED;
  std::string reason{};           // Text (58)
  std::string cancelRequestId{};  // cancelRefused: the cancel request refused; else empty
  int64_t atNanos = 0;            // 0: the recorder's clock
};

// The venue closed the order's remainder: cancelled or expired.
struct ClosureReport {
  std::string venueExecId{};
  std::string venueSession{};
  idl::Closure::Reason reason = idl::Closure::Reason::CANCELLED;
  // cancelled: the request it answers, or empty when the venue cancelled on
  // its own (an IOC remainder); expired: always empty.
  std::string cancelRequestId{};
  int64_t atNanos = 0;  // 0: the recorder's clock
};

// A report from a venue that could not be recorded: kept for an operator.
struct RefusedReportEntry {
  std::string venue{};
  std::string venueSession{};  // as the report's would be, "" if unknown
  std::string venueExecId{};   // the report's, or one derived as for a reject
  std::string clOrdId{};
  std::string orderId{};  // "" if no order is known
  idl::RefusedReport::Reason reason = idl::RefusedReport::Reason::INVALID;
  std::string detail{};
  int64_t quantity = 0;
  int64_t priceMicros = 0;
  std::string message{};        // the FIX message, '|' between fields
  int64_t receivedAtNanos = 0;  // 0: the recorder's clock
};

// A route recorded in an earlier run whose order is not finished.
struct UnfinishedRoute {
  bdb::Record<idl::Order> order;
  // The venue is known to have the order: its acknowledgement or a fill of
  // it is recorded.
  bool confirmed = false;
};

struct ScanCounters {
  uint64_t scanned = 0;  // customer groups read
  uint64_t skipped = 0;  // customer groups skipped: unchanged since their last scan
};

struct CatchUpStats {
  ScanCounters orders;   // unroutedOrders
  ScanCounters cancels;  // unansweredCancels
};

class StreetRecorder {
 public:
  using Clock = std::function<int64_t()>;  // nanoseconds since the epoch

  // REQUIRES: storage.site() is a street utility of `topology`; both outlive
  // the recorder.
  StreetRecorder(const topology::Topology& topology, common::SiteStorage& storage, Clock clock);

  // The order from its owner's replica here (kUnknownOrder until it has
  // replicated).
  [[nodiscard]] Outcome<bdb::Record<idl::Order>> findOrder(std::string_view orderId);

  // Whether the cancel request has replicated here from the customer
  // utility that took it.
  [[nodiscard]] Outcome<bool> hasCancel(std::string_view orderId, std::string_view cancelId);
  // The first cancel request for the order at any customer utility here,
  // if there is one.
  [[nodiscard]] Outcome<std::optional<std::string>> firstCancel(std::string_view orderId);
  // Whether the order's owner has released it (its release mark here covers
  // the order, id_allocator.h): decided, so that a withdrawal, if any, is
  // here too.
  [[nodiscard]] Outcome<bool> isReleased(std::string_view orderId);

  [[nodiscard]] Outcome<Recorded<idl::Route>> recordRoute(idl::Order::Reader order,
                                                          std::string_view fixClOrdId);
  [[nodiscard]] Outcome<Recorded<idl::Execution>> recordFill(idl::Order::Reader order,
                                                             const FillReport& fill);
  [[nodiscard]] Outcome<Recorded<idl::Reject>> recordReject(idl::Order::Reader order,
                                                            const RejectReport& reject);
  [[nodiscard]] Outcome<Recorded<idl::Closure>> recordClosure(idl::Order::Reader order,
                                                              const ClosureReport& closure);
  // The venue acknowledged the order (its OrderID): written into the route,
  // so that a later run knows the venue has it. A route that already holds
  // one is left alone; an order with no route is refused (kUnknownOrder).
  [[nodiscard]] Outcome<bool> recordAcknowledgement(std::string_view orderId,
                                                    std::string_view venueOrderId, int64_t atNanos);
  // Keeps a report that could not be recorded (idempotent: its key is the
  // report's identity); true if it was new.
  [[nodiscard]] Outcome<bool> recordRefused(const RefusedReportEntry& entry);
  // Every refused report kept in this street's group.
  [[nodiscard]] Outcome<std::vector<bdb::Record<idl::RefusedReport>>> refusedReports();

  // Oldest first within each customer group, groups in topology order.
  [[nodiscard]] Outcome<std::vector<bdb::Record<idl::Order>>> unroutedOrders(bool force = false);
  // In (order id, cancel request id) order.
  [[nodiscard]] Outcome<std::vector<bdb::Record<idl::CancelRequest>>> unansweredCancels(
      bool force = false);

  // The orders routed here that no closure, order rejection or complete
  // fill has finished yet, in order id order, each with whether the venue
  // is known to have it (order_router.h decides what to do with the others).
  [[nodiscard]] Outcome<std::vector<UnfinishedRoute>> unfinishedRoutes();

  // Whether this group holds a Route, an order rejection or a closure for it.
  [[nodiscard]] Outcome<bool> isAnswered(std::string_view orderId);

  CatchUpStats catchUpStats() const;

 private:
  struct CustomerGroup {
    std::string id;
    bdb::OwnershipGroup* group;
  };
  // The replica, here, of the customer group that owns the record id; null
  // if no customer utility here owns it.
  const CustomerGroup* customerGroupOf(std::string_view recordId) const;
  struct OrderCursor {
    bool scanned = false;
    uint64_t position = 0;  // the group's commit sequence when last scanned
    std::string lastKey;    // the last order key read: the next scan resumes after it
  };
  // A report's dedup identity, with the order's venue.
  struct VenueReportId {
    std::string_view venueExecId;
    std::string_view venueSession;
  };
  // Shared by the three execution reports: dedup, id and record. `build`
  // fills in what is particular to the report, or refuses it.
  template <typename T, typename Build>
  Outcome<Recorded<T>> recordReport(idl::Order::Reader order, const VenueReportId& report,
                                    const bdb::Table<T>& table, Build&& build);

  std::optional<RecordError> checkOrder(idl::Order::Reader order) const;
  std::mutex& orderLock(std::string_view orderId);
  // The quantity filled so far, from this group's executions of the order.
  Outcome<int64_t> filledQuantity(std::string_view orderId);
  bdb::Status readClosed(const bdb::Key& key, bool* closed);
  // Whether a closure, an order rejection or fills of `quantity` finished it.
  Outcome<bool> isFinished(std::string_view orderId, int64_t quantity);
  Outcome<bool> isCancelAnswered(std::string_view orderId, std::string_view cancelId);

  const topology::Topology& topology_;
  common::SiteStorage& storage_;
  const Clock clock_;
  const std::string self_;
  std::vector<CustomerGroup> customers_;  // topology order

  std::array<std::mutex, 64> orderLocks_;  // by hash of the order id

  mutable std::mutex scanMutex_;                     // guards everything below
  std::map<std::string, OrderCursor> orderCursors_;  // by customer group
  std::vector<std::map<std::string, bdb::Record<idl::Order>>> pendingOrders_;  // per group, by key
  std::map<std::string, uint64_t> cancelPositions_;                            // by customer group
  std::map<std::string, bdb::Record<idl::CancelRequest>> pendingCancels_;      // by key
  // Cancels found answered: an answer is never removed, so they are never
  // checked again. Grows with this street's cancels over the process's life.
  std::set<std::string> answeredCancels_;
  CatchUpStats stats_;
};

}  // namespace triad::street
