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
// A run may die between recordRoute and the order reaching the venue (the
// route says it was sent; QuickFIX's store may or may not hold it). So the
// first pass of a run first sends every routed but unfinished order again,
// marked PossResend (97=Y): the venue ignores one whose ClOrdID it has seen,
// and takes one it has not. Until that succeeds (the customer replicas may
// still be starting), each pass tries it again before anything else.
//
// Thread-safety: one thread calls pass() at a time (the role's event loop);
// it blocks on storage.

#pragma once

#include <set>
#include <string>

#include "base/log.h"
#include "base/topology.h"
#include "utilities/street/street_bus.h"
#include "utilities/street/street_fix_initiator.h"
#include "utilities/street/street_recorder.h"

namespace triad::street {

class OrderRouter {
 public:
  // `site` is this street utility. REQUIRES: everything outlives the router.
  // `bus` may be null (no announcements).
  OrderRouter(const topology::Utility& site, StreetRecorder& recorder,
              StreetFixInitiator& initiator, base::Logger& logger, StreetBus* bus = nullptr)
      : site_(site), recorder_(recorder), initiator_(initiator), logger_(logger), bus_(bus) {}

  void pass();
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

  const topology::Utility& site_;
  StreetRecorder& recorder_;
  StreetFixInitiator& initiator_;
  base::Logger& logger_;
  StreetBus* bus_;
  std::set<std::string> pendingOrders_;  // orders still unrouted after this pass
  std::set<std::string> sentCancels_;    // cancel request ids sent in this run
  std::set<std::string> announced_;      // announced orders not yet routed
  bool resent_ = false;                  // resendUnfinished() done in this run
};

}  // namespace triad::street
