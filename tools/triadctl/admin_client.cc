#include "tools/triadctl/admin_client.h"

#include <kj/vector.h>

namespace triad::ctl {
namespace {

kj::Promise<kj::Own<kj::AsyncIoStream>> tcp(kj::AsyncIoContext& io, const Endpoint& endpoint) {
  return io.provider->getNetwork()
      .parseAddress(endpoint.host, endpoint.port)
      .then([](kj::Own<kj::NetworkAddress> address) { return address->connect(); });
}

// Through TLS when the endpoint has it: the daemon's certificate must name its id.
kj::Promise<kj::Own<kj::AsyncIoStream>> connect(kj::AsyncIoContext& io, const Endpoint& endpoint) {
  if (endpoint.tls == nullptr) return tcp(io, endpoint);
  return tcp(io, endpoint)
      .then([tls = endpoint.tls, id = endpoint.id](kj::Own<kj::AsyncIoStream> stream) {
        return tls->wrapClient(kj::mv(stream), id.c_str());
      });
}

}  // namespace

AdminClient::AdminClient(kj::AsyncIoContext& io, const Endpoint& endpoint,
                         kj::Duration connectTimeout, kj::Duration callTimeout)
    : io_(io), timeout_(callTimeout) {
  stream_ = io.provider->getTimer()
                .timeoutAfter(connectTimeout, connect(io, endpoint))
                .wait(io.waitScope);
  client_ = kj::heap<capnp::TwoPartyClient>(*stream_);
  admin_ = client_->bootstrap().castAs<idl::Admin>();
}

void askEach(kj::AsyncIoContext& io, const std::vector<Endpoint>& endpoints, kj::Duration timeout,
             const AdminQuestion& question,
             const std::function<void(size_t index, const kj::Exception& reason)>& failed) {
  kj::Vector<kj::Promise<void>> all;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    kj::Promise<void> asked =
        connect(io, endpoints[i]).then([&question, i](kj::Own<kj::AsyncIoStream> stream) {
          auto client = kj::heap<capnp::TwoPartyClient>(*stream);
          auto admin = kj::heap<idl::Admin::Client>(client->bootstrap().castAs<idl::Admin>());
          kj::Promise<void> answered = question(*admin, i);
          // Released in this order: the capability, the RPC system, the stream.
          return answered.attach(kj::mv(admin)).attach(kj::mv(client)).attach(kj::mv(stream));
        });
    all.add(io.provider->getTimer()
                .timeoutAfter(timeout, kj::mv(asked))
                .catch_([&failed, i](kj::Exception&& exception) { failed(i, exception); }));
  }
  kj::joinPromises(all.releaseAsArray()).wait(io.waitScope);
}

std::vector<bool> reachable(kj::AsyncIoContext& io, const std::vector<Endpoint>& endpoints,
                            kj::Duration timeout, std::vector<std::string>* errors) {
  std::vector<bool> up(endpoints.size(), false);
  errors->assign(endpoints.size(), "");
  kj::Vector<kj::Promise<void>> all;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    all.add(io.provider->getTimer()
                .timeoutAfter(timeout, tcp(io, endpoints[i]))
                .then([&up, i](kj::Own<kj::AsyncIoStream>) { up[i] = true; },
                      [errors, i, timeout](kj::Exception&& exception) {
                        (*errors)[i] = describeFailure(exception, timeout);
                      }));
  }
  kj::joinPromises(all.releaseAsArray()).wait(io.waitScope);
  return up;
}

std::string describeFailure(const kj::Exception& exception, kj::Duration timeout) {
  const std::string text = exception.getDescription().cStr();
  if (text.find("timed out") != std::string::npos) {
    return "no answer within " + std::to_string(timeout / kj::MILLISECONDS) + " ms";
  }
  if (text.find("Connection refused") != std::string::npos ||
      text.find("ECONNREFUSED") != std::string::npos) {
    return "connection refused";
  }
  if (exception.getType() == kj::Exception::Type::DISCONNECTED) return "disconnected: " + text;
  return text;
}

}  // namespace triad::ctl

namespace triad::ctl {

bool isUnreachable(const kj::Exception& exception) {
  const std::string text = exception.getDescription().cStr();
  return exception.getType() == kj::Exception::Type::DISCONNECTED ||
         text.find("timed out") != std::string::npos;
}

}  // namespace triad::ctl
