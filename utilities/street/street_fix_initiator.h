// The street utility's FIX side: a QuickFIX SocketInitiator with one session
// per venue of this street utility (exchange/README.md: SenderCompID = the
// street id, TargetCompID = the exchange id, BeginString = the exchange's FIX
// version, StartTime = EndTime = 00:00:00 UTC, no data dictionary) and a
// persistent FileStore, so that an order sent while a session is down leaves
// on the next logon and a report missed while down is resent.
//
// Inbound: every ExecutionReport, OrderCancelReject, session Reject and
// Business Message Reject is decoded
// (exchange/fix_codec.h) and handed to a StreetFixHandler on QuickFIX's
// thread. DESIGN §4: the handler records the report durably before it returns,
// because QuickFIX advances the session's inbound sequence number only after
// the callback. A handler that could not record it answers kRetryLater: the
// connection is then dropped without advancing the sequence number, and the
// venue resends the report after the reconnect (about a second later).
//
// QuickFIX stays in street_fix_initiator.cc, which is C++14 (see
// exchange/fix_messages.h); this header compiles as C++14 or C++20.
//
// Thread-safety: send() may be called from any thread. The handler is called
// on QuickFIX's initiator thread, one message at a time.

#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "exchange/fix_messages.h"

namespace triad {
namespace street {

struct FixVenueSession {
  std::string venue;        // the exchange id: TargetCompID
  std::string beginString;  // the exchange's fixVersion: "FIX.4.2" or "FIX.4.4"
  std::string host;         // the exchange's firm-side address
  uint16_t port = 0;        // its FIX port
  // The street utility's own firm-side address: the connection's source
  // (SocketConnectSourceHost), so that a venue sees the firm network's
  // address and not 127.0.0.1. Empty: the kernel chooses.
  std::string sourceHost{};
};

struct StreetFixConfig {
  std::string street;  // this street utility's id: SenderCompID
  std::vector<FixVenueSession> venues;
  std::string storeDirectory;  // QuickFIX FileStore: sequence numbers and sent messages
  std::string logDirectory;    // QuickFIX FileLog: every message in and out
};

// A session-level Reject (35=3) or a Business Message Reject (35=j) from a
// venue, with what it refers to found again: the message it names by
// RefSeqNum is read back from QuickFIX's store (the messages this street sent
// on that session); a business reject's BusinessRejectRefID (379) names the
// ClOrdID when the store has no such message.
struct VenueReject {
  std::string venue;
  bool business = false;    // 35=j; else 35=3
  int refSeqNum = 0;        // 45: the MsgSeqNum of the message refused
  std::string refMsgType;   // 372, else the stored message's: "D", "F", "H", ...
  std::string clOrdId;      // the refused message's ClOrdID, "" when unknown
  std::string origClOrdId;  // a refused cancel request's order
  int refTagId = 0;         // 371 (35=3 only), 0 if absent
  int reason = -1;          // SessionRejectReason (373) or BusinessRejectReason (380)
  std::string text;         // 58
  std::string message;      // the reject as received, fields separated by '|'
};

// An ExecutionReport answering an OrderStatusRequest (ExecType I; in FIX.4.2
// ExecTransType 3): where the venue says the order stands. Not an event:
// nothing is recorded from it but what it says of the venue knowing the
// order.
struct OrderStatusAnswer {
  std::string venue;
  std::string clOrdId;
  std::string venueOrderId;  // 37
  char ordStatus = 0;        // 39
  int ordRejReason = -1;     // 103: 5 = unknown order
  int64_t cumulativeQuantity = 0;
  int64_t leavesQuantity = 0;
  std::string text;

  // The venue does not have the order: OrdStatus rejected with OrdRejReason
  // unknown order, or no OrderID.
  bool unknownOrder() const {
    return (ordStatus == '8' && ordRejReason == 5) || venueOrderId.empty() ||
           venueOrderId == "NONE";
  }
};

enum class HandlerOutcome {
  kDone,        // recorded (or deliberately ignored): the report is consumed
  kRetryLater,  // not recorded: drop the connection so that the venue resends it
};

// Implemented by the street utility's logic; called on QuickFIX's thread.
class StreetFixHandler {
 public:
  virtual ~StreetFixHandler() = default;
  // `report.session` / `reject.session` is the venue id.
  // `message` is the report as received, fields separated by '|'.
  virtual HandlerOutcome onExecutionReport(const exchange::ExecutionReportMessage& report,
                                           const std::string& message) = 0;
  virtual HandlerOutcome onCancelReject(const exchange::CancelRejectMessage& reject) = 0;
  // A session reject cannot be resent by the venue (a resend replaces it with
  // a gap fill), so kRetryLater is not an answer to one: the handler keeps
  // what it could not record itself.
  virtual HandlerOutcome onVenueReject(const VenueReject& reject) = 0;
  virtual HandlerOutcome onOrderStatus(const OrderStatusAnswer& answer) = 0;
  // Top of book and trades (`update.session` is the venue id); advisory,
  // never recorded.
  virtual void onMarketData(const exchange::MarketDataMessage& /*update*/) {}
  virtual void onLogon(const std::string& venue) = 0;
  virtual void onLogout(const std::string& venue) = 0;
};

class StreetFixInitiator {
 public:
  // Starts connecting every session (retrying every second). nullptr, with
  // `error` set, when QuickFIX refuses the configuration or the folders.
  // REQUIRES: `handler` outlives the initiator.
  static std::unique_ptr<StreetFixInitiator> start(const StreetFixConfig& config,
                                                   StreetFixHandler& handler, std::string& error);
  ~StreetFixInitiator();  // stop()s

  StreetFixInitiator(const StreetFixInitiator&) = delete;
  StreetFixInitiator& operator=(const StreetFixInitiator&) = delete;

  // Sends on the session of `message.session` (a venue id) or, while it is
  // logged out, stores the message for the venue to ask for on logon. False
  // when no session serves that venue.
  bool send(const exchange::NewOrderMessage& order);
  bool send(const exchange::CancelRequestMessage& request);
  // An OrderStatusRequest (35=H) for the order sent with `clOrdId`.
  bool sendStatusRequest(const std::string& venue, const std::string& clOrdId,
                         const std::string& symbol, char side);

  // Logs every session out (waiting a few seconds for the answers) and stops
  // QuickFIX's thread: no handler call happens after it returns. Idempotent.
  void stop();

 private:
  class Impl;

 public:
  explicit StreetFixInitiator(std::unique_ptr<Impl> impl);  // Impl is private: use start()

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace street
}  // namespace triad
