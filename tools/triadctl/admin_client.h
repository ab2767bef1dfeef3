// triadctl's side of Admin (idl/admin.capnp), always with a deadline, so that
// a daemon that does not answer never hangs the console.
//
// - AdminClient: one connection for a sequence of calls (the firm's
//   commands); a call past its deadline throws (kj::Exception).
// - askEach: one question put to many daemons at once (status, bus), each
//   bounded by the same deadline, so that the whole round takes at most one
//   timeout however many daemons are down.
// - reachable: whether something accepts TCP connections (the buses and the
//   venues, which do not serve Admin).
//
// Thread-safety: everything runs on the caller's kj event loop.

#pragma once

#include <capnp/rpc-twoparty.h>
#include <kj/async-io.h>
#include <kj/compat/tls.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "idl/admin.capnp.h"

namespace triad::ctl {

struct Endpoint {
  std::string id;  // the daemon's id in the topology: the name its certificate holds
  std::string host;
  uint16_t port = 0;
  // Admin is mutual TLS (issue 17): the operator's certificate and the CA
  // that issued the daemons'. Not owned; null: plaintext (which daemons refuse).
  kj::TlsContext* tls = nullptr;
  std::string text() const { return host + ":" + std::to_string(port); }
};

class AdminClient {
 public:
  // Connects, or throws if no connection is made within `connectTimeout`;
  // every call then waits at most `callTimeout`.
  AdminClient(kj::AsyncIoContext& io, const Endpoint& endpoint, kj::Duration connectTimeout,
              kj::Duration callTimeout);

  idl::Admin::Client& operator*() { return admin_; }
  idl::Admin::Client* operator->() { return &admin_; }

  // Sends and waits at most the timeout. The Response owns what its readers
  // point into: keep it alive while reading.
  template <typename Params, typename Results>
  capnp::Response<Results> call(capnp::Request<Params, Results>&& request) {
    return io_.provider->getTimer().timeoutAfter(timeout_, request.send()).wait(io_.waitScope);
  }

 private:
  kj::AsyncIoContext& io_;
  kj::Duration timeout_;
  kj::Own<kj::AsyncIoStream> stream_;
  kj::Own<capnp::TwoPartyClient> client_;
  idl::Admin::Client admin_ = nullptr;
};

// Connects to every endpoint at once and runs `question(admin, index)` on
// each; `failed(index, reason)` for each that cannot connect, fails or is not
// done within `timeout`. Returns when all are done or failed.
using AdminQuestion = std::function<kj::Promise<void>(idl::Admin::Client& admin, size_t index)>;
void askEach(kj::AsyncIoContext& io, const std::vector<Endpoint>& endpoints, kj::Duration timeout,
             const AdminQuestion& question,
             const std::function<void(size_t index, const kj::Exception& reason)>& failed);

// For each endpoint, whether a TCP connection is accepted within `timeout`
// (all tried at once); `errors[i]` says why not.
std::vector<bool> reachable(kj::AsyncIoContext& io, const std::vector<Endpoint>& endpoints,
                            kj::Duration timeout, std::vector<std::string>* errors);

// One line for a failed call: "no answer within 1500 ms", "connection
// refused", or the exception's own description.
std::string describeFailure(const kj::Exception& exception, kj::Duration timeout);

// True when the exception means the daemon never answered (no connection,
// disconnected, timed out), rather than answering with a failure.
bool isUnreachable(const kj::Exception& exception);

}  // namespace triad::ctl
