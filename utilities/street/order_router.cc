#include "utilities/street/order_router.h"

#include <algorithm>
#include <variant>

namespace triad::street {

namespace {

constexpr size_t kMaxAnnounced = 100'000;

char fixSide(idl::Side side) { return side == idl::Side::BUY ? '1' : '2'; }

char fixOrdType(idl::OrderType type) { return type == idl::OrderType::MARKET ? '1' : '2'; }

char fixTimeInForce(idl::TimeInForce timeInForce) {
  switch (timeInForce) {
    case idl::TimeInForce::DAY:
      return '0';
    case idl::TimeInForce::IOC:
      return '3';
    case idl::TimeInForce::GTC:
      return '1';
  }
  return '0';
}

}  // namespace

void OrderRouter::pass() {
  if (!resent_) resent_ = resendUnfinished();
  watchVenues();
  auto orders = recorder_.unroutedOrders();
  if (auto* error = std::get_if<RecordError>(&orders)) {
    logger_.warning("scan-failed", {{"scan", "orders"}, {"reason", error->toString()}});
    return;
  }
  pendingOrders_.clear();
  for (const bdb::Record<idl::Order>& order : std::get<0>(orders)) {
    const std::string orderId = order.reader().getId();
    if (!isDecided(orderId) || !route(order.reader())) {
      pendingOrders_.insert(orderId);
    } else {
      announced_.erase(orderId);
    }
  }

  auto cancels = recorder_.unansweredCancels();
  if (auto* error = std::get_if<RecordError>(&cancels)) {
    logger_.warning("scan-failed", {{"scan", "cancels"}, {"reason", error->toString()}});
    return;
  }
  for (const bdb::Record<idl::CancelRequest>& request : std::get<0>(cancels)) {
    requestCancel(request.reader());
  }
}

void OrderRouter::routeIfUnrouted(const std::vector<std::string>& orderIds) {
  for (const std::string& orderId : orderIds) {
    auto answered = recorder_.isAnswered(orderId);
    if (!std::holds_alternative<bool>(answered) || std::get<bool>(answered)) continue;
    auto found = recorder_.findOrder(orderId);
    if (!std::holds_alternative<bdb::Record<idl::Order>>(found) || !isDecided(orderId)) continue;
    if (route(std::get<bdb::Record<idl::Order>>(found).reader())) announced_.erase(orderId);
  }
}

bool OrderRouter::resendUnfinished() {
  auto unfinished = recorder_.unfinishedRoutes();
  if (auto* error = std::get_if<RecordError>(&unfinished)) {
    logger_.warning("resend-deferred", {{"reason", error->toString()}});
    return false;
  }
  int64_t asked = 0;
  int64_t resent = 0;
  int64_t unconfirmed = 0;
  for (const UnfinishedRoute& route : std::get<0>(unfinished)) {
    if (route.confirmed) continue;  // the venue has it
    idl::Order::Reader order = route.order.reader();
    const std::string orderId = order.getId();
    const std::string venue = order.getVenue();
    const topology::Exchange* exchange = topology_.findExchange(venue);
    VenueWatch::Request request{.kind = VenueWatch::Kind::kOrder,
                                .clOrdId = orderId,
                                .orderId = orderId,
                                .venue = venue,
                                .sinceNanos = clock_()};
    if (exchange != nullptr && exchange->answersStatusRequests) {
      watch_.checking(request);
      if (askStatus(venue, orderId, orderId)) ++asked;
    } else if (exchange != nullptr && exchange->honoursPossResend) {
      send(order, /*possibleResend=*/true);
      ++resent;
    } else {
      watch_.unconfirmed(request);
      ++unconfirmed;
      logger_.error("alarm-unconfirmed-route", {{"order", orderId}, {"venue", venue}});
    }
  }
  logger_.info("unfinished-routes", {{"orders", std::get<0>(unfinished).size()},
                                     {"status_requested", asked},
                                     {"resent", resent},
                                     {"unconfirmed", unconfirmed}});
  return true;
}

bool OrderRouter::askStatus(const std::string& venue, const std::string& clOrdId,
                            const std::string& orderId) {
  auto found = recorder_.findOrder(orderId);
  if (auto* error = std::get_if<RecordError>(&found)) {
    logger_.warning("status-request-deferred", {{"order", orderId}, {"reason", error->toString()}});
    return false;
  }
  idl::Order::Reader order = std::get<bdb::Record<idl::Order>>(found).reader();
  if (!initiator_.sendStatusRequest(venue, clOrdId, order.getSymbol(), fixSide(order.getSide()))) {
    return false;
  }
  watch_.statusRequested(clOrdId);
  watch_.countStatusRequest();
  logger_.info("status-requested", {{"order", orderId}, {"venue", venue}});
  return true;
}

void OrderRouter::watchVenues() {
  const int64_t now = clock_();
  for (const VenueWatch::Request& stuck : watch_.takeOverdue(now)) {
    const bool cancel = stuck.kind == VenueWatch::Kind::kCancel;
    logger_.error(cancel ? "alarm-stuck-cancel" : "alarm-stuck-order",
                  {{"order", stuck.orderId},
                   {"clordid", stuck.clOrdId},
                   {"venue", stuck.venue},
                   {"waited_ms", (now - stuck.sinceNanos) / 1'000'000}});
    const topology::Exchange* exchange = topology_.findExchange(stuck.venue);
    // A status request names an order: for a cancel, the order it cancels.
    if (exchange != nullptr && exchange->answersStatusRequests) {
      askStatus(stuck.venue, stuck.orderId, stuck.orderId);
      if (cancel) watch_.statusRequested(stuck.clOrdId);
    }
  }
  // Start-up checks the venue answered "unknown": it never had the order.
  for (const std::string& orderId : watch_.takeUnknownChecked()) {
    auto found = recorder_.findOrder(orderId);
    if (auto* error = std::get_if<RecordError>(&found)) {
      logger_.warning("resend-failed", {{"order", orderId}, {"reason", error->toString()}});
      continue;
    }
    send(std::get<bdb::Record<idl::Order>>(found).reader(), /*possibleResend=*/false);
  }
  for (const VenueWatch::Acknowledgement& ack :
       watch_.takeAcknowledgementsToRecord(now, kAcknowledgementSettle)) {
    auto recorded = recorder_.recordAcknowledgement(ack.orderId, ack.venueOrderId, ack.atNanos);
    if (auto* error = std::get_if<RecordError>(&recorded)) {
      // A later run asks the venue again: nothing is lost but a shortcut.
      logger_.warning("acknowledgement-not-recorded",
                      {{"order", ack.orderId}, {"reason", error->toString()}});
    }
  }
}

void OrderRouter::announced(std::string orderId) {
  // An announcement that reaches this utility after its order was routed by
  // the release mark is never erased by pass(); past the cap the set is
  // dropped, which costs those orders only the release mark's delay.
  if (announced_.size() >= kMaxAnnounced) announced_.clear();
  announced_.insert(std::move(orderId));
}

bool OrderRouter::isDecided(const std::string& orderId) {
  if (announced_.count(orderId) != 0) return true;
  auto released = recorder_.isReleased(orderId);
  if (auto* error = std::get_if<RecordError>(&released)) {
    logger_.warning("route-deferred", {{"order", orderId}, {"reason", error->toString()}});
    return false;
  }
  return std::get<bool>(released);
}

bool OrderRouter::servesVenue(const std::string& venue) const {
  return std::find(site_.venues.begin(), site_.venues.end(), venue) != site_.venues.end();
}

bool OrderRouter::route(idl::Order::Reader order) {
  const std::string orderId = order.getId();
  const std::string venue = order.getVenue();
  if (!servesVenue(venue)) {
    auto rejected = recorder_.recordReject(
        order, {.venueExecId = site_.id + ":reject:" + orderId,
                .kind = idl::Reject::Kind::ORDER_REJECTED,
                .reason = "street utility " + site_.id + " does not serve venue " + venue});
    if (auto* error = std::get_if<RecordError>(&rejected)) {
      logger_.warning("reject-failed", {{"order", orderId}, {"reason", error->toString()}});
      return false;
    }
    logger_.warning("order-rejected", {{"order", orderId}, {"venue", venue}});
    return true;
  }
  // Cancelled before it was routed (a customer utility withdrew an order no
  // replica acknowledged, or the customer cancelled first): closed here,
  // never sent.
  auto cancelled = recorder_.firstCancel(orderId);
  if (auto* error = std::get_if<RecordError>(&cancelled)) {
    logger_.warning("route-failed", {{"order", orderId}, {"reason", error->toString()}});
    return false;
  }
  if (const auto& cancelId = std::get<std::optional<std::string>>(cancelled)) {
    auto closed = recorder_.recordClosure(order, {.venueExecId = site_.id + ":unrouted:" + orderId,
                                                  .reason = idl::Closure::Reason::CANCELLED,
                                                  .cancelRequestId = *cancelId});
    if (auto* error = std::get_if<RecordError>(&closed)) {
      logger_.warning("close-failed", {{"order", orderId}, {"reason", error->toString()}});
      return false;
    }
    if (bus_ != nullptr) bus_->announce(std::get<0>(closed).record.reader());
    logger_.info("order-cancelled-before-routing", {{"order", orderId}, {"cancel", *cancelId}});
    return true;
  }
  auto routed = recorder_.recordRoute(order, orderId);
  if (auto* error = std::get_if<RecordError>(&routed)) {
    // NotReplicated: durable here, so it is routed; anything else is retried.
    if (error->code != RecordErrorCode::kStorage ||
        error->storage.code() != bdb::Status::Code::kNotReplicated) {
      logger_.warning("route-failed", {{"order", orderId}, {"reason", error->toString()}});
      return false;
    }
  } else {
    const Recorded<idl::Route>& route = std::get<0>(routed);
    if (route.duplicate) return true;  // routed (and sent) before
    if (bus_ != nullptr) bus_->announce(route.record.reader());
  }
  send(order, /*possibleResend=*/false);
  return true;
}

void OrderRouter::send(idl::Order::Reader order, bool possibleResend) {
  const std::string orderId = order.getId();
  const std::string venue = order.getVenue();
  exchange::NewOrderMessage message;
  message.session = venue;
  message.clOrdId = orderId;
  message.symbol = order.getSymbol();
  message.side = fixSide(order.getSide());
  message.ordType = fixOrdType(order.getType());
  message.timeInForce = fixTimeInForce(order.getTimeInForce());
  message.priceMicros = order.getType() == idl::OrderType::LIMIT ? order.getLimitPriceMicros() : 0;
  message.quantity = order.getQuantity();
  message.possibleDuplicate = possibleResend;
  initiator_.send(message);
  watch_.sent(VenueWatch::Kind::kOrder, orderId, orderId, venue, clock_());
  logger_.info(possibleResend ? "order-resent" : "order-routed",
               {{"order", orderId}, {"venue", venue}});
}

void OrderRouter::requestCancel(idl::CancelRequest::Reader request) {
  const std::string requestId = request.getId();
  const std::string orderId = request.getOrderId();
  if (sentCancels_.count(requestId) != 0 || pendingOrders_.count(orderId) != 0) return;
  auto found = recorder_.findOrder(orderId);
  if (auto* error = std::get_if<RecordError>(&found)) {
    logger_.warning("cancel-deferred", {{"cancel", requestId}, {"reason", error->toString()}});
    return;
  }
  idl::Order::Reader order = std::get<bdb::Record<idl::Order>>(found).reader();
  exchange::CancelRequestMessage message;
  message.session = order.getVenue();
  message.clOrdId = requestId;
  message.origClOrdId = orderId;
  message.symbol = order.getSymbol();
  message.side = fixSide(order.getSide());
  if (!initiator_.send(message)) {
    logger_.warning("cancel-unsendable", {{"cancel", requestId}, {"venue", message.session}});
  }
  sentCancels_.insert(requestId);
  watch_.sent(VenueWatch::Kind::kCancel, requestId, orderId, message.session, clock_());
  logger_.info("cancel-sent", {{"cancel", requestId}, {"order", orderId}});
}

}  // namespace triad::street
