// What the venue and the FIX boundary say to each other: plain values for the
// messages the venue handles (NewOrderSingle, OrderCancelRequest,
// OrderStatusRequest) and sends (ExecutionReport, OrderCancelReject,
// MarketDataIncrementalRefresh, and the two rejects: Reject and
// BusinessMessageReject), and the two interfaces between the venue's logic
// (venue.h) and QuickFIX (fix_venue.h).
//
// Why the split: QuickFIX 1.15.1's headers (Debian 12) use dynamic exception
// specifications, which C++17 removed, so every file that includes them is
// compiled as C++14; the matching engine is C++20. This header is the whole
// contract between the two and compiles as either: no QuickFIX type, no
// std::optional. The same values serve a FIX client (street utility, tests)
// through fix_codec.h.
//
// A session is named by the street utility at its other end: on the venue,
// the TargetCompID ("ss1"); the venue's own id is every session's
// SenderCompID, and its FIX version is the same for all its sessions.

#pragma once

#include <cstdint>
#include <string>

namespace triad {
namespace exchange {

// ---- Received by the venue --------------------------------------------------

// NewOrderSingle (35=D). Enumerated fields keep their FIX character ('1' buy,
// '2' limit, '0' day, ...); the engine validates them.
struct NewOrderMessage {
  std::string session;
  std::string clOrdId;      // 11
  std::string symbol;       // 55
  char side = 0;            // 54; 0 when absent
  char ordType = 0;         // 40; 0 when absent
  char timeInForce = '0';   // 59; FIX's default is DAY
  int64_t priceMicros = 0;  // 44; 0 when absent (market orders)
  int64_t quantity = 0;     // 38, whole shares
  // PossDupFlag (43) or PossResend (97) is Y: the sender may have sent this
  // order before. A ClOrdID already seen is then not executed again (see
  // venue.h for the answer, and for the mode that ignores PossResend).
  bool possibleDuplicate = false;
  // Each flag on its own (either sets possibleDuplicate): PossDupFlag (43)
  // is Y, a session-level resend; PossResend (97) is Y, an application-level
  // one, which some venues ignore and execute again.
  bool possDupFlag = false;
  bool possResend = false;
  // MsgSeqNum (34) it arrived with: a session-level Reject refers to it.
  int msgSeqNum = 0;
  // Set when a field is missing or malformed; the venue rejects the order
  // with this text (the ClOrdID itself is never missing: see fix_codec.h).
  std::string fault;
};

// OrderCancelRequest (35=F).
struct CancelRequestMessage {
  std::string session;
  std::string clOrdId;      // 11: this request's own id
  std::string origClOrdId;  // 41: the order to cancel (or a later ClOrdID of it)
  std::string orderId;      // 37: the venue's id, when the sender gives it
  std::string symbol;       // 55
  char side = 0;            // 54
  bool possibleDuplicate = false;
  int msgSeqNum = 0;  // 34, for a BusinessMessageReject's RefSeqNum
  std::string fault;
};

// OrderStatusRequest (35=H). Its answer is an OrderStatusMessage.
struct StatusRequestMessage {
  std::string session;
  std::string clOrdId;  // 11: the order's (or a later ClOrdID of it)
  std::string orderId;  // 37, when the sender gives it (required in FIX.4.2)
  std::string symbol;   // 55
  char side = 0;        // 54
  int msgSeqNum = 0;    // 34
};

// ---- Sent by the venue ------------------------------------------------------

// What an ExecutionReport reports. The FIX codes differ by version (a fill
// is ExecType 1/2 in FIX.4.2 and F in FIX.4.4); fix_codec.h maps them.
enum class ExecutionKind : uint8_t {
  kNew,
  kPartialFill,
  kFill,
  kCancelled,
  kExpired,
  kRejected,
};

// OrdStatus (39) after a report of each kind.
inline char orderStatusOf(ExecutionKind kind) {
  switch (kind) {
    case ExecutionKind::kNew:
      return '0';
    case ExecutionKind::kPartialFill:
      return '1';
    case ExecutionKind::kFill:
      return '2';
    case ExecutionKind::kCancelled:
      return '4';
    case ExecutionKind::kExpired:
      return 'C';
    case ExecutionKind::kRejected:
      return '8';
  }
  return '8';
}

// OrdRejReason (103), the same codes in FIX.4.2 and FIX.4.4.
constexpr int kRejectExchangeOption = 0;
constexpr int kRejectUnknownSymbol = 1;
constexpr int kRejectUnknownOrder = 5;
constexpr int kRejectDuplicateOrder = 6;

// ExecutionReport (35=8).
struct ExecutionReportMessage {
  std::string session;
  std::string orderId;      // 37: the venue's order id; "NONE" when rejected
  std::string clOrdId;      // 11: for a cancel, the cancel request's ClOrdID
  std::string origClOrdId;  // 41: set when a cancel request cancelled the order
  // 17: unique for ever at this venue and the same on every resend of the
  // report, so that the street side can record each fill exactly once.
  std::string execId;
  ExecutionKind kind = ExecutionKind::kNew;
  std::string symbol;
  char side = 0;
  char ordType = 0;
  char timeInForce = 0;
  int64_t orderQuantity = 0;
  int64_t priceMicros = 0;      // the limit price; 0 for market orders
  int64_t lastQuantity = 0;     // 32, fills only
  int64_t lastPriceMicros = 0;  // 31, fills only
  int64_t leavesQuantity = 0;
  int64_t cumulativeQuantity = 0;
  int64_t averagePriceMicros = 0;  // rounded down to a micro
  int ordRejReason = -1;           // 103, rejects only
  std::string text;                // 58: why, in words a person can act on
  bool possibleDuplicate = false;  // as received by a client: PossDupFlag=Y
  // 75: the venue's trading day, "yyyymmdd", when it sends one.
  std::string tradeDate;
  // 60: nanoseconds since the epoch; 0 when absent or malformed. Encoding
  // uses the current time when 0.
  int64_t transactTimeNanos = 0;
};

// CxlRejReason (102). kDuplicateClOrdId is 6 in FIX.4.4 and, lacking that
// code, 2 ("broker/exchange option") in FIX.4.2.
enum class CancelRejectReason : uint8_t { kTooLateToCancel, kUnknownOrder, kDuplicateClOrdId };

// OrderCancelReject (35=9), CxlRejResponseTo (434) = 1 (a cancel request).
struct CancelRejectMessage {
  std::string session;
  std::string orderId;      // "NONE" when the order is unknown
  std::string clOrdId;      // the cancel request's
  std::string origClOrdId;  // as the request gave it
  char ordStatus = '8';     // the order's status now; '8' when unknown
  CancelRejectReason reason = CancelRejectReason::kUnknownOrder;
  std::string text;
  bool possibleDuplicate = false;
};

// The answer to an OrderStatusRequest: an ExecutionReport that reports no
// event, only the order's state. FIX.4.4: ExecType (150) I (Order Status);
// FIX.4.2, which has no such ExecType: ExecTransType (20) 3 (Status) and
// ExecType = the OrdStatus. ExecID (17) is "0", as both versions prescribe
// for a status answer, so it can never be taken for an execution. For a
// ClOrdID the venue does not know: OrdStatus 8 with OrdRejReason 5 (unknown
// order) and OrderID NONE.
struct OrderStatusMessage {
  std::string session;
  std::string orderId;             // 37: "NONE" when unknown
  std::string clOrdId;             // 11: as the request gave it
  char ordStatus = '8';            // 39: the order's status now
  std::string symbol;              // 55
  char side = 0;                   // 54
  char ordType = 0;                // 40; 0 when unknown
  char timeInForce = 0;            // 59; 0 when unknown
  int64_t orderQuantity = 0;       // 38; 0 when unknown (then not sent)
  int64_t priceMicros = 0;         // 44; 0 for market orders or when unknown
  int64_t leavesQuantity = 0;      // 151
  int64_t cumulativeQuantity = 0;  // 14
  int64_t averagePriceMicros = 0;  // 6, rounded down to a micro
  int ordRejReason = -1;           // 103: kRejectUnknownOrder when unknown
  std::string text;                // 58
};

// SessionRejectReason (373) and BusinessRejectReason (380) that the venue sends.
constexpr int kSessionRejectValueIsIncorrect = 5;
constexpr int kBusinessRejectUnsupportedMessageType = 3;

// Reject (35=3): a message refused at the session level. Its sequence
// number is consumed; the application never sees it.
struct SessionRejectMessage {
  std::string session;
  int refSeqNum = 0;                            // 45: the refused message's MsgSeqNum
  int refTagId = 0;                             // 371: the offending field
  std::string refMsgType;                       // 372: "D", ...
  int reason = kSessionRejectValueIsIncorrect;  // 373
  std::string text;                             // 58: what was refused, and why
};

// BusinessMessageReject (35=j): an application message the venue does not
// take, here because it does not support the message type.
struct BusinessRejectMessage {
  std::string session;
  int refSeqNum = 0;       // 45
  std::string refMsgType;  // 372: "F", "H"
  std::string refId;       // 379 BusinessRejectRefID: the message's ClOrdID
  int reason = kBusinessRejectUnsupportedMessageType;  // 380
  std::string text;                                    // 58
};

// What a market data entry is: MDEntryType (269).
enum class MarketDataEntryType : char { kBid = '0', kOffer = '1', kTrade = '2' };

// MarketDataIncrementalRefresh (35=X) with exactly one entry: the best bid
// or the best offer of a symbol is now this price and size, or that side is
// empty; or a trade printed. One entry per message because a receiver
// without a data dictionary (UseDataDictionary=N, as every Triad session
// runs) rejects a message in which a tag repeats, as a group of two entries
// would; see fix_codec.h for the fields.
struct MarketDataMessage {
  std::string session;  // empty: every logged-on session
  std::string symbol;
  MarketDataEntryType type = MarketDataEntryType::kBid;
  // False for a side of the book that is now empty (MDUpdateAction 2,
  // delete, without price or size). Trades are always present.
  bool present = true;
  int64_t priceMicros = 0;
  int64_t quantity = 0;  // shares at the best price; for a trade, its size
};

// ---- The interfaces between venue logic and QuickFIX ------------------------

// Implemented by the venue (venue.h); called on QuickFIX's threads.
class VenueInput {
 public:
  virtual ~VenueInput() = default;
  virtual void onNewOrder(const NewOrderMessage& order) = 0;
  virtual void onCancelRequest(const CancelRequestMessage& request) = 0;
  virtual void onStatusRequest(const StatusRequestMessage& request) = 0;
  // A street utility logged on: it is sent the best bid and offer of every book.
  virtual void onLogon(const std::string& session) = 0;
};

// Implemented by the FIX boundary (fix_venue.h). Each call only queues the
// message and returns: it never blocks on the network nor calls back, so the
// venue may call it while holding its lock, and a session's messages leave
// in the order they were queued. Reports for a session that is not logged
// on are kept in its message store and resent when it logs on again (so are
// status answers and business rejects; a session Reject, an admin message,
// is replaced by a gap fill on resend, as QuickFIX does with every admin
// message); market data is only ever sent to logged-on sessions.
class VenueOutput {
 public:
  virtual ~VenueOutput() = default;
  virtual void sendExecutionReport(const ExecutionReportMessage& report) = 0;
  virtual void sendCancelReject(const CancelRejectMessage& reject) = 0;
  virtual void sendMarketData(const MarketDataMessage& update) = 0;
  virtual void sendOrderStatus(const OrderStatusMessage& status) = 0;
  virtual void sendSessionReject(const SessionRejectMessage& reject) = 0;
  virtual void sendBusinessReject(const BusinessRejectMessage& reject) = 0;
};

}  // namespace exchange
}  // namespace triad
