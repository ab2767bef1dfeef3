#include "base/curve.h"

#include <fcntl.h>
#include <unistd.h>
#include <zmq.h>

#include <zmq_addon.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <vector>

namespace triad::base {
namespace {

constexpr size_t kZ85KeyLength = 40;
constexpr size_t kBinaryKeyLength = 32;
constexpr std::string_view kSecretSuffix = ".secret";
constexpr std::string_view kPublicSuffix = ".public";
constexpr std::chrono::milliseconds kStopPoll{100};

bool isZ85Key(const std::string& key) {
  if (key.size() != kZ85KeyLength) return false;
  std::array<uint8_t, kBinaryKeyLength> binary{};
  return zmq_z85_decode(binary.data(), key.c_str()) != nullptr;
}

// The one key in a key file, or why not.
std::variant<std::string, CurveError> readKey(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) {
    return CurveError{"cannot read the CURVE key " + file.string() + ": " + std::strerror(errno)};
  }
  std::string key;
  in >> key;
  if (!isZ85Key(key)) {
    return CurveError{"the CURVE key in " + file.string() +
                      " is not a Z85 key of 40 characters (made by triad-bus-keys)"};
  }
  return key;
}

// Creates `file` with `text` and `mode`; fails if it exists.
std::optional<CurveError> writeNew(const std::filesystem::path& file, const std::string& text,
                                   mode_t mode) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return CurveError{"cannot create " + file.string() + ": " + std::strerror(errno)};
  const std::string line = text + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  const int savedErrno = errno;
  const bool synced = written && ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) {
    return CurveError{"cannot write " + file.string() + ": " + std::strerror(savedErrno)};
  }
  return std::nullopt;
}

std::string frameText(const zmq::message_t& frame) { return frame.to_string(); }

}  // namespace

std::filesystem::path curveKeyFile(const std::filesystem::path& folder, std::string_view name,
                                   std::string_view suffix) {
  return folder / (std::string(name) + std::string(suffix));
}

bool curveAvailable() { return zmq_has("curve") != 0; }

std::variant<CurveKeyPair, CurveError> makeCurveKeyPair() {
  std::array<char, kZ85KeyLength + 1> publicKey{};
  std::array<char, kZ85KeyLength + 1> secretKey{};
  if (zmq_curve_keypair(publicKey.data(), secretKey.data()) != 0) {
    return CurveError{std::string("cannot make a CURVE key pair: ") + zmq_strerror(zmq_errno()) +
                      " (is libzmq built with CURVE?)"};
  }
  return CurveKeyPair{.publicKey = publicKey.data(), .secretKey = secretKey.data()};
}

std::variant<bool, CurveError> ensureCurveKeyPair(const std::filesystem::path& folder,
                                                  std::string_view name) {
  const std::filesystem::path secretFile = curveKeyFile(folder, name, kSecretSuffix);
  const std::filesystem::path publicFile = curveKeyFile(folder, name, kPublicSuffix);
  std::error_code exists;
  if (std::filesystem::exists(secretFile, exists)) return false;
  if (std::filesystem::create_directories(folder, exists); exists) {
    return CurveError{"cannot create " + folder.string() + ": " + exists.message()};
  }
  auto made = makeCurveKeyPair();
  if (auto* error = std::get_if<CurveError>(&made)) return std::move(*error);
  const CurveKeyPair& pair = std::get<CurveKeyPair>(made);
  if (auto error = writeNew(secretFile, pair.secretKey, 0600)) return std::move(*error);
  std::filesystem::remove(publicFile, exists);  // a stale public key of a lost secret
  if (auto error = writeNew(publicFile, pair.publicKey, 0644)) return std::move(*error);
  return true;
}

std::variant<CurveKeyPair, CurveError> readCurveKeyPair(const std::filesystem::path& folder,
                                                        std::string_view name) {
  const std::filesystem::path secretFile = curveKeyFile(folder, name, kSecretSuffix);
  auto secret = readKey(secretFile);
  if (auto* error = std::get_if<CurveError>(&secret)) return std::move(*error);
  CurveKeyPair pair{.publicKey = std::string(kZ85KeyLength + 1, '\0'),
                    .secretKey = std::get<std::string>(std::move(secret))};
  if (zmq_curve_public(pair.publicKey.data(), pair.secretKey.c_str()) != 0) {
    return CurveError{"cannot derive the public key of " + secretFile.string() + ": " +
                      zmq_strerror(zmq_errno())};
  }
  pair.publicKey.resize(kZ85KeyLength);
  return pair;
}

std::variant<std::string, CurveError> readCurvePublicKey(const std::filesystem::path& folder,
                                                         std::string_view name) {
  return readKey(curveKeyFile(folder, name, kPublicSuffix));
}

CurveAuthenticator::CurveAuthenticator(zmq::context_t& context, AdmitFn admit, RefusalFn onRefused)
    : socket_(context, zmq::socket_type::rep),
      admit_(std::move(admit)),
      onRefused_(std::move(onRefused)) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind("inproc://zeromq.zap.01");
  // Starting the thread is the memory barrier that hands the socket over.
  thread_ = std::thread([this] { run(); });
}

CurveAuthenticator::~CurveAuthenticator() {
  stopping_ = true;
  thread_.join();
}

void CurveAuthenticator::run() {
  // ZAP request (RFC 27): version, request id, domain, address, identity,
  // mechanism, then the credentials (for CURVE, the client's 32-byte key).
  constexpr size_t kDomain = 2, kAddress = 3, kIdentity = 4, kMechanism = 5, kCredentials = 6;
  std::vector<zmq::pollitem_t> items{{socket_.handle(), 0, ZMQ_POLLIN, 0}};
  while (!stopping_) {
    try {
      if (zmq::poll(items, kStopPoll) == 0) continue;
      std::vector<zmq::message_t> request;
      if (!zmq::recv_multipart(socket_, std::back_inserter(request))) continue;
      // Anything malformed is refused, but answered: a REP socket must reply.
      request.resize(std::max(request.size(), kCredentials + 1));
      ZapRequest asked{.domain = frameText(request[kDomain]),
                       .address = frameText(request[kAddress]),
                       .routingId = frameText(request[kIdentity]),
                       .publicKey = {}};
      std::optional<std::string> userId;
      if (frameText(request[kMechanism]) == "CURVE" &&
          request[kCredentials].size() == kBinaryKeyLength) {
        std::array<char, kZ85KeyLength + 1> z85{};
        zmq_z85_encode(z85.data(), request[kCredentials].data<uint8_t>(), kBinaryKeyLength);
        asked.publicKey = z85.data();
        userId = admit_(asked);
      }
      if (!userId) {
        ++refused_;
        if (onRefused_) onRefused_(asked);
      }
      const std::string user = userId.value_or("");
      std::array<zmq::const_buffer, 6> reply{
          zmq::str_buffer("1.0"),
          zmq::buffer(request[1].data(), request[1].size()),
          userId ? zmq::str_buffer("200") : zmq::str_buffer("400"),
          userId ? zmq::str_buffer("OK") : zmq::str_buffer("unknown client key"),
          zmq::buffer(user),
          zmq::const_buffer()};
      zmq::send_multipart(socket_, reply);
    } catch (const zmq::error_t&) {
      return;  // ETERM: the context is shutting down
    }
  }
}

}  // namespace triad::base
