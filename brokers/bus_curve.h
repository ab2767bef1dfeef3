// CURVE on a bus (ZeroMQ's CurveZMQ, RFC 26, with ZAP, RFC 27): every
// connection to the broker is encrypted, the broker proves it holds the bus's
// secret key, and it admits only clients whose public key it was given.
// Optional per deployment; the firm bus is the one that carries orders.
//
// The keys are the deployment's CURVE identities (base/curve.h): the broker
// reads firm-bus.secret and every other *.public (the clients it admits); a
// utility reads its own <id>.secret and firm-bus.public.
//
// Thread-safety: the loaders and key functions are pure.

#pragma once

#include <zmq.hpp>

#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "base/curve.h"

namespace triad::brokers {

using base::curveAvailable;
using base::CurveError;
using base::CurveKeyPair;
using base::ensureCurveKeyPair;
using base::makeCurveKeyPair;

// What a publisher or subscriber needs to connect to a CURVE bus.
struct CurveClient {
  std::string serverPublicKey;
  CurveKeyPair own;
};

// What a broker needs to serve a CURVE bus.
struct CurveServer {
  CurveKeyPair own;
  std::set<std::string> allowedClients;  // Z85 public keys
};

// The key files' name for a bus: "firm-bus".
std::string curveBusName(std::string_view bus);

std::variant<CurveServer, CurveError> loadCurveServer(const std::filesystem::path& folder,
                                                      std::string_view busName);
std::variant<CurveClient, CurveError> loadCurveClient(const std::filesystem::path& folder,
                                                      std::string_view busName,
                                                      std::string_view clientName);

// Socket options, set before bind/connect.
void applyCurve(zmq::socket_t& socket, const CurveServer& server);
void applyCurve(zmq::socket_t& socket, const CurveClient& client);

// A bus's ZAP handler: admits a CURVE client whose public key is in the
// allowed set (its user id is the key) and refuses everything else
// (including a client without CURVE, whose handshake the server socket
// already refuses). Each refusal is handed to `onRefused` with the peer's
// address and the key it offered.
class BusAuthenticator {
 public:
  using RefusalFn = std::function<void(const std::string& peerAddress, const std::string& key)>;

  BusAuthenticator(zmq::context_t& context, std::set<std::string> allowedClients,
                   RefusalFn onRefused = nullptr);

  uint64_t refused() const { return authenticator_.refused(); }

 private:
  base::CurveAuthenticator authenticator_;
};

}  // namespace triad::brokers
