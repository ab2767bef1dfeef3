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

bool OrderRouter::resendUnfinished() {
  auto unfinished = recorder_.unfinishedRoutes();
  if (auto* error = std::get_if<RecordError>(&unfinished)) {
    logger_.warning("resend-deferred", {{"reason", error->toString()}});
    return false;
  }
  for (const bdb::Record<idl::Order>& order : std::get<0>(unfinished)) {
    send(order.reader(), /*possibleResend=*/true);
  }
  logger_.info("unfinished-routes-resent",
               {{"orders", static_cast<int64_t>(std::get<0>(unfinished).size())}});
  return true;
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
  logger_.info("cancel-sent", {{"cancel", requestId}, {"order", orderId}});
}

}  // namespace triad::street
