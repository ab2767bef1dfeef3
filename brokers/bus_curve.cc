#include "brokers/bus_curve.h"

#include <zmq.h>

namespace triad::brokers {
namespace {

constexpr std::string_view kPublicSuffix = ".public";

}  // namespace

std::string curveBusName(std::string_view bus) { return std::string(bus) + "-bus"; }

std::variant<CurveServer, CurveError> loadCurveServer(const std::filesystem::path& folder,
                                                      std::string_view busName) {
  if (!curveAvailable()) return CurveError{"this libzmq was built without CURVE"};
  auto own = base::readCurveKeyPair(folder, busName);
  if (auto* error = std::get_if<CurveError>(&own)) return std::move(*error);
  CurveServer server{.own = std::get<CurveKeyPair>(std::move(own)), .allowedClients = {}};
  std::error_code listed;
  for (const auto& entry : std::filesystem::directory_iterator(folder, listed)) {
    const std::filesystem::path& file = entry.path();
    if (file.extension() != kPublicSuffix ||
        file == base::curveKeyFile(folder, busName, kPublicSuffix)) {
      continue;
    }
    auto key = base::readCurvePublicKey(folder, file.stem().string());
    if (auto* error = std::get_if<CurveError>(&key)) return std::move(*error);
    server.allowedClients.insert(std::get<std::string>(std::move(key)));
  }
  if (listed) {
    return CurveError{"cannot list the CURVE keys in " + folder.string() + ": " + listed.message()};
  }
  if (server.allowedClients.empty()) {
    return CurveError{"no client public keys (*.public) in " + folder.string() +
                      ": the bus would admit nobody"};
  }
  return server;
}

std::variant<CurveClient, CurveError> loadCurveClient(const std::filesystem::path& folder,
                                                      std::string_view busName,
                                                      std::string_view clientName) {
  if (!curveAvailable()) return CurveError{"this libzmq was built without CURVE"};
  auto server = base::readCurvePublicKey(folder, busName);
  if (auto* error = std::get_if<CurveError>(&server)) return std::move(*error);
  auto own = base::readCurveKeyPair(folder, clientName);
  if (auto* error = std::get_if<CurveError>(&own)) return std::move(*error);
  return CurveClient{.serverPublicKey = std::get<std::string>(std::move(server)),
                     .own = std::get<CurveKeyPair>(std::move(own))};
}

void applyCurve(zmq::socket_t& socket, const CurveServer& server) {
  socket.set(zmq::sockopt::curve_server, true);
  socket.set(zmq::sockopt::curve_secretkey, server.own.secretKey);
  // A domain makes ZeroMQ ask the ZAP handler for every client.
  socket.set(zmq::sockopt::zap_domain, "triad");
}

void applyCurve(zmq::socket_t& socket, const CurveClient& client) {
  socket.set(zmq::sockopt::curve_serverkey, client.serverPublicKey);
  socket.set(zmq::sockopt::curve_publickey, client.own.publicKey);
  socket.set(zmq::sockopt::curve_secretkey, client.own.secretKey);
}

BusAuthenticator::BusAuthenticator(zmq::context_t& context, std::set<std::string> allowedClients,
                                   RefusalFn onRefused)
    : authenticator_(
          context,
          [allowed = std::move(allowedClients)](
              const base::ZapRequest& request) -> std::optional<std::string> {
            if (allowed.count(request.publicKey) == 0) return std::nullopt;
            return request.publicKey;
          },
          [onRefused = std::move(onRefused)](const base::ZapRequest& request) {
            if (onRefused) onRefused(request.address, request.publicKey);
          }) {}

}  // namespace triad::brokers
