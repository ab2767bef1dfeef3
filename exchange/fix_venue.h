// The venue's FIX side: a QuickFIX Application behind a BoundSocketAcceptor,
// with one FIX.4.2 or FIX.4.4 session per street utility that trades here
// (SenderCompID = the exchange id, TargetCompID = the street utility id).
//
// Inbound, NewOrderSingle (35=D), OrderCancelRequest (35=F) and
// OrderStatusRequest (35=H) are decoded (fix_codec.h) and handed to a
// VenueInput (the Venue: venue.h); QuickFIX itself answers any other
// application message as an unsupported message type, and one without a
// ClOrdID with a reject naming tag 11. Outbound, it is the Venue's
// VenueOutput: reports, status answers, the rejects the venue's rules call
// for (a session-level Reject 35=3 is sent like any other message, under the
// session's next sequence number) and market data are queued and sent by
// one sender thread, in queue order.
//
// Threads. QuickFIX calls the Application on one thread per connection
// (BoundSocketAcceptor); the Venue takes its own lock. Sending happens on the
// sender thread and never under the Venue's lock, so no lock of ours is ever
// held while waiting for one of QuickFIX's (a session holds its own mutex
// while it calls onLogout, and while resending): the Venue's lock, and the
// outbox lock inside it, are leaves.
//
// Delivery. Sessions keep a persistent FileStore: reports queued for a
// street utility that is not logged on are stored under the next sequence
// numbers and resent (PossDupFlag=Y, same ExecID) when it logs on and asks.
// Market data is sent to logged-on sessions only, and never resent: a resend
// request for it is answered with a gap fill, since an old quote is no news.
//
// Sessions are up around the clock and QuickFIX resets their sequence numbers
// once a day at 00:00:00 UTC (StartTime = EndTime = 00:00:00); a street
// utility's initiator must use the same schedule.
//
// Why this header has no QuickFIX type: QuickFIX 1.15.1's headers are C++14
// only (see fix_messages.h), so fix_venue.cc is compiled as C++14 and this
// header is the whole of the FIX side that C++20 code (main.cc) sees.

#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "exchange/fix_messages.h"

namespace triad {
namespace exchange {

struct FixVenueConfig {
  std::string exchangeId;              // SenderCompID of every session
  std::string beginString;             // "FIX.4.2" or "FIX.4.4"
  std::vector<std::string> streetIds;  // one session each, as TargetCompID
  std::string listenAddress;           // IPv4; binds this address only
  uint16_t listenPort = 0;
  std::string storeDirectory;  // QuickFIX FileStore: sequence numbers and sent messages
  std::string logDirectory;    // QuickFIX FileLog: every message in and out, and events
};

class FixVenue final : public VenueOutput {
 public:
  // Creates the sessions (opening their stores) and starts the sender
  // thread; listens only after start(). nullptr, with `error` set, when the
  // configuration or a store is refused.
  static std::unique_ptr<FixVenue> create(const FixVenueConfig& config, std::string& error);
  ~FixVenue() override;  // stop()s

  FixVenue(const FixVenue&) = delete;
  FixVenue& operator=(const FixVenue&) = delete;

  // Binds and starts accepting sessions, whose orders go to `input` (which
  // must outlive this object). Returns false, with `error` set, when the
  // address cannot be bound.
  bool start(VenueInput& input, std::string& error);
  // The port listened on (the configured one, or the one picked for port 0).
  uint16_t listenPort() const;

  // Logs every session out (waiting up to 10 s for the street side to
  // answer), closes the connections, then sends (or, for sessions now logged
  // out, stores) every queued message and stops the sender thread. Idempotent.
  void stop();

  // VenueOutput: queue and return.
  void sendExecutionReport(const ExecutionReportMessage& report) override;
  void sendCancelReject(const CancelRejectMessage& reject) override;
  void sendMarketData(const MarketDataMessage& update) override;
  void sendOrderStatus(const OrderStatusMessage& status) override;
  void sendSessionReject(const SessionRejectMessage& reject) override;
  void sendBusinessReject(const BusinessRejectMessage& reject) override;

 private:
  class Impl;

 public:
  explicit FixVenue(std::unique_ptr<Impl> impl);  // Impl is private: use the factory

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace exchange
}  // namespace triad
