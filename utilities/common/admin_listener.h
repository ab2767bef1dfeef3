// Admin as every daemon serves it (issue 17): mutual TLS only, each call
// checked against the operators' role map.
//
// Each connection is a TLS handshake that must present a client certificate
// issued by the operators' CA (`--admin-tls DIR`: DIR/ca.crt); plaintext, no
// certificate or one from another CA is refused at the handshake, counted
// (accessStats.refusedConnections) and logged as an alarm. The certificate's
// common name is the operator. Every call on the connection is then checked
// against the role map in force at that moment (OperatorAccess::refusal), so
// a role map reloaded on SIGHUP that revokes an operator refuses their next
// call on a connection already open. A refused call is answered
// `permissionDenied` with the reason naming the role it needs: in the
// AdminResult of a method that has one, else as the call's exception
// ("permissionDenied: ..."); it is logged as an alarm ("permission-denied").
//
// Thread-safety: runs on the daemon's event loop thread.

#pragma once

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/compat/tls.h>

#include "base/log.h"
#include "utilities/common/admin_server.h"
#include "utilities/common/operator_access.h"

namespace triad::common {

class AdminListener final : private kj::TaskSet::ErrorHandler {
 public:
  // Every referent must outlive the listener; destroying it closes every
  // Admin connection.
  AdminListener(kj::Own<kj::ConnectionReceiver> receiver, kj::TlsContext& tls, kj::Timer& timer,
                AdminServer& admin, OperatorAccess& access, base::Logger& logger);

  // Accepts until the listener is destroyed; rejects only if accepting fails.
  kj::Promise<void> run();

 private:
  struct Connection;
  kj::Promise<void> serve(kj::AuthenticatedStream stream);
  void taskFailed(kj::Exception&& exception) override;

  kj::Own<kj::ConnectionReceiver> receiver_;
  kj::TlsContext& tls_;
  kj::Timer& timer_;
  AdminServer& admin_;
  OperatorAccess& access_;
  base::Logger& logger_;
  kj::TaskSet connections_;
};

// The capability one operator's connection is served by: checks each call,
// then hands it to the daemon's AdminServer naming the caller.
class OperatorGate final : public capnp::Capability::Server {
 public:
  OperatorGate(AdminServer& admin, OperatorAccess& access, base::Logger& logger,
               OperatorCaller caller);

  DispatchCallResult dispatchCall(
      uint64_t interfaceId, uint16_t methodId,
      capnp::CallContext<capnp::AnyPointer, capnp::AnyPointer> context) override;

 private:
  AdminServer& admin_;
  OperatorAccess& access_;
  base::Logger& logger_;
  OperatorCaller caller_;
};

}  // namespace triad::common
