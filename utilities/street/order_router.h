// One catch-up pass of the street utility (DESIGN §3 step 4, §4): the orders
// routed to it that it has not routed yet go out on their venue's session,
// and the cancel requests nobody has answered go out once per run.
//
//  - an unrouted order, once its owner has decided it (announced it on the
//    bus, or released it: StreetRecorder::isReleased): closed unsent if a
//    cancel request came first (a withdrawal, or the customer's own); else
//    recordRoute (FIX ClOrdID = the order id), then a
//    NewOrderSingle on the session of the order's venue. An order for a venue
//    this street utility does not serve is rejected here, with an ExecID
//    derived from the order id ("ss1:reject:<order id>").
//  - an unanswered cancel request: an OrderCancelRequest (ClOrdID = the cancel
//    request id, OrigClOrdID = the order id), once per request in this run;
//    not before its order is routed (the venue would not know the order).
//
// The bus is only the doorbell: these scans are the path, so a pass is all
// an order or cancel needs (the role runs one as soon as the bus announces
// something). A route is announced on the firm bus once recorded.
//
// Every order and cancel request sent is watched (venue_watch.h): one that
// its venue has not answered within the venue's answer-timeout is raised as
// an alarm ("stuck") and, where the venue answers OrderStatusRequest, asked
// about with one. A pass also writes into their routes the acknowledgements
// that stood alone long enough (kAcknowledgementSettle).
//
// Start-up (issue 16, "resend safety"): a run may die between recordRoute
// and the order reaching the venue, or before the venue's acknowledgement
// was written. Re-sending blindly double-executes at a venue that ignores
// PossResend (97), so the first pass of a run looks at every routed but
// unfinished order:
//  - the venue is known to have it (its acknowledgement or a fill is
//    recorded): nothing is sent;
//  - else, where the venue answers OrderStatusRequest (the topology's
//    `order-status-request = supported`): it is asked; an order it does not
//    know is sent as new, one it knows is acknowledged, and no answer within
//    the answer-timeout leaves it "unconfirmed";
//  - else, where the venue honours PossResend (`poss-resend = honoured`): it
//    is sent again marked PossResend, which such a venue ignores for a
//    ClOrdID it has seen;
//  - else it is not sent: listed as "unconfirmed" in `triadctl status` for an
//    operator to settle with the venue (docs/operations.md).
// Until the scan succeeds (the customer replicas may still be starting),
// each pass tries it again before anything else.
//
// Thread-safety: one thread calls pass() at a time (the role's event loop);
// it blocks on storage.

#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/topology.h"
#include "utilities/street/street_bus.h"
#include "utilities/street/street_fix_initiator.h"
#include "utilities/street/street_recorder.h"
#include "utilities/street/venue_watch.h"

namespace triad::street {

class OrderRouter {
 public:
  // `site` is this street utility. REQUIRES: everything outlives the router.
  // `bus` may be null (no announcements).
  using Clock = std::function<int64_t()>;  // nanoseconds since the epoch

  // How long a venue's acknowledgement must stand alone (no fill, closure or
  // rejection of the order) before it is written into the route.
  static constexpr int64_t kAcknowledgementSettle = 200'000'000;

  OrderRouter(const topology::Topology& topology, const topology::Utility& site,
              StreetRecorder& recorder, StreetFixInitiator& initiator, VenueWatch& watch,
              base::Logger& logger, Clock clock, StreetBus* bus = nullptr)
      : topology_(topology),
        site_(site),
        recorder_(recorder),
        initiator_(initiator),
        watch_(watch),
        logger_(logger),
        clock_(std::move(clock)),
        bus_(bus) {}

  void pass();
  // Routes these announced orders if no route or answer holds them yet:
  // orders that became visible here after a pass had read their group (the
  // scan skips a group until it moves again).
  void routeIfUnrouted(const std::vector<std::string>& orderIds);
  // The order's owner announced it on the bus, which it does only once the
  // order is accepted: route it without waiting for the owner's release mark.
  void announced(std::string orderId);

 private:
  // Whether the order's owner has answered it (announced or released).
  bool isDecided(const std::string& orderId);
  // Whether the order's route is recorded (or it was answered without one).
  bool route(idl::Order::Reader order);
  void requestCancel(idl::CancelRequest::Reader request);
  bool servesVenue(const std::string& venue) const;
  // Whether every unfinished route was sent again (once per run).
  bool resendUnfinished();
  void send(idl::Order::Reader order, bool possibleResend);
  // Alarms for requests overdue, status requests, start-up checks answered,
  // acknowledgements to write.
  void watchVenues();
  bool askStatus(const std::string& venue, const std::string& clOrdId, const std::string& orderId);

  const topology::Topology& topology_;
  const topology::Utility& site_;
  StreetRecorder& recorder_;
  StreetFixInitiator& initiator_;
  VenueWatch& watch_;
  base::Logger& logger_;
  const Clock clock_;
  StreetBus* bus_;
  std::set<std::string> pendingOrders_;  // orders still unrouted after this pass
  std::set<std::string> sentCancels_;    // cancel request ids sent in this run
  std::set<std::string> announced_;      // announced orders not yet routed
  bool resent_ = false;                  // resendUnfinished() done in this run
};

}  // namespace triad::street
