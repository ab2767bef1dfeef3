// What the street utility does with each report its venues send (DESIGN §3
// step 4, §4): records it durably, through the StreetRecorder, before the FIX
// callback returns.
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
//  - ExecutionReport new (the ack) -> nothing: the Route already says "new".
//
// A venue's report is recorded under its venue session (venue_session.h):
// its TradeDate, else the date of its TransactTime, else the date it was
// received. A cancel refusal's derived ExecID is unique for ever (the
// request's ClOrdID is single-use), so it has no session.
//
// The ClOrdID of an order is its order id, and of a cancel its cancel request
// id (order_router.h), so the order is found again in the customer replicas.
// A storage failure answers kRetryLater (the venue resends); a report that
// can never be recorded (unknown order, overfill, a malformed report) is
// logged as an error and consumed, so that one bad report cannot stall the
// session for ever.
//
// Every record written (not a repeat) is then announced on the firm bus, and
// market data relayed to the customer bus, when a StreetBus is given.
//
// Thread-safety: called on QuickFIX's thread; the StreetRecorder is
// thread-safe and the Logger may be used from any thread.

#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/log.h"
#include "utilities/street/street_bus.h"
#include "utilities/street/street_fix_initiator.h"
#include "utilities/street/street_recorder.h"

namespace triad::street {

class ReportRecorder final : public StreetFixHandler {
 public:
  using Clock = std::function<int64_t()>;  // nanoseconds since the epoch

  // REQUIRES: every referent outlives this; `bus` may be null (no bus).
  // `clock` dates a report that carries neither TradeDate nor TransactTime.
  ReportRecorder(StreetRecorder& recorder, base::Logger& logger, Clock clock,
                 StreetBus* bus = nullptr)
      : recorder_(recorder), logger_(logger), clock_(std::move(clock)), bus_(bus) {}

  HandlerOutcome onExecutionReport(const exchange::ExecutionReportMessage& report) override;
  HandlerOutcome onCancelReject(const exchange::CancelRejectMessage& reject) override;
  void onMarketData(const exchange::MarketDataMessage& update) override;
  void onLogon(const std::string& venue) override;
  void onLogout(const std::string& venue) override;

 private:
  // kDone when `error` can never go away by retrying (logged as an error).
  HandlerOutcome failed(const RecordError& error, const std::string& venue,
                        const std::string& orderId, const std::string& what);

  // Announces a record just written; nothing for a repeat.
  template <typename T>
  void announce(const Recorded<T>& recorded);

  StreetRecorder& recorder_;
  base::Logger& logger_;
  const Clock clock_;
  StreetBus* bus_;
};

}  // namespace triad::street
