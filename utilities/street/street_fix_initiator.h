// The street utility's FIX side: a QuickFIX SocketInitiator with one session
// per venue of this street utility (exchange/README.md: SenderCompID = the
// street id, TargetCompID = the exchange id, BeginString = the exchange's FIX
// version, StartTime = EndTime = 00:00:00 UTC, no data dictionary) and a
// persistent FileStore, so that an order sent while a session is down leaves
// on the next logon and a report missed while down is resent.
//
// Inbound: every ExecutionReport and OrderCancelReject is decoded
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
};

struct StreetFixConfig {
  std::string street;  // this street utility's id: SenderCompID
  std::vector<FixVenueSession> venues;
  std::string storeDirectory;  // QuickFIX FileStore: sequence numbers and sent messages
  std::string logDirectory;    // QuickFIX FileLog: every message in and out
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
  virtual HandlerOutcome onExecutionReport(const exchange::ExecutionReportMessage& report) = 0;
  virtual HandlerOutcome onCancelReject(const exchange::CancelRejectMessage& reject) = 0;
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
