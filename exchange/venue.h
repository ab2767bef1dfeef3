// The exchange's order entry: FIX orders, cancel and status requests in;
// execution reports, status answers, cancel rejects, the rejects of the
// venue modes (VenueRules) and market data out; one MatchingEngine, kept
// populated by a LiquidityProvider, in between. It knows nothing of QuickFIX
// (fix_venue.h delivers the messages), so tests drive it directly.
//
// Contract:
// - ClOrdIDs belong to a session (a street utility) and are single-use, for
//   orders and cancel requests alike. A message reusing one changes nothing:
//   if it is a session-level resend (PossDupFlag = Y) it is ignored, since
//   the original's reports stand (and the session's store resends any the
//   street side missed); if it is an application-level resend (PossResend =
//   Y, PossDupFlag not Y) it is answered with the order's state now, as an
//   OrderStatusRequest would be (FIX.4.4 Appendix D, F.1.b); otherwise it is
//   refused with
//   the reason "duplicate ClOrdID": an order by an ExecutionReport rejected
//   with OrdRejReason 6 and OrderID NONE, a cancel by an OrderCancelReject.
//   The original order is never touched. A rejected message's ClOrdID counts
//   as used.
// - A cancel request finds its order by OrigClOrdID (the order's ClOrdID, or
//   an earlier cancel request's for it), in its own session only. Unknown ->
//   OrderCancelReject "unknown order" (CxlRejReason 1); filled, cancelled,
//   expired -> "too late to cancel" (0) with the order's status.
// - OrderID (37) is the engine's order id in decimal (it names the book).
// - ExecID (17) is "<exchange>-<run>-<n>": n counts this run's reports, and
//   the run number grows every time the daemon starts (run_counter.h), so an
//   ExecID is never issued twice; a report resent from the session store
//   keeps its ExecID, which is how the street side records a fill once.
// - Market data (fix_messages.h), to every logged-on session after each
//   batch (an order, a cancel, an expiry): one trade entry per fill, in
//   order, then for every book the batch touched, its best bid and best
//   offer where they changed (price or size; an emptied side as a delete).
//   A session that logs on is sent every book's best bid and offer (trades
//   are news, not state: they are not repeated).
// - A FIX order's engine clientOrderId is the venue's own count (1, 2, ...);
//   the liquidity provider's are above 2^63, and its orders get no reports.
// - An OrderStatusRequest is answered with the order's state now
//   (OrderStatusMessage), found by ClOrdID as a cancel finds it; a ClOrdID
//   the session never used gets OrdStatus 8 with OrdRejReason 5 (unknown order).
// - VenueRules can make the venue behave as real venues do where they differ
//   from the above (see there); the defaults are the above.
//
// Thread-safety: every public member takes mutex_, which guards the engine,
// the provider and every table; QuickFIX's connection threads and the
// daemon's main thread (expireDay) call concurrently. VenueOutput is called
// with mutex_ held: it must only queue (FixVenue does).
//
// Memory: orders and ClOrdIDs are kept for the life of the process; a
// restart forgets them, and the books (a simulator keeps no order book on
// disk; the FIX sessions' stores do persist). So after a restart a status
// request for an earlier order is answered "unknown order", and an earlier
// order resent with PossResend = Y executes again, whatever the rules.

#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "exchange/book_event.h"
#include "exchange/fix_messages.h"
#include "exchange/liquidity_provider.h"
#include "exchange/matching_engine.h"

namespace triad::exchange {

// How ExecIDs (17) are made.
enum class ExecIdScheme : uint8_t {
  // "<exchange>-<run>-<n>": never issued twice (see ExecID above).
  kUniqueForEver,
  // "<n>", from "1" at every start of the process: what venues that number
  // executions per session or per day look like after a restart. A report
  // resent from the session store keeps the ExecID it had, so the same
  // ExecID can name two executions of different runs.
  kRestartEachRun,
};

// Where real FIX venues differ from Triad's simulator, the behaviour of one
// of them, so that tests can run a street utility against it. The defaults
// are the simulator's own; each rule is independent of the others.
struct VenueRules {
  // Only limit orders (OrdType 2) with TimeInForce DAY (0, or absent). Any
  // other NewOrderSingle is refused at the session level: a Reject (35=3)
  // with RefTagID 40 or 59 and SessionRejectReason 5. Nothing enters the
  // book, and its ClOrdID stays unused.
  bool onlyLimitDay = false;
  // False: an OrderCancelRequest is answered with a BusinessMessageReject
  // (35=j) "Unsupported Message Type" (reason 3), BusinessRejectRefID = its
  // ClOrdID; the order stays in the book and the ClOrdID stays unused.
  bool acceptsCancels = true;
  // False: an OrderStatusRequest is answered in the same way.
  bool answersStatusRequests = true;
  // False: an order flagged PossResend (97) = Y, and not PossDupFlag, whose
  // ClOrdID the session already used is a new order: it executes again, and
  // the ClOrdID names the new order from then on (for cancels and status).
  bool honoursPossResend = true;
  // False: no market data at all, neither after trades nor at logon.
  bool publishesMarketData = true;
  ExecIdScheme execIds = ExecIdScheme::kUniqueForEver;
};

struct VenueOptions {
  std::string exchangeId;  // prefixes ExecIDs: "xnys"
  uint64_t run = 1;        // this start of the daemon; see ExecID above
  // The listed symbols, each kept populated by the liquidity provider.
  std::vector<SymbolLiquidity> symbols;
  VenueRules rules;
};

class Venue final : public VenueInput {
 private:
  struct Key {
    explicit Key() = default;
  };

 public:
  // Lists the symbols and places the liquidity provider's orders. Returns a
  // person-readable fault when the options are unusable. `output` must
  // outlive the venue.
  [[nodiscard]] static std::variant<std::unique_ptr<Venue>, std::string> create(
      VenueOptions options, VenueOutput& output);
  Venue(Key, VenueOptions options, VenueOutput& output);

  Venue(const Venue&) = delete;
  Venue& operator=(const Venue&) = delete;

  // VenueInput.
  void onNewOrder(const NewOrderMessage& order) override;
  void onCancelRequest(const CancelRequestMessage& request) override;
  void onStatusRequest(const StatusRequestMessage& request) override;
  void onLogon(const std::string& session) override;

  // End of the trading day: every resting DAY order expires, with a report.
  void expireDay();

  // nullopt when the symbol is not listed.
  std::optional<BestBidOffer> bestBidOffer(std::string_view symbol) const;

 private:
  // A FIX order as the venue remembers it, by engine clientOrderId.
  struct FixOrder {
    std::string session;
    std::string clOrdId;
    std::string symbol;
    char side;
    char ordType;
    char timeInForce;
    int64_t quantity;
    int64_t priceMicros;
    OrderId orderId = kNoOrderId;  // until the engine accepts it
    char ordStatus = '0';          // OrdStatus (39) after the last report
    int64_t leavesQuantity = 0;
    int64_t cumulativeQuantity = 0;
    __int128 notionalMicros = 0;  // sum of fill quantity x price, for AvgPx

    bool open() const { return orderId != kNoOrderId && (ordStatus == '0' || ordStatus == '1'); }
    // AvgPx (6), rounded down to a micro; 0 before the first fill.
    int64_t averagePriceMicros() const {
      return cumulativeQuantity > 0 ? static_cast<int64_t>(notionalMicros / cumulativeQuantity) : 0;
    }
  };

  // The cancel request being served, if any, while its events are reported.
  struct CancelInProgress {
    const CancelRequestMessage* request = nullptr;
    uint64_t clientOrderId = 0;
  };

  // What the sessions were last told about one book.
  struct PublishedTop {
    std::optional<PriceLevel> bid;
    std::optional<PriceLevel> ask;
  };

  // ClOrdID -> the engine clientOrderId of its order (0: none, e.g. rejected).
  using ClOrdIds = std::unordered_map<std::string, uint64_t>;

  // REQUIRES: mutex_ held, for every member below.
  std::optional<std::string> start();
  void report(const std::vector<BookEvent>& events, const CancelInProgress& cancel);
  void publish(const std::vector<BookEvent>& events);
  static MarketDataMessage topOf(const OrderBook& book, MarketDataEntryType type);
  ExecutionReportMessage reportFor(const FixOrder& order, ExecutionKind kind);
  OrderStatusMessage statusOf(const StatusRequestMessage& request);
  // Sends the session-level Reject and returns true when rules_ refuse the order.
  bool refusedByRules(const NewOrderMessage& order);
  void rejectUnsupported(const std::string& session, int msgSeqNum, const char* msgType,
                         const std::string& clOrdId);
  void reportFill(uint64_t clientOrderId, int64_t quantity, int64_t priceMicros,
                  int64_t leavesQuantity, int64_t cumulativeQuantity);
  void rejectOrder(const NewOrderMessage& order, int ordRejReason, std::string text);
  void rejectCancel(const CancelRequestMessage& request, const FixOrder* order,
                    CancelRejectReason reason, std::string text);
  FixOrder* findOrder(uint64_t clientOrderId);
  std::string nextExecId();

  const std::string exchangeId_;
  const uint64_t run_;
  const VenueRules rules_;
  VenueOutput& output_;

  const std::vector<std::string> symbols_;  // as configured

  mutable std::mutex mutex_;  // guards everything below
  MatchingEngine engine_;
  LiquidityProvider provider_;
  std::unordered_map<std::string, ClOrdIds> clOrdIds_;       // by session
  std::unordered_map<uint64_t, FixOrder> orders_;            // by clientOrderId
  std::unordered_map<std::string, PublishedTop> published_;  // by symbol
  uint64_t lastClientOrderId_ = 0;
  uint64_t lastExecution_ = 0;
  std::vector<BookEvent> events_;  // reused by every batch
};

}  // namespace triad::exchange
