#include "utilities/customer/gateway_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "utilities/customer/session_servers.h"

namespace triad::customer {

std::string peerAddressOf(kj::AsyncIoStream& stream) {
  sockaddr_storage address{};
  kj::uint length = sizeof(address);
  std::string peer;
  KJ_IF_MAYBE (failed, kj::runCatchingExceptions([&] {
                 stream.getpeername(reinterpret_cast<sockaddr*>(&address), &length);
               })) {
    (void)failed;
    return peer;
  }
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&address)->sin_addr, text, sizeof(text));
  } else if (address.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&address)->sin6_addr, text, sizeof(text));
  }
  peer = text;
  return peer;
}

GatewayListener::GatewayListener(CustomerService& service, kj::Own<kj::ConnectionReceiver> listener,
                                 kj::Timer& timer, kj::Maybe<kj::Own<kj::TlsContext>> tls)
    : service_(service),
      listener_(kj::mv(listener)),
      timer_(timer),
      tls_(kj::mv(tls)),
      connections_(*this) {}

GatewayListener::~GatewayListener() noexcept = default;

kj::Promise<void> GatewayListener::run() {
  return listener_->accept().then([this](kj::Own<kj::AsyncIoStream> stream) {
    // From the TCP connection itself: what the login guard limits by.
    std::string peer = peerAddressOf(*stream);
    if (tls_ == nullptr) {
      connections_.add(serve(kj::mv(stream), kj::mv(peer)));
    } else {
      // In its own task: a slow handshake does not hold up the next accept.
      connections_.add(handshake(kj::mv(stream), kj::mv(peer)));
    }
    return run();
  });
}

kj::Promise<void> GatewayListener::handshake(kj::Own<kj::AsyncIoStream> stream, std::string peer) {
  kj::TlsContext& tls = *KJ_ASSERT_NONNULL(tls_);
  return timer_.timeoutAfter(kHandshakeTimeout, tls.wrapServer(kj::mv(stream)))
      .then(
          [this, peer](kj::Own<kj::AsyncIoStream> secured) mutable {
            return serve(kj::mv(secured), kj::mv(peer));
          },
          [this, peer](kj::Exception&& exception) {
            // Plaintext, a client that does not trust our CA, no or a wrong
            // client certificate, or too slow: dropped, the port serves on.
            service_.logger().info("gateway-tls-refused",
                                   {{"peer", peer}, {"reason", exception.getDescription().cStr()}});
          });
}

kj::Promise<void> GatewayListener::serve(kj::Own<kj::AsyncIoStream> stream, std::string peer) {
  auto rpc = kj::heap<capnp::TwoPartyClient>(
      *stream, kj::heap<GatewayServer>(service_, kj::mv(peer)), capnp::rpc::twoparty::Side::SERVER);
  kj::Promise<void> done = rpc->onDisconnect();
  // The RPC system goes before the stream it reads.
  return done.attach(kj::mv(rpc)).attach(kj::mv(stream));
}

void GatewayListener::taskFailed(kj::Exception&& exception) {
  // One customer's connection failed (a reset, a protocol error): only that
  // one ends.
  service_.logger().info("gateway-connection-ended",
                         {{"reason", exception.getDescription().cStr()}});
}

}  // namespace triad::customer
