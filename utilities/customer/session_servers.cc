#include "utilities/customer/session_servers.h"

#include <capnp/message.h>

#include <chrono>
#include <optional>

#include "utilities/common/call_refusal.h"
#include "utilities/common/crash_point.h"
#include "utilities/common/echo.h"
#include "utilities/customer/watch_hub.h"
#include "utilities/firm/account_reads.h"

namespace triad::customer {
namespace {

int64_t nowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void fillError(const OrderError& error, idl::Error::Builder out) {
  out.setCode(error.code);
  out.setReason(error.reason);
}

// For the calls without an error field: the call fails with the reason.
kj::Promise<void> failCall(const OrderError& error) {
  return common::callRefusal(error.code, error.reason);
}

}  // namespace

void fillStatus(const OrderView& view, idl::OrderStatus::Builder status) {
  status.setOrder(view.order.reader());
  status.setState(view.status.state);
  status.setFilledQuantity(view.status.filledQuantity);
  status.setAveragePriceMicros(view.status.averagePriceMicros);
  status.setLeavesQuantity(view.status.leavesQuantity);
  status.setReason(view.status.reason);
  status.setAsOfNanos(nowNanos());
}

kj::Promise<void> GatewayServer::login(LoginContext context) {
  auto params = context.getParams();
  std::string account = params.getAccount();
  std::string secret = params.getSecret();
  // Refused before the secret is looked at when the account or the peer has
  // failed too often (login_guard.h).
  if (auto limited = service_.loginGuard().attempt(account, peer_)) {
    fillError(*limited, context.getResults().initResult().initError());
    service_.logger().warning("login-rate-limited",
                              {{"account", common::echo(account)}, {"peer", peer_}});
    return kj::READY_NOW;
  }
  bdb::OwnershipGroup* firm = &service_.firmReplica();
  return service_.offload()
      .run<firm::Result<>>(
          [firm, account, secret] { return firm::authenticate(*firm, account, secret); })
      .then([this, context, account](firm::Result<> verdict) mutable {
        auto result = context.getResults().initResult();
        if (!verdict.isOk()) {
          auto error = result.initError();
          error.setCode(verdict.error().code);
          error.setReason(verdict.error().reason);
          service_.logger().info("login-refused",
                                 {{"account", common::echo(account)}, {"peer", peer_}});
          return;
        }
        service_.loginGuard().succeeded(account, peer_);
        std::string session = service_.newSessionId();
        service_.logger().info("login", {{"account", account}, {"session", session}});
        result.setSession(
            kj::heap<SessionServer>(service_, account, session, service_.loginGuard().newLease()));
      });
}

std::optional<OrderError> SessionServer::expired() {
  const bool alreadyLapsed = lease_.lapsed();
  if (lease_.renew()) return std::nullopt;
  if (!alreadyLapsed) {
    service_.logger().info("session-expired", {{"account", account_}, {"session", session_}});
  }
  return lease_.expired();
}

kj::Promise<void> SessionServer::placeOrder(PlaceOrderContext context) {
  if (auto refused = expired()) {
    fillError(*refused, context.getResults().initResult().initError());
    return kj::READY_NOW;
  }
  // The request is copied: the pool thread must not read the call's message.
  auto request = std::make_shared<capnp::MallocMessageBuilder>();
  request->setRoot(context.getParams().getRequest());
  return service_.offload()
      .run<Outcome<OrderView>>([this, request] {
        return service_.desk().place(account_, session_,
                                     request->getRoot<idl::OrderRequest>().asReader());
      })
      .then([this, context](Outcome<OrderView> outcome) mutable {
        auto result = context.getResults().initResult();
        if (auto* refused = std::get_if<OrderError>(&outcome)) {
          return fillError(*refused, result.initError());
        }
        const OrderView& view = std::get<OrderView>(outcome);
        fillStatus(view, result.initStatus());
        common::crashPoint("customer.after-commit");
        service_.announceOrder(view.order.reader());
      });
}

kj::Promise<void> SessionServer::cancelOrder(CancelOrderContext context) {
  if (auto refused = expired()) {
    fillError(*refused, context.getResults().initResult().initError());
    return kj::READY_NOW;
  }
  std::string orderId = context.getParams().getOrderId();
  return service_.offload()
      .run<std::pair<Outcome<std::string>, std::string>>([this, orderId] {
        Outcome<std::string> cancel = service_.desk().cancel(account_, orderId);
        std::string street;
        if (std::holds_alternative<std::string>(cancel)) {
          Outcome<OrderView> order = service_.desk().status(account_, orderId);
          if (auto* found = std::get_if<OrderView>(&order)) street = found->order->getStreet();
        }
        return std::make_pair(std::move(cancel), street);
      })
      .then([this, context, orderId](std::pair<Outcome<std::string>, std::string> done) mutable {
        auto result = context.getResults().initResult();
        if (auto* refused = std::get_if<OrderError>(&done.first)) {
          return fillError(*refused, result.initError());
        }
        const std::string& cancelId = std::get<std::string>(done.first);
        result.setRequestId(cancelId);
        service_.announceCancel(done.second, orderId, cancelId);
      });
}

kj::Promise<void> SessionServer::orderStatus(OrderStatusContext context) {
  if (auto refused = expired()) {
    fillError(*refused, context.getResults().initResult().initError());
    return kj::READY_NOW;
  }
  std::string orderId = context.getParams().getOrderId();
  return service_.offload()
      .run<Outcome<OrderView>>(
          [this, orderId] { return service_.desk().status(account_, orderId); })
      .then([context](Outcome<OrderView> outcome) mutable {
        auto result = context.getResults().initResult();
        if (auto* refused = std::get_if<OrderError>(&outcome)) {
          return fillError(*refused, result.initError());
        }
        fillStatus(std::get<OrderView>(outcome), result.initStatus());
      });
}

kj::Promise<void> SessionServer::listOrders(ListOrdersContext context) {
  if (auto refused = expired()) return failCall(*refused);
  const bool openOnly = context.getParams().getOpenOnly();
  return service_.offload()
      .run<Outcome<std::vector<OrderView>>>(
          [this, openOnly] { return service_.desk().list(account_, openOnly); })
      .then([context](Outcome<std::vector<OrderView>> outcome) mutable {
        // listOrders has no error field: a storage failure fails the call.
        if (auto* refused = std::get_if<OrderError>(&outcome)) {
          kj::throwFatalException(common::callRefusal(refused->code, refused->reason));
        }
        const auto& views = std::get<std::vector<OrderView>>(outcome);
        auto orders = context.getResults().initOrders(static_cast<unsigned>(views.size()));
        for (unsigned i = 0; i < views.size(); ++i) fillStatus(views[i], orders[i]);
      });
}

kj::Promise<void> SessionServer::balance(BalanceContext context) {
  if (auto refused = expired()) {
    fillError(*refused, context.getResults().initResult().initError());
    return kj::READY_NOW;
  }
  bdb::OwnershipGroup* firm = &service_.firmReplica();
  struct Answer {
    std::optional<firm::Result<firm::CashBalance>> cash;
    int64_t reservedMicros = 0;
    std::string currency;
  };
  return service_.offload()
      .run<std::shared_ptr<Answer>>([this, firm] {
        auto answer = std::make_shared<Answer>();
        answer->currency = "USD";
        answer->cash = firm::balanceOf(*firm, account_, answer->currency);
        Outcome<std::vector<OrderView>> open = service_.desk().list(account_, true);
        if (auto* views = std::get_if<std::vector<OrderView>>(&open)) {
          for (const OrderView& view : *views) {
            answer->reservedMicros +=
                BuyingPower::heldBy(view.order.reader(), view.status.leavesQuantity);
          }
        }
        return answer;
      })
      .then([context](std::shared_ptr<Answer> answer) mutable {
        auto result = context.getResults().initResult();
        const firm::Result<firm::CashBalance>& cash = *answer->cash;
        if (!cash.isOk()) {
          auto error = result.initError();
          error.setCode(cash.error().code);
          error.setReason(cash.error().reason);
          return;
        }
        auto balance = result.initBalance();
        balance.setCurrency(answer->currency);
        balance.setTradeDateMicros(cash.value().tradeDateMicros);
        balance.setSettledMicros(cash.value().settledMicros);
        balance.setReservedMicros(answer->reservedMicros);
        balance.setBuyingPowerMicros(cash.value().tradeDateMicros - answer->reservedMicros);
      });
}

kj::Promise<void> SessionServer::positions(PositionsContext context) {
  if (auto refused = expired()) return failCall(*refused);
  bdb::OwnershipGroup* firm = &service_.firmReplica();
  return service_.offload()
      .run<firm::Result<std::vector<firm::PositionSummary>>>(
          [this, firm] { return firm::positionsOf(*firm, account_); })
      .then([context](firm::Result<std::vector<firm::PositionSummary>> held) mutable {
        KJ_REQUIRE(held.isOk(), "cannot read positions", held.error().reason);
        auto out = context.getResults().initPositions(static_cast<unsigned>(held.value().size()));
        for (unsigned i = 0; i < held.value().size(); ++i) {
          const firm::PositionSummary& position = held.value()[i];
          out[i].setSymbol(position.symbol);
          out[i].setQuantity(position.quantity);
          out[i].setAverageCostMicros(position.averageCostMicros);
          out[i].setRealisedPnlMicros(position.realisedPnlMicros);
        }
      });
}

kj::Promise<void> SessionServer::watch(WatchContext context) {
  if (auto refused = expired()) return failCall(*refused);
  WatchHub* hub = service_.watchHub();
  KJ_REQUIRE(hub != nullptr, "watch is not available until the customer utility has started");
  context.getResults().setSubscription(hub->watch(account_, context.getParams().getListener()));
  service_.logger().info("watch", {{"account", account_}, {"session", session_}});
  return kj::READY_NOW;
}

kj::Promise<void> SessionServer::logout(LogoutContext) {
  service_.logger().info("logout", {{"account", account_}, {"session", session_}});
  return kj::READY_NOW;
}

}  // namespace triad::customer
