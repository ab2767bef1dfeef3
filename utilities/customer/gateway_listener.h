// Accepts customers' connections on the Gateway's address and serves each
// with its own GatewayServer, told the peer's address: what the login guard
// (login_guard.h) limits failed logins by, besides the account. (A
// TwoPartyServer serves one bootstrap capability to every connection, so it
// cannot say who is calling.)
//
// Thread-safety: lives on the event loop thread.

#pragma once

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>

#include <string>

#include "utilities/customer/customer_service.h"

namespace triad::customer {

class GatewayListener final : private kj::TaskSet::ErrorHandler {
 public:
  GatewayListener(CustomerService& service, kj::Own<kj::ConnectionReceiver> listener);
  ~GatewayListener() noexcept;

  // Accepts until the promise is dropped; each connection lives until the
  // customer disconnects (or this is destroyed).
  kj::Promise<void> run();

 private:
  void taskFailed(kj::Exception&& exception) override;

  CustomerService& service_;
  kj::Own<kj::ConnectionReceiver> listener_;
  kj::TaskSet connections_;
};

// "a.b.c.d" (or an IPv6 text) of the stream's peer; empty when unknown.
std::string peerAddressOf(kj::AsyncIoStream& stream);

}  // namespace triad::customer
