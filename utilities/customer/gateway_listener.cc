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

GatewayListener::GatewayListener(CustomerService& service, kj::Own<kj::ConnectionReceiver> listener)
    : service_(service), listener_(kj::mv(listener)), connections_(*this) {}

GatewayListener::~GatewayListener() noexcept = default;

kj::Promise<void> GatewayListener::run() {
  return listener_->accept().then([this](kj::Own<kj::AsyncIoStream> stream) {
    std::string peer = peerAddressOf(*stream);
    auto rpc =
        kj::heap<capnp::TwoPartyClient>(*stream, kj::heap<GatewayServer>(service_, kj::mv(peer)),
                                        capnp::rpc::twoparty::Side::SERVER);
    kj::Promise<void> done = rpc->onDisconnect();
    // The RPC system goes before the stream it reads.
    connections_.add(done.attach(kj::mv(rpc)).attach(kj::mv(stream)));
    return run();
  });
}

void GatewayListener::taskFailed(kj::Exception&& exception) {
  // One customer's connection failed (a reset, a protocol error): only that
  // one ends.
  service_.logger().info("gateway-connection-ended",
                         {{"reason", exception.getDescription().cStr()}});
}

}  // namespace triad::customer
