// Accepts customers' connections on the Gateway's address and serves each
// with its own GatewayServer, told the peer's address: what the login guard
// (login_guard.h) limits failed logins by, besides the account. (A
// TwoPartyServer serves one bootstrap capability to every connection, so it
// cannot say who is calling.)
//
// With a TLS context (tls_options.h) every connection must complete a TLS
// handshake, within kHandshakeTimeout, before it is served: a plaintext
// client, or one that does not trust the server's CA (or, when the context
// verifies clients, presents no certificate the CA signed) is dropped and
// logged as gateway-tls-refused, and the port never falls back to plaintext.
// The peer's address is read from the TCP connection, as without TLS.
//
// Thread-safety: lives on the event loop thread.

#pragma once

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/compat/tls.h>

#include <string>

#include "utilities/customer/customer_service.h"

namespace triad::customer {

class GatewayListener final : private kj::TaskSet::ErrorHandler {
 public:
  // How long a client has to complete the TLS handshake.
  static constexpr kj::Duration kHandshakeTimeout = 10 * kj::SECONDS;

  // `tls`: null for plaintext.
  GatewayListener(CustomerService& service, kj::Own<kj::ConnectionReceiver> listener,
                  kj::Timer& timer, kj::Maybe<kj::Own<kj::TlsContext>> tls);
  ~GatewayListener() noexcept;

  // Accepts until the promise is dropped; each connection lives until the
  // customer disconnects (or this is destroyed).
  kj::Promise<void> run();

 private:
  void taskFailed(kj::Exception&& exception) override;
  kj::Promise<void> handshake(kj::Own<kj::AsyncIoStream> stream, std::string peer);
  kj::Promise<void> serve(kj::Own<kj::AsyncIoStream> stream, std::string peer);

  CustomerService& service_;
  kj::Own<kj::ConnectionReceiver> listener_;
  kj::Timer& timer_;
  kj::Maybe<kj::Own<kj::TlsContext>> tls_;
  kj::TaskSet connections_;
};

// "a.b.c.d" (or an IPv6 text) of the stream's peer; empty when unknown.
std::string peerAddressOf(kj::AsyncIoStream& stream);

}  // namespace triad::customer
