// The replication transport's library, chosen by measurement (DESIGN §2a):
// ZeroMQ with CURVE or kj async I/O with kj-tls, on loopback between two
// processes. The owner (this process) sends 600-byte batches of log records;
// the replica (a forked child) answers each with a 24-byte acknowledgement.
//
//   1. round trips, one at a time: p50/p99 latency, CPU and context switches
//      per round trip, both processes counted (getrusage, every thread);
//   2. pipelined: up to 64 batches in flight for a few seconds: batches/s,
//      CPU and context switches per batch.
//
//   replication_transport_bench [--round-trips N] [--seconds S] [--json]
//
// Stacks, encrypted unless marked reference:
//   zmq-curve-zap  DEALER (owner) -> ROUTER (replica), CURVE, and a ZAP handler
//                  (brokers/bus_curve.h) that admits only the owner's key; the
//                  replica checks every batch's User-Id (the owner's key); the
//                  handler thread also wakes 10 times a second (its poll)
//   zmq-curve      the same without ZAP: the replica still proves its key, but
//                  admits any client key (so no authenticated peer name)
//   zmq-null       reference: ZeroMQ without security
//   kj-tls         kj-tls over kj's TCP (utilities/common/tls_options.h), each
//                  side with its own self-signed P-256 certificate (openssl),
//                  the replica checking the client certificate's name; one kj
//                  event loop thread per process
//   kj-tcp         reference: the same framing in plaintext
// Both kj stacks frame messages with a 4-byte length; writes queued while the
// loop is busy go out as one write, as ZeroMQ's I/O thread does with its own.
// Both libraries set TCP_NODELAY on their TCP sockets themselves (kj on
// connect and accept, libzmq in tune_tcp_socket), so the bench need not.
//
// Latency in the pipelined phase is from a batch's send to its ack, with up
// to 63 others ahead of it. CPU and context switches are the two processes'
// getrusage(RUSAGE_SELF) differences over the phase, read by each process at
// a probe round trip before and after it, divided by the messages sent.
//
// Prints one Markdown table row per stack and phase (or a JSON line each).

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kj/async-io.h>
#include <kj/compat/tls.h>
#include <kj/debug.h>
#include <kj/vector.h>

#include <zmq.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "bench/latency_recorder.h"
#include "brokers/bus_curve.h"
#include "tests/support/temp_dir.h"
#include "utilities/common/tls_options.h"

namespace triad::bench {
namespace {

using Clock = std::chrono::steady_clock;
using Bytes = std::span<const uint8_t>;

constexpr size_t kBatchBytes = 600;
constexpr size_t kAckBytes = 24;
constexpr size_t kWindow = 64;  // batches in flight, pipelined
constexpr int kWarmUpRoundTrips = 1000;

// Every message starts with its kind; batches and acks then carry a sequence
// number (host order: both ends are on this machine).
enum class Kind : uint8_t { kBatch = 1, kAck, kProbe, kUsage, kStop, kStopped };

// CPU and context switches of a whole process, every thread included.
struct Usage {
  int64_t userMicros = 0;
  int64_t systemMicros = 0;
  int64_t voluntary = 0;
  int64_t involuntary = 0;

  static Usage now() {
    rusage usage{};
    KJ_SYSCALL(getrusage(RUSAGE_SELF, &usage));
    auto micros = [](const timeval& t) { return int64_t{t.tv_sec} * 1000000 + t.tv_usec; };
    return {micros(usage.ru_utime), micros(usage.ru_stime), usage.ru_nvcsw, usage.ru_nivcsw};
  }
  Usage operator-(const Usage& o) const {
    return {userMicros - o.userMicros, systemMicros - o.systemMicros, voluntary - o.voluntary,
            involuntary - o.involuntary};
  }
  int64_t cpuMicros() const { return userMicros + systemMicros; }
};

std::vector<uint8_t> message(Kind kind, size_t size, uint64_t sequence = 0) {
  std::vector<uint8_t> bytes(size, 0x5a);
  bytes[0] = static_cast<uint8_t>(kind);
  if (size >= 1 + sizeof sequence) std::memcpy(&bytes[1], &sequence, sizeof sequence);
  return bytes;
}

Kind kindOf(Bytes bytes) {
  KJ_REQUIRE(!bytes.empty(), "an empty message");
  return static_cast<Kind>(bytes[0]);
}

uint64_t sequenceOf(Bytes bytes) {
  uint64_t sequence;
  KJ_REQUIRE(bytes.size() >= 1 + sizeof sequence, "a message too short for its sequence");
  std::memcpy(&sequence, &bytes[1], sizeof sequence);
  return sequence;
}

// One end of the connection as the phases see it: whole messages, in order.
class Link {
 public:
  // noexcept(false), as kj destructors are: the kj end holds a kj::TaskSet.
  virtual ~Link() noexcept(false) = default;
  // Queues a message; it is on its way by the time receive() next waits.
  virtual void send(Bytes message) = 0;
  // The next message, valid until the next call; nullopt once the peer closed.
  virtual std::optional<Bytes> receive() = 0;
};

// ---------------------------------------------------------------- ZeroMQ

enum class ZmqSecurity { kCurveZap, kCurve, kNull };

struct ZmqKeys {
  brokers::CurveKeyPair owner;
  brokers::CurveKeyPair replica;
};

// The owner's end: a DEALER, which sends and receives bare messages.
class ZmqDealerLink final : public Link {
 public:
  explicit ZmqDealerLink(zmq::socket_t& socket) : socket_(socket) {}
  void send(Bytes message) override {
    KJ_ASSERT(socket_.send(zmq::buffer(message.data(), message.size())).has_value());
  }
  std::optional<Bytes> receive() override {
    KJ_ASSERT(socket_.recv(message_).has_value());
    return Bytes(message_.data<uint8_t>(), message_.size());
  }

 private:
  zmq::socket_t& socket_;
  zmq::message_t message_;
};

// The replica's end: a ROUTER, one routing-id frame before each message. With
// ZAP every message carries the key ZAP admitted as its User-Id, the only
// authenticated name of its sender (a routing id is whatever the peer chose).
class ZmqRouterLink final : public Link {
 public:
  ZmqRouterLink(zmq::socket_t& socket, std::optional<std::string> expectedUser)
      : socket_(socket), expectedUser_(std::move(expectedUser)) {}
  void send(Bytes message) override {
    KJ_ASSERT(socket_.send(zmq::buffer(peer_.data(), peer_.size()), zmq::send_flags::sndmore)
                  .has_value());
    KJ_ASSERT(socket_.send(zmq::buffer(message.data(), message.size())).has_value());
  }
  std::optional<Bytes> receive() override {
    KJ_ASSERT(socket_.recv(peer_).has_value() && peer_.more());
    KJ_ASSERT(socket_.recv(message_).has_value());
    if (expectedUser_) {
      const char* user = message_.gets("User-Id");
      KJ_REQUIRE(*expectedUser_ == user, "a message from an unexpected peer", user);
    }
    return Bytes(message_.data<uint8_t>(), message_.size());
  }

 private:
  zmq::socket_t& socket_;
  const std::optional<std::string> expectedUser_;
  zmq::message_t peer_;
  zmq::message_t message_;
};

// ------------------------------------------------------------------- kj

// Frames (a 4-byte length, then the message) over a kj stream, on this
// thread's event loop. Messages sent while a write is in flight, or before the
// loop next runs, go out together in one write; receive() runs the loop only
// when no whole frame is buffered, so a burst read at once is answered at once.
class KjLink final : public Link, private kj::TaskSet::ErrorHandler {
 public:
  KjLink(kj::AsyncIoStream& stream, kj::WaitScope& waitScope)
      : stream_(stream), waitScope_(waitScope), buffer_(kj::heapArray<kj::byte>(1 << 16)) {}

  void send(Bytes message) override {
    const uint32_t length = static_cast<uint32_t>(message.size());
    const auto* header = reinterpret_cast<const kj::byte*>(&length);
    outgoing_.addAll(header, header + sizeof length);
    outgoing_.addAll(message.begin(), message.end());
    if (!writing_) {
      writing_ = true;
      tasks_.add(kj::evalLater([this] { return writeQueued(); }));
    }
  }

  std::optional<Bytes> receive() override {
    for (;;) {
      const size_t buffered = end_ - start_;
      uint32_t length = 0;
      if (buffered >= sizeof length) {
        std::memcpy(&length, &buffer_[start_], sizeof length);
        KJ_REQUIRE(sizeof length + length <= buffer_.size(), "a frame larger than the buffer");
        if (buffered >= sizeof length + length) {
          Bytes frame(&buffer_[start_ + sizeof length], length);
          start_ += sizeof length + length;
          return frame;
        }
      }
      if (start_ > 0) {  // the previous frame is no longer the caller's
        std::memmove(buffer_.begin(), &buffer_[start_], buffered);
        start_ = 0;
        end_ = buffered;
      }
      const size_t read =
          stream_.tryRead(&buffer_[end_], 1, buffer_.size() - end_).wait(waitScope_);
      if (read == 0) return std::nullopt;
      end_ += read;
    }
  }

 private:
  kj::Promise<void> writeQueued() {
    if (outgoing_.empty()) {
      writing_ = false;
      return kj::READY_NOW;
    }
    inFlight_ = outgoing_.releaseAsArray();
    return stream_.write(inFlight_.begin(), inFlight_.size()).then([this] {
      return writeQueued();
    });
  }

  void taskFailed(kj::Exception&& exception) override {
    fprintf(stderr, "write failed: %s\n", kj::str(exception).cStr());
    std::abort();
  }

  kj::AsyncIoStream& stream_;
  kj::WaitScope& waitScope_;
  kj::Array<kj::byte> buffer_;
  size_t start_ = 0;  // buffer_[start_, end_) is read and not yet returned
  size_t end_ = 0;
  kj::Vector<kj::byte> outgoing_;
  kj::Array<kj::byte> inFlight_;
  bool writing_ = false;
  kj::TaskSet tasks_{*this};
};

struct TlsFiles {
  std::string ownerCertificate, ownerKey, replicaCertificate, replicaKey;
};

// A self-signed P-256 certificate for `name` (also its DNS name) in `folder`.
void makeCertificate(const std::filesystem::path& folder, const std::string& name,
                     std::string* certificate, std::string* key) {
  *certificate = (folder / (name + ".crt")).string();
  *key = (folder / (name + ".key")).string();
  const std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "
      "/CN=" +
      name + " -addext subjectAltName=DNS:" + name + " -keyout " + *key + " -out " + *certificate +
      " 2>/dev/null";
  KJ_REQUIRE(std::system(command.c_str()) == 0, "openssl could not make a certificate", command);
}

// ---------------------------------------------------------------- phases

// What the replica does with every message, whatever the stack.
void serve(Link& link) {
  const std::vector<uint8_t> stopped = message(Kind::kStopped, kAckBytes);
  while (auto received = link.receive()) {
    switch (kindOf(*received)) {
      case Kind::kBatch: {
        const std::vector<uint8_t> ack = message(Kind::kAck, kAckBytes, sequenceOf(*received));
        link.send(ack);
        break;
      }
      case Kind::kProbe: {
        std::vector<uint8_t> reply(1 + sizeof(Usage));
        reply[0] = static_cast<uint8_t>(Kind::kUsage);
        const Usage usage = Usage::now();
        std::memcpy(&reply[1], &usage, sizeof usage);
        link.send(reply);
        break;
      }
      case Kind::kStop:
        link.send(stopped);
        return;
      default:
        KJ_FAIL_REQUIRE("an unexpected message", static_cast<int>(kindOf(*received)));
    }
  }
}

// The replica's usage and the owner's, at the same moment (one round trip).
struct Snapshot {
  Usage owner, replica;
};

Snapshot probe(Link& link) {
  link.send(message(Kind::kProbe, 8));
  auto reply = link.receive();
  KJ_REQUIRE(reply.has_value() && kindOf(*reply) == Kind::kUsage &&
             reply->size() == 1 + sizeof(Usage));
  Snapshot snapshot{Usage::now(), {}};
  std::memcpy(&snapshot.replica, &(*reply)[1], sizeof(Usage));
  return snapshot;
}

void stop(Link& link) {
  link.send(message(Kind::kStop, 8));
  auto reply = link.receive();
  KJ_REQUIRE(reply.has_value() && kindOf(*reply) == Kind::kStopped);
}

struct PhaseResult {
  std::string stack, phase;
  size_t messages = 0;
  double seconds = 0;
  double p50Micros = 0, p99Micros = 0;
  Usage owner, replica;
};

uint64_t awaitAck(Link& link) {
  auto ack = link.receive();
  KJ_REQUIRE(ack.has_value() && kindOf(*ack) == Kind::kAck && ack->size() == kAckBytes);
  return sequenceOf(*ack);
}

PhaseResult roundTrips(Link& link, int count) {
  std::vector<uint8_t> batch = message(Kind::kBatch, kBatchBytes);
  auto roundTrip = [&](uint64_t sequence) {
    std::memcpy(&batch[1], &sequence, sizeof sequence);
    link.send(batch);
    KJ_ASSERT(awaitAck(link) == sequence);
  };
  for (int i = 0; i < kWarmUpRoundTrips; ++i) roundTrip(i);

  LatencyRecorder latencies;
  std::vector<int64_t> samples;
  samples.reserve(count);
  const Snapshot before = probe(link);
  const auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    const auto sent = Clock::now();
    roundTrip(kWarmUpRoundTrips + i);
    samples.push_back((Clock::now() - sent).count());
  }
  const auto finish = Clock::now();
  const Snapshot after = probe(link);
  latencies.merge(samples);
  return {.stack = "",
          .phase = "round trip",
          .messages = static_cast<size_t>(count),
          .seconds = std::chrono::duration<double>(finish - start).count(),
          .p50Micros = latencies.percentileMs(50) * 1000,
          .p99Micros = latencies.percentileMs(99) * 1000,
          .owner = after.owner - before.owner,
          .replica = after.replica - before.replica};
}

PhaseResult pipelined(Link& link, std::chrono::milliseconds duration) {
  std::vector<uint8_t> batch = message(Kind::kBatch, kBatchBytes);
  std::deque<Clock::time_point> sentAt;  // of the batches in flight, oldest first
  uint64_t next = 0, acked = 0;
  std::vector<int64_t> samples;
  auto sendNext = [&] {
    std::memcpy(&batch[1], &next, sizeof next);
    ++next;
    sentAt.push_back(Clock::now());
    link.send(batch);
  };

  const Snapshot before = probe(link);
  const auto start = Clock::now();
  const auto deadline = start + duration;
  while (sentAt.size() < kWindow) sendNext();
  while (!sentAt.empty()) {
    KJ_ASSERT(awaitAck(link) == acked);
    ++acked;
    const auto now = Clock::now();
    samples.push_back((now - sentAt.front()).count());
    sentAt.pop_front();
    if (now < deadline) sendNext();
  }
  const auto finish = Clock::now();
  const Snapshot after = probe(link);
  LatencyRecorder latencies;
  latencies.merge(samples);
  return {.stack = "",
          .phase = "pipelined x64",
          .messages = acked,
          .seconds = std::chrono::duration<double>(finish - start).count(),
          .p50Micros = latencies.percentileMs(50) * 1000,
          .p99Micros = latencies.percentileMs(99) * 1000,
          .owner = after.owner - before.owner,
          .replica = after.replica - before.replica};
}

struct Options {
  int roundTrips = 20000;
  std::chrono::milliseconds duration{3000};
  bool json = false;
};

std::vector<PhaseResult> runPhases(Link& link, const Options& options) {
  std::vector<PhaseResult> results;
  results.push_back(roundTrips(link, options.roundTrips));
  results.push_back(pipelined(link, options.duration));
  stop(link);
  return results;
}

// ------------------------------------------------------------- processes

// The replica, in a forked child: `serve` runs there with the write end of a
// pipe on which it reports its port. The destructor kills a child that has
// not exited and reaps it, so a failed run leaves no process behind.
class ReplicaProcess {
 public:
  explicit ReplicaProcess(const std::function<void(int portFd)>& serve) {
    int fds[2];
    KJ_SYSCALL(pipe(fds));
    fflush(stdout);
    fflush(stderr);
    // This process has no threads here (the previous stack's are joined).
    pid_ = fork();
    KJ_REQUIRE(pid_ >= 0, "fork failed");
    if (pid_ == 0) {
      close(fds[0]);
      int status = 0;
      KJ_IF_MAYBE (exception, kj::runCatchingExceptions([&] { serve(fds[1]); })) {
        fprintf(stderr, "replica: %s\n", kj::str(*exception).cStr());
        status = 1;
      }
      _exit(status);  // not exit(): the owner's objects (its TempDir) are not the child's
    }
    close(fds[1]);
    uint16_t port = 0;
    const ssize_t read = ::read(fds[0], &port, sizeof port);
    close(fds[0]);
    KJ_REQUIRE(read == static_cast<ssize_t>(sizeof port), "the replica did not start");
    port_ = port;
  }
  ~ReplicaProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  ReplicaProcess(const ReplicaProcess&) = delete;
  ReplicaProcess& operator=(const ReplicaProcess&) = delete;

  uint16_t port() const { return port_; }
  void join() {
    int status = 0;
    KJ_SYSCALL(waitpid(pid_, &status, 0));
    pid_ = -1;
    KJ_REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the replica failed", status);
  }

  static void reportPort(int fd, uint16_t port) {
    KJ_REQUIRE(write(fd, &port, sizeof port) == static_cast<ssize_t>(sizeof port));
    close(fd);
  }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

std::vector<PhaseResult> runZmq(ZmqSecurity security, const ZmqKeys& keys, const Options& options) {
  ReplicaProcess replica([&](int portFd) {
    zmq::context_t context(1);
    std::optional<brokers::BusAuthenticator> zap;
    if (security == ZmqSecurity::kCurveZap) zap.emplace(context, std::set{keys.owner.publicKey});
    zmq::socket_t socket(context, zmq::socket_type::router);
    socket.set(zmq::sockopt::linger, 1000);  // the stop reply goes out before close
    socket.set(zmq::sockopt::router_mandatory, true);
    if (security == ZmqSecurity::kCurveZap) {
      brokers::applyCurve(socket, brokers::CurveServer{.own = keys.replica, .allowedClients = {}});
    } else if (security == ZmqSecurity::kCurve) {
      socket.set(zmq::sockopt::curve_server, true);
      socket.set(zmq::sockopt::curve_secretkey, keys.replica.secretKey);
    }
    socket.bind("tcp://127.0.0.1:*");
    const std::string endpoint = socket.get(zmq::sockopt::last_endpoint);
    ReplicaProcess::reportPort(portFd, std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
    std::optional<std::string> user;
    if (security == ZmqSecurity::kCurveZap) user = keys.owner.publicKey;
    ZmqRouterLink link(socket, user);
    serve(link);
  });

  zmq::context_t context(1);
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::linger, 0);
  if (security != ZmqSecurity::kNull) {
    brokers::applyCurve(
        socket, brokers::CurveClient{.serverPublicKey = keys.replica.publicKey, .own = keys.owner});
  }
  socket.connect("tcp://127.0.0.1:" + std::to_string(replica.port()));
  ZmqDealerLink link(socket);
  std::vector<PhaseResult> results = runPhases(link, options);
  replica.join();
  return results;
}

std::vector<PhaseResult> runKj(const TlsFiles* tls, const Options& options) {
  ReplicaProcess replica([&](int portFd) {
    kj::AsyncIoContext io = kj::setupAsyncIo();
    kj::Own<kj::TlsContext> context;
    if (tls) {
      context = common::makeServerTls({.certificate = tls->replicaCertificate,
                                       .privateKey = tls->replicaKey,
                                       .clientCa = tls->ownerCertificate});
    }
    auto listener =
        io.provider->getNetwork().parseAddress("127.0.0.1", 0).wait(io.waitScope)->listen();
    ReplicaProcess::reportPort(portFd, static_cast<uint16_t>(listener->getPort()));
    kj::AuthenticatedStream connection = listener->acceptAuthenticated().wait(io.waitScope);
    if (tls) {
      connection = context->wrapServer(kj::mv(connection)).wait(io.waitScope);
      auto& peer = kj::downcast<kj::TlsPeerIdentity>(*connection.peerIdentity);
      KJ_REQUIRE(peer.hasCertificate() && peer.getCommonName() == "owner",
                 "an unexpected client certificate");
    }
    KjLink link(*connection.stream, io.waitScope);
    serve(link);
    // The owner closes once it has the stop reply; until then it may be in flight.
    while (link.receive()) {
    }
  });

  kj::AsyncIoContext io = kj::setupAsyncIo();
  kj::Own<kj::TlsContext> context;
  if (tls) {
    context = common::makeClientTls({.trustedCa = tls->replicaCertificate,
                                     .certificate = tls->ownerCertificate,
                                     .privateKey = tls->ownerKey,
                                     .serverName = "replica"});
  }
  auto address =
      io.provider->getNetwork().parseAddress("127.0.0.1", replica.port()).wait(io.waitScope);
  kj::Own<kj::AsyncIoStream> stream = address->connect().wait(io.waitScope);
  if (tls) stream = context->wrapClient(kj::mv(stream), "replica").wait(io.waitScope);
  std::vector<PhaseResult> results;
  {
    KjLink link(*stream, io.waitScope);
    results = runPhases(link, options);
  }
  stream = nullptr;  // the replica waits for this close
  replica.join();
  return results;
}

// ---------------------------------------------------------------- output

void print(const PhaseResult& r, bool json) {
  const double n = static_cast<double>(r.messages);
  const double ownerCpu = static_cast<double>(r.owner.cpuMicros()) / n;
  const double replicaCpu = static_cast<double>(r.replica.cpuMicros()) / n;
  const double voluntary = static_cast<double>(r.owner.voluntary + r.replica.voluntary) / n;
  const double involuntary = static_cast<double>(r.owner.involuntary + r.replica.involuntary) / n;
  if (json) {
    printf(
        "{\"stack\":\"%s\",\"phase\":\"%s\",\"messages\":%zu,\"seconds\":%.3f,\"per_second\":%.0f,"
        "\"p50_us\":%.1f,\"p99_us\":%.1f,\"owner_cpu_us\":%.2f,\"replica_cpu_us\":%.2f,"
        "\"voluntary_switches\":%.3f,\"involuntary_switches\":%.3f}\n",
        r.stack.c_str(), r.phase.c_str(), r.messages, r.seconds, n / r.seconds, r.p50Micros,
        r.p99Micros, ownerCpu, replicaCpu, voluntary, involuntary);
  } else {
    printf("| %s | %s | %zu | %.0f | %.1f | %.1f | %.1f (%.1f + %.1f) | %.2f (%.2f + %.2f) |\n",
           r.stack.c_str(), r.phase.c_str(), r.messages, n / r.seconds, r.p50Micros, r.p99Micros,
           ownerCpu + replicaCpu, ownerCpu, replicaCpu, voluntary + involuntary, voluntary,
           involuntary);
  }
  fflush(stdout);
}

}  // namespace
}  // namespace triad::bench

int main(int argc, char** argv) {
  using namespace triad::bench;
  Options options;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--round-trips") == 0 && i + 1 < argc) {
      options.roundTrips = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      options.duration =
          std::chrono::milliseconds(static_cast<int64_t>(std::atof(argv[++i]) * 1000));
    } else if (std::strcmp(argv[i], "--json") == 0) {
      options.json = true;
    } else {
      fprintf(stderr, "usage: %s [--round-trips N] [--seconds S] [--json]\n", argv[0]);
      return 2;
    }
  }
  KJ_REQUIRE(options.roundTrips > 0 && options.duration.count() > 0);

  triad::testing::TempDir folder;
  TlsFiles tls;
  makeCertificate(folder.path(), "owner", &tls.ownerCertificate, &tls.ownerKey);
  makeCertificate(folder.path(), "replica", &tls.replicaCertificate, &tls.replicaKey);
  auto keyPair = [] {
    return std::get<triad::brokers::CurveKeyPair>(triad::brokers::makeCurveKeyPair());
  };
  const ZmqKeys keys{keyPair(), keyPair()};

  if (!options.json) {
    printf(
        "| stack | phase | messages | per second | p50 µs | p99 µs | CPU µs per message "
        "(owner + replica) | context switches per message (voluntary + involuntary) |\n");
    printf("|---|---|---:|---:|---:|---:|---:|---:|\n");
  }
  struct Stack {
    const char* name;
    std::function<std::vector<PhaseResult>()> run;
  };
  const Stack stacks[] = {
      {"zmq-curve-zap", [&] { return runZmq(ZmqSecurity::kCurveZap, keys, options); }},
      {"zmq-curve", [&] { return runZmq(ZmqSecurity::kCurve, keys, options); }},
      {"zmq-null (reference)", [&] { return runZmq(ZmqSecurity::kNull, keys, options); }},
      {"kj-tls", [&] { return runKj(&tls, options); }},
      {"kj-tcp (reference)", [&] { return runKj(nullptr, options); }},
  };
  for (const Stack& stack : stacks) {
    for (PhaseResult& result : stack.run()) {
      result.stack = stack.name;
      print(result, options.json);
    }
  }
  return 0;
}
