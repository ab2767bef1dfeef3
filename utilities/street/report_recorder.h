// What the street utility does with each answer its venues send (DESIGN §3
// step 4, §4; issue 16): records it durably, through the StreetRecorder,
// before the FIX callback returns, so that every answer ends somewhere.
//
//  - ExecutionReport fill / partial fill -> recordFill (LastQty, LastPx, ExecID)
//  - ExecutionReport rejected -> recordReject (orderRejected), except the
//    venue's answer to a reused ClOrdID (OrdRejReason 6, OrderID NONE), which
//    says nothing about the original order (exchange/README.md) and is ignored
//  - ExecutionReport cancelled / expired -> recordClosure; a cancel answering a
//    cancel request names it (ClOrdID = the request id, OrigClOrdID = the order)
//  - OrderCancelReject -> recordReject (cancelRefused), keyed by a derived
//    "<venue>:cancel-reject:<request id>" (the message has no ExecID; the
//    request's ClOrdID is single-use), except a refusal of a reused ClOrdID
//  - a session Reject (35=3) or Business Message Reject (35=j) of an order ->
//    recordReject (orderRejected) with the venue's text, keyed by
//    "<venue>:session-reject:<ClOrdID>" or ":business-reject:"; of a cancel
//    request -> recordReject (cancelRefused); of a status request, or naming
//    nothing this street sent -> counted and logged as an alarm
//  - ExecutionReport new (the ack) -> VenueWatch::acknowledged: written into
//    the route later, only if nothing else answers the order meanwhile
//  - a status answer (ExecType I) -> the venue knows the order or not
//    (VenueWatch::checked; an acknowledgement when it knows it).
//
// A report that can never be recorded (unknown order, over-fill, an ExecID
// reused with other terms, a malformed report) is kept as a RefusedReport in
// the street's group (it may be money: an operator resolves it with the
// venue), counted, and logged as an alarm; then consumed, so that one bad
// report cannot stall the session for ever. A storage failure answers
// kRetryLater (the venue resends).
//
// A venue's report is recorded under its venue session (venue_session.h):
// its TradeDate, else the date of its TransactTime, else the date it was
// received. Derived ExecIDs are unique for ever (the ClOrdID they name is
// single-use), so they have no session.
//
// Every record written (not a repeat) is then announced on the firm bus, and
// market data relayed to the customer bus, when a StreetBus is given.
//
// Thread-safety: called on QuickFIX's thread; the StreetRecorder and the
// VenueWatch are thread-safe and the Logger may be used from any thread.

#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/log.h"
#include "utilities/street/street_bus.h"
#include "utilities/street/street_fix_initiator.h"
#include "utilities/street/street_recorder.h"
#include "utilities/street/venue_watch.h"

namespace triad::street {

class ReportRecorder final : public StreetFixHandler {
 public:
  using Clock = std::function<int64_t()>;  // nanoseconds since the epoch

  // REQUIRES: every referent outlives this; `bus` may be null (no bus).
  // `clock` dates a report that carries neither TradeDate nor TransactTime.
  ReportRecorder(StreetRecorder& recorder, VenueWatch& watch, base::Logger& logger, Clock clock,
                 StreetBus* bus = nullptr)
      : recorder_(recorder), watch_(watch), logger_(logger), clock_(std::move(clock)), bus_(bus) {}

  HandlerOutcome onExecutionReport(const exchange::ExecutionReportMessage& report,
                                   const std::string& message) override;
  HandlerOutcome onCancelReject(const exchange::CancelRejectMessage& reject) override;
  HandlerOutcome onVenueReject(const VenueReject& reject) override;
  HandlerOutcome onOrderStatus(const OrderStatusAnswer& answer) override;
  void onMarketData(const exchange::MarketDataMessage& update) override;
  void onLogon(const std::string& venue) override;
  void onLogout(const std::string& venue) override;

 private:
  // What to do when a record method refused: kRetryLater for a storage
  // failure retrying can mend; else the report is kept as refused (`entry`,
  // completed from `error`) and kDone.
  HandlerOutcome failed(const RecordError& error, RefusedReportEntry entry);
  HandlerOutcome recordVenueReject(const VenueReject& reject);

  // Announces a record just written; nothing for a repeat.
  template <typename T>
  void announce(const Recorded<T>& recorded);

  StreetRecorder& recorder_;
  VenueWatch& watch_;
  base::Logger& logger_;
  const Clock clock_;
  StreetBus* bus_;
};

}  // namespace triad::street
