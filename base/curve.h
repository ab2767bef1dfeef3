// CurveZMQ identities (RFC 26) and their ZAP admission (RFC 27), shared by
// the firm bus (brokers/bus_curve.h) and the replication transport
// (bdb/replication_transport.h): a site proves who it is with one key pair,
// whatever it connects to.
//
// Keys live in one folder per deployment, Z85 text, one key per file:
//   <name>.secret   a secret key (mode 0600); its public key is derived
//   <name>.public   the matching public key
// where <name> is a utility id ("cf1") or a bus ("firm-bus"). A host needs
// only its own secret and the public keys of those it talks to.
// `triad-bus-keys DIR NAME...` makes missing pairs.
//
// Thread-safety: the loaders and key functions are pure. A CurveAuthenticator
// answers on a thread of its own; construct and destroy it on one thread.

#pragma once

#include <zmq.hpp>

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <variant>

namespace triad::base {

struct CurveKeyPair {
  std::string publicKey;  // Z85, 40 characters
  std::string secretKey;
};

// Why keys could not be loaded or made, in words an operator can act on.
struct CurveError {
  std::string message;
};

// Whether this libzmq was built with CURVE (Debian's is, with libsodium).
bool curveAvailable();

// A fresh key pair (zmq_curve_keypair).
std::variant<CurveKeyPair, CurveError> makeCurveKeyPair();

// Writes <name>.secret (0600) and <name>.public in `folder` (made if need be)
// unless the secret exists. Returns whether it made a pair.
std::variant<bool, CurveError> ensureCurveKeyPair(const std::filesystem::path& folder,
                                                  std::string_view name);

// <name>.secret in `folder`, with its public key derived from it.
std::variant<CurveKeyPair, CurveError> readCurveKeyPair(const std::filesystem::path& folder,
                                                        std::string_view name);
// <name>.public in `folder`.
std::variant<std::string, CurveError> readCurvePublicKey(const std::filesystem::path& folder,
                                                         std::string_view name);

// The path of <name><suffix> in `folder` (".secret" or ".public").
std::filesystem::path curveKeyFile(const std::filesystem::path& folder, std::string_view name,
                                   std::string_view suffix);

// What a ZAP request asks about one connection.
struct ZapRequest {
  std::string domain;     // the server socket's ZMQ_ZAP_DOMAIN
  std::string address;    // the client's IP address
  std::string routingId;  // the client socket's ZMQ_ROUTING_ID (may be empty)
  std::string publicKey;  // Z85; empty unless the mechanism is CURVE
};

// The ZAP handler of one ZeroMQ context: asks `admit` about every CURVE
// client; a client is admitted when it answers a user id, which ZeroMQ then
// attaches to every message from that connection as its "User-Id" property.
// Everything else (another mechanism, a malformed request, no answer) is
// refused, counted and handed to `onRefused` (on the handler's thread).
// There can be one per context; bind it before the sockets it guards.
class CurveAuthenticator {
 public:
  using AdmitFn = std::function<std::optional<std::string>(const ZapRequest&)>;
  using RefusalFn = std::function<void(const ZapRequest&)>;

  CurveAuthenticator(zmq::context_t& context, AdmitFn admit, RefusalFn onRefused = nullptr);
  ~CurveAuthenticator();
  CurveAuthenticator(const CurveAuthenticator&) = delete;
  CurveAuthenticator& operator=(const CurveAuthenticator&) = delete;

  uint64_t refused() const { return refused_.load(); }

 private:
  void run();

  zmq::socket_t socket_;  // REP on inproc://zeromq.zap.01, used by the thread
  const AdmitFn admit_;
  const RefusalFn onRefused_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> refused_{0};
  std::thread thread_;
};

}  // namespace triad::base
