#include "utilities/common/admin_listener.h"

#include <capnp/dynamic.h>
#include <capnp/schema.h>
#include <kj/debug.h>

#include <string>

namespace triad::common {
namespace {

constexpr kj::Duration kHandshakeTimeout = 10 * kj::SECONDS;

std::string peerOf(kj::PeerIdentity& identity) {
  KJ_IF_MAYBE (network, kj::dynamicDowncastIfAvailable<kj::NetworkPeerIdentity>(identity)) {
    return network->getAddress().toString().cStr();
  }
  return identity.toString().cStr();
}

}  // namespace

struct AdminListener::Connection {
  Connection(kj::Own<kj::AsyncIoStream> stream, capnp::Capability::Client bootstrap)
      : stream(kj::mv(stream)),
        network(*this->stream, capnp::rpc::twoparty::Side::SERVER),
        rpc(capnp::makeRpcServer(network, kj::mv(bootstrap))) {}
  kj::Own<kj::AsyncIoStream> stream;
  capnp::TwoPartyVatNetwork network;
  capnp::RpcSystem<capnp::rpc::twoparty::VatId> rpc;
};

AdminListener::AdminListener(kj::Own<kj::ConnectionReceiver> receiver, kj::TlsContext& tls,
                             kj::Timer& timer, AdminServer& admin, OperatorAccess& access,
                             base::Logger& logger)
    : receiver_(kj::mv(receiver)),
      tls_(tls),
      timer_(timer),
      admin_(admin),
      access_(access),
      logger_(logger),
      connections_(*this) {}

kj::Promise<void> AdminListener::run() {
  return receiver_->acceptAuthenticated().then([this](kj::AuthenticatedStream stream) {
    connections_.add(serve(kj::mv(stream)));
    return run();
  });
}

kj::Promise<void> AdminListener::serve(kj::AuthenticatedStream stream) {
  std::string peer = peerOf(*stream.peerIdentity);
  return timer_.timeoutAfter(kj::Duration(kHandshakeTimeout), tls_.wrapServer(kj::mv(stream)))
      .then(
          [this, peer](kj::AuthenticatedStream secured) -> kj::Promise<void> {
            auto& identity = kj::downcast<kj::TlsPeerIdentity>(*secured.peerIdentity);
            if (!identity.hasCertificate()) {
              access_.countRefusedConnection();
              logger_.warning("admin-connection-refused",
                              {{"alarm", true}, {"peer", peer}, {"reason", "no certificate"}});
              return kj::READY_NOW;
            }
            OperatorCaller caller{identity.getCommonName().cStr(), peer};
            logger_.debug("admin-connection", {{"operator", caller.name}, {"peer", peer}});
            auto connection = kj::heap<Connection>(
                kj::mv(secured.stream),
                kj::heap<OperatorGate>(admin_, access_, logger_, kj::mv(caller)));
            kj::Promise<void> closed = connection->network.onDisconnect();
            return closed.attach(kj::mv(connection));
          },
          [this, peer](kj::Exception&& exception) {
            // Plaintext, no certificate, another CA's, or silence.
            access_.countRefusedConnection();
            logger_.warning(
                "admin-connection-refused",
                {{"alarm", true}, {"peer", peer}, {"reason", exception.getDescription().cStr()}});
          });
}

void AdminListener::taskFailed(kj::Exception&& exception) {
  // One connection's failure (the peer went away mid-call): not the daemon's.
  logger_.info("admin-connection-closed", {{"reason", exception.getDescription().cStr()}});
}

OperatorGate::OperatorGate(AdminServer& admin, OperatorAccess& access, base::Logger& logger,
                           OperatorCaller caller)
    : admin_(admin), access_(access), logger_(logger), caller_(kj::mv(caller)) {}

OperatorGate::DispatchCallResult OperatorGate::dispatchCall(
    uint64_t interfaceId, uint16_t methodId,
    capnp::CallContext<capnp::AnyPointer, capnp::AnyPointer> context) {
  const capnp::InterfaceSchema schema = capnp::Schema::from<idl::Admin>();
  if (interfaceId != schema.getProto().getId() || methodId >= schema.getMethods().size()) {
    return admin_.dispatchFrom(caller_, interfaceId, methodId, context);
  }
  const capnp::InterfaceSchema::Method method = schema.getMethods()[methodId];
  const std::string name = method.getProto().getName().cStr();
  std::optional<std::string> refusal = access_.refusal(caller_, name);
  if (!refusal) return admin_.dispatchFrom(caller_, interfaceId, methodId, context);

  logger_.warning("permission-denied", {{"alarm", true},
                                        {"operator", caller_.name},
                                        {"peer", caller_.peer},
                                        {"call", name},
                                        {"reason", *refusal}});
  // A method whose results hold an AdminResult answers with it; any other
  // fails the call.
  const capnp::StructSchema results = method.getResultType();
  KJ_IF_MAYBE (field, results.findFieldByName("result")) {
    if (field->getType().isStruct() &&
        field->getType().asStruct() == capnp::Schema::from<idl::AdminResult>()) {
      capnp::DynamicStruct::Builder out =
          context.getResults().initAs<capnp::DynamicStruct>(results);
      setAdminError(out.init(*field).as<capnp::DynamicStruct>().as<idl::AdminResult>(),
                    idl::ErrorCode::PERMISSION_DENIED, *refusal);
      return {kj::READY_NOW, false};
    }
  }
  return {KJ_EXCEPTION(FAILED, kj::str("permissionDenied: ", refusal->c_str())), false};
}

}  // namespace triad::common
