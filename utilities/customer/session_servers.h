// The customer-facing Cap'n Proto interfaces (idl/customer.capnp): Gateway
// authenticates against the firm replica and hands out a Session bound to
// one account; every Session call acts for that account only.
//
// Thread-safety: both run on the event loop thread; blocking work (Argon2id,
// replicated commits, replica scans) is offloaded to the service's pool.

#pragma once

#include <string>

#include "idl/customer.capnp.h"
#include "utilities/customer/customer_service.h"

namespace triad::customer {

class GatewayServer final : public idl::Gateway::Server {
 public:
  explicit GatewayServer(CustomerService& service) : service_(service) {}

 protected:
  kj::Promise<void> login(LoginContext context) override;

 private:
  CustomerService& service_;
  uint64_t sessions_ = 0;
};

class SessionServer final : public idl::Session::Server {
 public:
  SessionServer(CustomerService& service, std::string account, std::string session)
      : service_(service), account_(std::move(account)), session_(std::move(session)) {}

 protected:
  kj::Promise<void> placeOrder(PlaceOrderContext context) override;
  kj::Promise<void> cancelOrder(CancelOrderContext context) override;
  kj::Promise<void> orderStatus(OrderStatusContext context) override;
  kj::Promise<void> listOrders(ListOrdersContext context) override;
  kj::Promise<void> balance(BalanceContext context) override;
  kj::Promise<void> positions(PositionsContext context) override;
  kj::Promise<void> watch(WatchContext context) override;
  kj::Promise<void> logout(LogoutContext context) override;

 private:
  CustomerService& service_;
  const std::string account_;
  const std::string session_;
};

// Fills a wire OrderStatus from a derived view.
void fillStatus(const OrderView& view, idl::OrderStatus::Builder status);

}  // namespace triad::customer
