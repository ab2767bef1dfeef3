// The customer-facing Cap'n Proto interfaces (idl/customer.capnp): Gateway
// authenticates against the firm replica and hands out a Session bound to
// one account; every Session call acts for that account only.
//
// Thread-safety: both run on the event loop thread; blocking work (Argon2id,
// replicated commits, replica scans) is offloaded to the service's pool.

#pragma once

#include <optional>
#include <string>

#include "idl/customer.capnp.h"
#include "utilities/customer/customer_service.h"
#include "utilities/customer/login_guard.h"

namespace triad::customer {

class GatewayServer final : public idl::Gateway::Server {
 public:
  // `peer`: the customer's address, for the login guard; empty if unknown.
  explicit GatewayServer(CustomerService& service, std::string peer = "")
      : service_(service), peer_(std::move(peer)) {}

 protected:
  kj::Promise<void> login(LoginContext context) override;

 private:
  CustomerService& service_;
  const std::string peer_;
};

class SessionServer final : public idl::Session::Server {
 public:
  SessionServer(CustomerService& service, std::string account, std::string session,
                SessionLease lease)
      : service_(service),
        account_(std::move(account)),
        session_(std::move(session)),
        lease_(std::move(lease)) {}

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
  // The refusal every call of an expired session answers (login_guard.h).
  std::optional<OrderError> expired();

  CustomerService& service_;
  const std::string account_;
  const std::string session_;
  SessionLease lease_;
};

// Fills a wire OrderStatus from a derived view.
void fillStatus(const OrderView& view, idl::OrderStatus::Builder status);

}  // namespace triad::customer
