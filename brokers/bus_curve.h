// CURVE on a bus (ZeroMQ's CurveZMQ, RFC 26, with ZAP, RFC 27): every
// connection to the broker is encrypted, the broker proves it holds the bus's
// secret key, and it admits only clients whose public key it was given.
// Optional per deployment; the firm bus is the one that carries orders.
//
// Keys live in one folder per deployment, Z85 text, one key per file:
//   <name>.secret   a secret key (mode 0600); its public key is derived
//   <name>.public   the matching public key
// where <name> is the bus ("firm-bus") or a utility id ("cf1"). The broker
// reads firm-bus.secret and every other *.public (the clients it admits); a
// utility reads its own <id>.secret and firm-bus.public. A host needs only
// its own secret. `triad-bus-keys DIR NAME...` makes missing pairs.
//
// Thread-safety: the loaders and key functions are pure. A CurveAuthenticator
// answers on a thread of its own; construct and destroy it on one thread.

#pragma once

#include <zmq.hpp>

#include <atomic>
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <variant>

namespace triad::brokers {

struct CurveKeyPair {
  std::string publicKey;  // Z85, 40 characters
  std::string secretKey;
};

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

// Why keys could not be loaded or made, in words an operator can act on.
struct CurveError {
  std::string message;
};

// The key files' name for a bus: "firm-bus".
std::string curveBusName(std::string_view bus);

// Whether this libzmq was built with CURVE (Debian's is, with libsodium).
bool curveAvailable();

// A fresh key pair (zmq_curve_keypair).
std::variant<CurveKeyPair, CurveError> makeCurveKeyPair();

// Writes <name>.secret (0600) and <name>.public in `folder` (made if need be)
// unless the secret exists. Returns whether it made a pair.
std::variant<bool, CurveError> ensureCurveKeyPair(const std::filesystem::path& folder,
                                                  std::string_view name);

std::variant<CurveServer, CurveError> loadCurveServer(const std::filesystem::path& folder,
                                                      std::string_view busName);
std::variant<CurveClient, CurveError> loadCurveClient(const std::filesystem::path& folder,
                                                      std::string_view busName,
                                                      std::string_view clientName);

// Socket options, set before bind/connect.
void applyCurve(zmq::socket_t& socket, const CurveServer& server);
void applyCurve(zmq::socket_t& socket, const CurveClient& client);

// The ZAP handler of one ZeroMQ context: admits a CURVE client whose public
// key is in the allowed set and refuses everything else (including a client
// without CURVE, whose handshake the server socket already refuses). Every
// refusal is counted and handed to `onRefused` (on the handler's thread).
// There can be one per context; bind it before the sockets it guards.
class CurveAuthenticator {
 public:
  using RefusalFn = std::function<void(const std::string& peerAddress, const std::string& key)>;

  CurveAuthenticator(zmq::context_t& context, std::set<std::string> allowedClients,
                     RefusalFn onRefused = nullptr);
  ~CurveAuthenticator();
  CurveAuthenticator(const CurveAuthenticator&) = delete;
  CurveAuthenticator& operator=(const CurveAuthenticator&) = delete;

  uint64_t refused() const { return refused_.load(); }

 private:
  void run();

  zmq::socket_t socket_;  // REP on inproc://zeromq.zap.01, used by the thread
  const std::set<std::string> allowed_;
  const RefusalFn onRefused_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> refused_{0};
  std::thread thread_;
};

}  // namespace triad::brokers
