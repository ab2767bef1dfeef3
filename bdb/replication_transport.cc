#include "bdb/replication_transport.h"

#include <arpa/inet.h>
#include <capnp/message.h>
#include <capnp/serialize-async.h>
#include <db.h>
#include <kj/async-io.h>
#include <kj/async-unix.h>
#include <kj/compat/tls.h>
#include <kj/debug.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "idl/replication.capnp.h"

namespace triad::bdb {
namespace {

using Clock = std::chrono::steady_clock;

// Berkeley DB's internal initialisation sends database pages; a batch may
// hold many.
constexpr uint64_t kTraversalLimitWords = uint64_t{1} << 30;
constexpr size_t kMaxGroups = 64;
// A dialer whose connection failed tries again after this, doubling up to
// kRedialMax.
constexpr std::chrono::milliseconds kRedialMin{50};
constexpr std::chrono::milliseconds kRedialMax{1000};
// A TLS handshake that takes longer is abandoned (a stuck or hostile peer).
constexpr std::chrono::seconds kHandshakeTimeout{5};

int64_t sinceEpochNanos(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

kj::Duration toKj(std::chrono::nanoseconds d) { return d.count() * kj::NANOSECONDS; }

// One message waiting for a peer.
struct Queued {
  enum class Kind { kBerkeleyDb, kAck, kHeartbeat };
  Kind kind = Kind::kBerkeleyDb;
  uint16_t group = 0;
  std::string control;
  std::string record;
  Lsn lsn;
};

// What waits for one peer. Guarded by ReplicationTransportImpl::outMutex_.
struct Outbox {
  std::vector<Queued> messages;
  bool urgent = false;      // a permanent or no-buffer message is among them
  Clock::time_point due{};  // when the oldest bufferable message must leave
};

// A received batch, kept alive while its messages wait for their groups.
struct InboundBatch {
  kj::Own<capnp::MessageReader> reader;
};

struct InboundItem {
  InboundMessage::Kind kind;
  int fromEid;
  std::shared_ptr<InboundBatch> batch;  // keeps control and record alive
  std::string_view control;
  std::string_view record;
};

sockaddr_in ipv4Address(const std::string& host, uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, host.c_str(), &address.sin_addr);
  return address;
}

}  // namespace

class ReplicationTransportImpl : public kj::TaskSet::ErrorHandler {
 public:
  explicit ReplicationTransportImpl(TransportOptions options) : options_(std::move(options)) {}
  ~ReplicationTransportImpl();

  Status start();

  int localEid() const { return local_.eid; }
  const std::string& localSite() const { return local_.id; }
  std::string siteOf(int eid) const {
    const Peer* peer = peerByEid(eid);
    if (peer != nullptr) return peer->site.id;
    return eid == local_.eid ? local_.id : std::string();
  }

  void attach(int group, ReplicationEndpoint* endpoint);
  void detach(int group);
  int send(int group, int toEid, std::string_view control, std::string_view record, uint32_t flags);
  void sendAck(int group, Lsn lsn);
  bool connected(int eid) const {
    const Peer* peer = peerByEid(eid);
    return peer != nullptr && peer->connected.load();
  }
  std::vector<TransportPeer> peers() const;
  TransportCounters counters() const {
    return {refusedConnections_.load(), refusedMessages_.load()};
  }

 private:
  struct Peer {
    TransportSite site;
    size_t index = 0;     // in peers_ and outboxes_
    bool dialer = false;  // we connect to it (our eid is the lower)
    // The I/O thread's.
    kj::Own<kj::AsyncIoStream> stream;  // null while down
    uint64_t generation = 0;            // of the current stream
    bool writing = false;               // a batch is being written to the stream
    kj::Own<capnp::MallocMessageBuilder> inFlight;
    kj::Promise<void> reading = nullptr;
    kj::Promise<void> writingDone = nullptr;
    Clock::time_point lastHeard{};
    Clock::time_point lastSent{};
    std::chrono::milliseconds redial = kRedialMin;
    // Read by any thread.
    std::atomic<bool> connected{false};
    std::atomic<int64_t> lastHeardNanos{0};
    std::atomic<uint64_t> batchesSent{0}, messagesSent{0}, bytesSent{0};
    std::atomic<uint64_t> batchesReceived{0}, messagesReceived{0}, bytesReceived{0};
    std::atomic<uint64_t> dropped{0};
  };

  struct Group {
    ReplicationEndpoint* endpoint = nullptr;
    std::deque<InboundItem> inbox;
    bool scheduled = false;  // in runQueue_ or being delivered
    bool busy = false;       // a receiver is delivering
  };

  Peer* peerByEid(int eid) const {
    for (const auto& peer : peers_) {
      if (peer->site.eid == eid) return peer.get();
    }
    return nullptr;
  }
  Peer* peerBySite(std::string_view id) const {
    for (const auto& peer : peers_) {
      if (peer->site.id == id) return peer.get();
    }
    return nullptr;
  }
  void log(std::string_view line) const {
    if (options_.log) options_.log(line);
  }
  void taskFailed(kj::Exception&& exception) override;
  void wake();
  // Queues one message for a peer (outMutex_ held); true if the I/O thread
  // must be woken.
  bool enqueue(size_t peerIndex, Queued message, bool urgent, Clock::time_point now);

  // ---- The I/O thread: one kj event loop for every connection ----
  void ioThread(std::promise<Status>& started);
  kj::Promise<void> ioLoop();
  kj::Promise<void> acceptLoop();
  kj::Promise<void> admit(kj::AuthenticatedStream stream);
  kj::Promise<void> dial(Peer& peer);
  void linkUp(Peer& peer, kj::Own<kj::AsyncIoStream> stream);
  void linkLost(Peer& peer, uint64_t generation, std::string_view why);
  kj::Promise<void> readLoop(Peer& peer, uint64_t generation);
  void received(Peer& peer, kj::Own<capnp::MessageReader> reader);
  void flushDue(Clock::time_point now, bool all);
  void transmit(Peer& peer);
  void keepAlive(Clock::time_point now);
  void peerChanged(Peer& peer, bool up);

  // ---- Receivers ----
  void receiverLoop();
  void schedule(int group);  // groupsMutex_ held

  const TransportOptions options_;
  TransportSite local_;
  std::vector<std::unique_ptr<Peer>> peers_;  // fixed at start

  // The I/O thread's, made on it.
  kj::AsyncIoContext* io_ = nullptr;
  kj::Own<kj::TlsContext> tls_;
  kj::Own<kj::ConnectionReceiver> listener_;
  kj::Own<kj::TaskSet> tasks_;
  int wakeFd_ = -1;
  std::atomic<bool> stopping_{false};

  mutable std::mutex outMutex_;
  std::vector<Outbox> outboxes_;  // guarded by outMutex_; one per peer, peers_ order
  // When the I/O thread will look at the outboxes next at the latest, in
  // steady-clock nanoseconds: a bufferable message due earlier wakes it.
  std::atomic<int64_t> ioDeadlineNanos_{0};

  std::mutex groupsMutex_;
  std::condition_variable groupsChanged_;  // runQueue_ grew, or a delivery ended
  Group groups_[kMaxGroups];               // guarded by groupsMutex_, by group eid
  std::deque<int> runQueue_;               // guarded by groupsMutex_
  bool receiversStopping_ = false;         // guarded by groupsMutex_

  std::atomic<uint64_t> refusedConnections_{0};
  std::atomic<uint64_t> refusedMessages_{0};
  std::thread io_thread_;
  std::vector<std::thread> receivers_;
};

Status ReplicationTransportImpl::start() {
  bool sawLocal = false;
  for (const TransportSite& site : options_.sites) {
    if (site.id == options_.localSite) {
      local_ = site;
      sawLocal = true;
    }
  }
  if (!sawLocal) {
    return Status::invalidArgument("the replication transport has no site '" + options_.localSite +
                                   "'");
  }
  for (const TransportSite& site : options_.sites) {
    if (site.id == local_.id) continue;
    if (site.eid < 0 || site.eid >= static_cast<int>(kMaxGroups)) {
      return Status::invalidArgument("site " + site.id + " has environment id " +
                                     std::to_string(site.eid) + ", outside 0..63");
    }
    auto peer = std::make_unique<Peer>();
    peer->site = site;
    peer->index = peers_.size();
    peer->dialer = local_.eid < site.eid;
    peers_.push_back(std::move(peer));
  }
  outboxes_.resize(peers_.size());
  wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakeFd_ < 0) return Status::ioError("cannot make the transport's eventfd");

  std::promise<Status> started;
  std::future<Status> startedFuture = started.get_future();
  io_thread_ = std::thread([this, &started] { ioThread(started); });
  Status s = startedFuture.get();
  if (!s.isOk()) {
    io_thread_.join();
    return s;
  }
  for (size_t i = 0; i < std::max<size_t>(1, options_.receivers); ++i) {
    receivers_.emplace_back([this] { receiverLoop(); });
  }
  return Status::ok();
}

ReplicationTransportImpl::~ReplicationTransportImpl() {
  {
    std::lock_guard lock(groupsMutex_);
    receiversStopping_ = true;
  }
  groupsChanged_.notify_all();
  for (std::thread& receiver : receivers_) receiver.join();
  stopping_ = true;
  if (wakeFd_ >= 0) wake();
  if (io_thread_.joinable()) io_thread_.join();
  if (wakeFd_ >= 0) ::close(wakeFd_);
}

void ReplicationTransportImpl::taskFailed(kj::Exception&& exception) {
  log("replication transport: " + std::string(exception.getDescription().cStr()));
}

// ---- The I/O thread ----

void ReplicationTransportImpl::ioThread(std::promise<Status>& started) {
  kj::AsyncIoContext io = kj::setupAsyncIo();
  io_ = &io;
  tasks_ = kj::heap<kj::TaskSet>(*this);
  kj::Maybe<kj::TlsCertificate> authority;
  kj::Maybe<kj::TlsKeypair> keypair;
  kj::Maybe<kj::Exception> failure = kj::runCatchingExceptions([&] {
    authority = kj::TlsCertificate(options_.tls.certificateAuthority);
    keypair = kj::TlsKeypair{kj::TlsPrivateKey(options_.tls.privateKey),
                             kj::TlsCertificate(options_.tls.certificate)};
    kj::TlsContext::Options tls;
    tls.useSystemTrustStore = false;
    tls.verifyClients = true;  // every site proves who it is
    tls.trustedCertificates = kj::arrayPtr(&KJ_ASSERT_NONNULL(authority), 1);
    tls.defaultKeypair = KJ_ASSERT_NONNULL(keypair);
    tls.timer = io.provider->getTimer();
    tls.acceptTimeout = toKj(kHandshakeTimeout);
    tls_ = kj::heap<kj::TlsContext>(kj::mv(tls));

    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    KJ_SYSCALL(fd);
    kj::AutoCloseFd owned(fd);
    const int one = 1;
    KJ_SYSCALL(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
    sockaddr_in address = ipv4Address(local_.host, local_.port);
    KJ_SYSCALL(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address),
               "binding the replication port", local_.host, local_.port);
    KJ_SYSCALL(::listen(fd, 64));
    listener_ = io.lowLevelProvider->wrapListenSocketFd(
        owned.release(), kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP |
                             kj::LowLevelAsyncIoProvider::ALREADY_CLOEXEC |
                             kj::LowLevelAsyncIoProvider::ALREADY_NONBLOCK);
  });
  KJ_IF_MAYBE (e, failure) {
    started.set_value(Status::ioError("cannot open the replication transport of " + local_.id +
                                      " on " + local_.host + ":" + std::to_string(local_.port) +
                                      ": " + e->getDescription().cStr()));
    tasks_ = nullptr;
    io_ = nullptr;
    return;
  }
  started.set_value(Status::ok());

  kj::UnixEventPort::FdObserver wakeObserver(io.unixEventPort, wakeFd_,
                                             kj::UnixEventPort::FdObserver::OBSERVE_READ);
  tasks_->add(acceptLoop());
  for (auto& peer : peers_) {
    if (peer->dialer) tasks_->add(dial(*peer));
  }
  // The loop: wake on a queued message (the eventfd) or the next deadline.
  for (;;) {
    const Clock::time_point now = Clock::now();
    Clock::time_point deadline = now + options_.heartbeat / 4;
    {
      std::lock_guard lock(outMutex_);
      for (const Outbox& outbox : outboxes_) {
        if (outbox.urgent) deadline = now;
        if (!outbox.messages.empty() && outbox.due < deadline) deadline = outbox.due;
      }
      ioDeadlineNanos_.store(sinceEpochNanos(deadline), std::memory_order_relaxed);
    }
    if (stopping_) break;
    if (deadline > now) {
      wakeObserver.whenBecomesReadable()
          .exclusiveJoin(io.provider->getTimer().afterDelay(toKj(deadline - now)))
          .wait(io.waitScope);
    } else {
      // Let the loop run what is ready (reads, writes finishing) first.
      kj::evalLater([] {}).wait(io.waitScope);
    }
    uint64_t count = 0;
    [[maybe_unused]] ssize_t read = ::read(wakeFd_, &count, sizeof count);
    ioDeadlineNanos_.store(0, std::memory_order_relaxed);  // awake: look at every queue
    if (stopping_) break;
    const Clock::time_point later = Clock::now();
    flushDue(later, false);
    keepAlive(later);
  }
  // Everything made on this thread is destroyed on it.
  for (auto& peer : peers_) {
    peer->reading = nullptr;
    peer->writingDone = nullptr;
    peer->inFlight = nullptr;
    peer->stream = nullptr;
    peer->connected = false;
  }
  tasks_ = nullptr;
  listener_ = nullptr;
  tls_ = nullptr;
  io_ = nullptr;
}

kj::Promise<void> ReplicationTransportImpl::acceptLoop() {
  return listener_->acceptAuthenticated().then([this](kj::AuthenticatedStream stream) {
    tasks_->add(admit(kj::mv(stream)));
    return acceptLoop();
  });
}

kj::Promise<void> ReplicationTransportImpl::admit(kj::AuthenticatedStream stream) {
  return tls_->wrapServer(kj::mv(stream))
      .then(
          [this](kj::AuthenticatedStream tls) {
            // Only the sites that dial us connect here, each with the
            // certificate the deployment's CA issued it (CN = its id).
            auto& identity = kj::downcast<kj::TlsPeerIdentity>(*tls.peerIdentity);
            const std::string name =
                identity.hasCertificate() ? identity.getCommonName().cStr() : "";
            Peer* peer = peerBySite(name);
            if (peer == nullptr || peer->dialer) {
              refusedConnections_++;
              log("ALARM: replication connection refused from " +
                  std::string(identity.getNetworkIdentity().toString().cStr()) +
                  ": its certificate names '" + name +
                  "', not a site of the topology that dials this one");
              return;
            }
            linkUp(*peer, kj::mv(tls.stream));
          },
          [this](kj::Exception&& e) {
            // No certificate from the deployment's CA, or no TLS at all.
            refusedConnections_++;
            log("ALARM: replication connection refused: " + std::string(e.getDescription().cStr()));
          });
}

kj::Promise<void> ReplicationTransportImpl::dial(Peer& peer) {
  if (stopping_) return kj::READY_NOW;
  // From this site's own firm-side address, which the peer's firewall knows.
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  kj::Promise<kj::Own<kj::AsyncIoStream>> connected = nullptr;
  if (fd < 0) {
    connected = KJ_EXCEPTION(DISCONNECTED, "socket() failed");
  } else {
    sockaddr_in from = ipv4Address(local_.host, 0);
    sockaddr_in to = ipv4Address(peer.site.host, peer.site.port);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
      ::close(fd);
      connected = KJ_EXCEPTION(DISCONNECTED, "cannot bind the replication connection's source",
                               local_.host);
    } else {
      connected = io_->lowLevelProvider->wrapConnectingSocketFd(
          fd, reinterpret_cast<sockaddr*>(&to), sizeof to,
          kj::LowLevelAsyncIoProvider::TAKE_OWNERSHIP |
              kj::LowLevelAsyncIoProvider::ALREADY_CLOEXEC |
              kj::LowLevelAsyncIoProvider::ALREADY_NONBLOCK);
    }
  }
  return connected
      .then([this, &peer](kj::Own<kj::AsyncIoStream> stream) {
        // The peer proves it is the site we dialled: its certificate names it.
        return tls_->wrapClient(kj::mv(stream), peer.site.id);
      })
      .then(
          [this, &peer](kj::Own<kj::AsyncIoStream> tls) -> kj::Promise<void> {
            peer.redial = kRedialMin;
            linkUp(peer, kj::mv(tls));
            return kj::READY_NOW;
          },
          [this, &peer](kj::Exception&& e) -> kj::Promise<void> {
            if (e.getType() != kj::Exception::Type::DISCONNECTED) {
              log("replication connection to " + peer.site.id +
                  " failed: " + e.getDescription().cStr());
            }
            const auto wait = peer.redial;
            peer.redial = std::min(peer.redial * 2, kRedialMax);
            return io_->provider->getTimer().afterDelay(toKj(wait)).then([this, &peer] {
              return dial(peer);
            });
          });
}

void ReplicationTransportImpl::linkUp(Peer& peer, kj::Own<kj::AsyncIoStream> stream) {
  // A new connection replaces an old one (the peer restarted).
  const bool wasUp = peer.stream.get() != nullptr;
  peer.reading = nullptr;
  peer.writingDone = nullptr;
  peer.inFlight = nullptr;
  peer.writing = false;
  peer.stream = kj::mv(stream);
  const uint64_t generation = ++peer.generation;
  peer.lastHeard = Clock::now();
  peer.reading =
      readLoop(peer, generation).eagerlyEvaluate([this, &peer, generation](kj::Exception&& e) {
        linkLost(peer, generation, e.getDescription().cStr());
      });
  if (wasUp) peerChanged(peer, false);
  peerChanged(peer, true);
  std::vector<Queued> hello;
  {
    std::lock_guard lock(outMutex_);
    outboxes_[peer.index].messages.push_back(
        {.kind = Queued::Kind::kHeartbeat, .group = 0, .control = {}, .record = {}, .lsn = {}});
    outboxes_[peer.index].urgent = true;
  }
  transmit(peer);
}

void ReplicationTransportImpl::linkLost(Peer& peer, uint64_t generation, std::string_view why) {
  if (generation != peer.generation || peer.stream.get() == nullptr) return;
  log("replication peer " + peer.site.id + " lost: " + std::string(why));
  ++peer.generation;  // whatever is still in flight belongs to the old stream
  peer.writing = false;
  // The stream may be in use by the promise that failed: drop it later.
  tasks_->add(kj::evalLater([stream = kj::mv(peer.stream), reading = kj::mv(peer.reading),
                             writing = kj::mv(peer.writingDone),
                             inFlight = kj::mv(peer.inFlight)]() mutable {}));
  peer.reading = nullptr;
  peer.writingDone = nullptr;
  peerChanged(peer, false);
  if (peer.dialer && !stopping_) {
    tasks_->add(io_->provider->getTimer().afterDelay(toKj(kRedialMin)).then([this, &peer] {
      return dial(peer);
    }));
  }
}

kj::Promise<void> ReplicationTransportImpl::readLoop(Peer& peer, uint64_t generation) {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = kTraversalLimitWords;
  return capnp::tryReadMessage(*peer.stream, options)
      .then([this, &peer,
             generation](kj::Maybe<kj::Own<capnp::MessageReader>> message) -> kj::Promise<void> {
        KJ_IF_MAYBE (reader, message) {
          received(peer, kj::mv(*reader));
          return readLoop(peer, generation);
        }
        linkLost(peer, generation, "the connection was closed");
        return kj::READY_NOW;
      });
}

void ReplicationTransportImpl::received(Peer& peer, kj::Own<capnp::MessageReader> reader) {
  const Clock::time_point now = Clock::now();
  peer.lastHeard = now;
  peer.lastHeardNanos = sinceEpochNanos(now);
  peer.batchesReceived++;

  auto batch = std::make_shared<InboundBatch>();
  batch->reader = kj::mv(reader);
  std::vector<std::pair<int, InboundItem>> items;
  kj::Maybe<kj::Exception> garbage = kj::runCatchingExceptions([&] {
    auto messages = batch->reader->getRoot<idl::ReplicationBatch>().getMessages();
    peer.messagesReceived += messages.size();
    for (auto message : messages) {
      const int group = message.getGroup();
      switch (message.which()) {
        case idl::ReplicationMessage::HEARTBEAT:
          break;
        case idl::ReplicationMessage::ACK: {
          // Only the owner of a group takes acknowledgements for it.
          if (group != local_.eid) {
            refusedMessages_++;
            break;
          }
          auto ack = message.getAck();
          std::lock_guard lock(groupsMutex_);
          if (ReplicationEndpoint* endpoint = groups_[group].endpoint) {
            endpoint->acknowledged(peer.site.eid, {ack.getFile(), ack.getOffset()});
          }
          break;
        }
        case idl::ReplicationMessage::BERKELEY_DB: {
          // A replica hears its group from the owner only: no other site
          // may speak for a group it does not own.
          if (group >= static_cast<int>(kMaxGroups) ||
              (group != local_.eid && group != peer.site.eid)) {
            if (refusedMessages_++ == 0) {
              log("ALARM: site " + peer.site.id + " sent a replication message of group index " +
                  std::to_string(group) + ", which it does not own; refused");
            }
            break;
          }
          auto db = message.getBerkeleyDb();
          auto control = db.getControl();
          auto record = db.getRecord();
          peer.bytesReceived += control.size() + record.size();
          items.emplace_back(
              group, InboundItem{InboundMessage::Kind::kBerkeleyDb,
                                 peer.site.eid,
                                 batch,
                                 {reinterpret_cast<const char*>(control.begin()), control.size()},
                                 {reinterpret_cast<const char*>(record.begin()), record.size()}});
          break;
        }
      }
    }
  });
  KJ_IF_MAYBE (e, garbage) {
    refusedMessages_++;
    log("replication batch from " + peer.site.id +
        " does not decode: " + std::string(e->getDescription().cStr()));
    return;
  }
  if (items.empty()) return;
  std::lock_guard lock(groupsMutex_);
  for (auto& [group, item] : items) {
    Group& target = groups_[group];
    if (target.endpoint == nullptr) continue;
    target.inbox.push_back(std::move(item));
    schedule(group);
  }
}

void ReplicationTransportImpl::peerChanged(Peer& peer, bool up) {
  peer.connected = up;
  log("replication peer " + peer.site.id + (up ? " connected" : " disconnected"));
  // Every group hears of it, in order with its messages.
  std::lock_guard lock(groupsMutex_);
  for (size_t group = 0; group < kMaxGroups; ++group) {
    if (groups_[group].endpoint == nullptr) continue;
    groups_[group].inbox.push_back(
        {up ? InboundMessage::Kind::kPeerUp : InboundMessage::Kind::kPeerDown,
         peer.site.eid,
         nullptr,
         {},
         {}});
    schedule(static_cast<int>(group));
  }
}

// ---- Outbound ----

void ReplicationTransportImpl::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t written = ::write(wakeFd_, &one, sizeof one);
}

bool ReplicationTransportImpl::enqueue(size_t peerIndex, Queued message, bool urgent,
                                       Clock::time_point now) {
  Outbox& outbox = outboxes_[peerIndex];
  outbox.messages.push_back(std::move(message));
  if (urgent) {
    const bool wasUrgent = outbox.urgent;
    outbox.urgent = true;
    return !wasUrgent;
  }
  if (outbox.due != Clock::time_point{}) return false;
  outbox.due = now + options_.batchDelay;
  // The I/O thread must look again by then; wake it only if it would not.
  return ioDeadlineNanos_.load(std::memory_order_relaxed) > sinceEpochNanos(outbox.due);
}

int ReplicationTransportImpl::send(int group, int toEid, std::string_view control,
                                   std::string_view record, uint32_t flags) {
  const bool urgent = (flags & (DB_REP_PERMANENT | DB_REP_NOBUFFER)) != 0;
  const Clock::time_point now = Clock::now();
  bool anyConnected = false;
  bool mustWake = false;
  {
    std::lock_guard lock(outMutex_);
    for (size_t i = 0; i < peers_.size(); ++i) {
      Peer& peer = *peers_[i];
      // The owner talks to whom Berkeley DB names; a replica only ever to
      // the group's owner.
      const bool owner = group == local_.eid;
      const bool addressed =
          owner ? (toEid == DB_EID_BROADCAST || toEid == peer.site.eid) : peer.site.eid == group;
      if (!addressed) continue;
      if (!peer.connected.load(std::memory_order_relaxed)) {
        peer.dropped++;  // Berkeley DB asks again for what it misses
        continue;
      }
      anyConnected = true;
      Queued message{.kind = Queued::Kind::kBerkeleyDb,
                     .group = static_cast<uint16_t>(group),
                     .control = std::string(control),
                     .record = std::string(record),
                     .lsn = {}};
      mustWake = enqueue(i, std::move(message), urgent, now) || mustWake;
    }
  }
  if (mustWake) wake();
  return anyConnected ? 0 : DB_REP_UNAVAIL;
}

void ReplicationTransportImpl::sendAck(int group, Lsn lsn) {
  bool mustWake = false;
  {
    std::lock_guard lock(outMutex_);
    for (size_t i = 0; i < peers_.size(); ++i) {
      if (peers_[i]->site.eid != group) continue;
      Queued ack{.kind = Queued::Kind::kAck,
                 .group = static_cast<uint16_t>(group),
                 .control = {},
                 .record = {},
                 .lsn = lsn};
      mustWake = enqueue(i, std::move(ack), true, Clock::now());
    }
  }
  if (mustWake) wake();
}

void ReplicationTransportImpl::flushDue(Clock::time_point now, bool all) {
  std::vector<Peer*> due;
  {
    std::lock_guard lock(outMutex_);
    for (size_t i = 0; i < peers_.size(); ++i) {
      const Outbox& outbox = outboxes_[i];
      if (outbox.messages.empty()) continue;
      if (!all && !outbox.urgent && outbox.due > now) continue;
      due.push_back(peers_[i].get());
    }
  }
  for (Peer* peer : due) transmit(*peer);
}

void ReplicationTransportImpl::transmit(Peer& peer) {
  // One write at a time per connection: what queues meanwhile leaves
  // together when it is done.
  if (peer.writing) return;
  std::vector<Queued> messages;
  {
    std::lock_guard lock(outMutex_);
    Outbox& outbox = outboxes_[peer.index];
    messages.swap(outbox.messages);
    outbox.urgent = false;
    outbox.due = {};
  }
  if (messages.empty()) return;
  if (peer.stream.get() == nullptr) {
    for (const Queued& message : messages) {
      if (message.kind != Queued::Kind::kHeartbeat) peer.dropped++;
    }
    return;
  }
  size_t words = 16;
  for (const Queued& message : messages) {
    words += 8 + (message.control.size() + message.record.size()) / sizeof(capnp::word) + 2;
  }
  auto builder = kj::heap<capnp::MallocMessageBuilder>(
      static_cast<unsigned>(std::min<size_t>(words, 1u << 24)));
  auto list = builder->initRoot<idl::ReplicationBatch>().initMessages(
      static_cast<unsigned>(messages.size()));
  size_t bytes = 0;
  for (size_t i = 0; i < messages.size(); ++i) {
    const Queued& message = messages[i];
    auto out = list[static_cast<unsigned>(i)];
    out.setGroup(message.group);
    switch (message.kind) {
      case Queued::Kind::kBerkeleyDb: {
        auto db = out.initBerkeleyDb();
        db.setControl(kj::arrayPtr(reinterpret_cast<const kj::byte*>(message.control.data()),
                                   message.control.size()));
        db.setRecord(kj::arrayPtr(reinterpret_cast<const kj::byte*>(message.record.data()),
                                  message.record.size()));
        bytes += message.control.size() + message.record.size();
        break;
      }
      case Queued::Kind::kAck: {
        auto ack = out.initAck();
        ack.setFile(message.lsn.file);
        ack.setOffset(message.lsn.offset);
        break;
      }
      case Queued::Kind::kHeartbeat:
        out.setHeartbeat();
        break;
    }
  }
  peer.lastSent = Clock::now();
  peer.writing = true;
  peer.batchesSent++;
  peer.messagesSent += messages.size();
  peer.bytesSent += bytes;
  const uint64_t generation = peer.generation;
  peer.inFlight = kj::mv(builder);
  peer.writingDone =
      capnp::writeMessage(*peer.stream, *peer.inFlight)
          .then(
              [this, &peer, generation] {
                if (generation != peer.generation) return;
                peer.writing = false;
                peer.inFlight = nullptr;
                // What queued while this was written, if it is due.
                const Clock::time_point now = Clock::now();
                bool next = false;
                {
                  std::lock_guard lock(outMutex_);
                  const Outbox& outbox = outboxes_[peer.index];
                  next = !outbox.messages.empty() && (outbox.urgent || outbox.due <= now);
                }
                if (next) transmit(peer);
              },
              [this, &peer, generation](kj::Exception&& e) {
                linkLost(peer, generation, e.getDescription().cStr());
              })
          .eagerlyEvaluate(nullptr);
}

void ReplicationTransportImpl::keepAlive(Clock::time_point now) {
  for (auto& entry : peers_) {
    Peer& peer = *entry;
    if (peer.stream.get() == nullptr) continue;
    if (now - peer.lastHeard > options_.peerTimeout) {
      linkLost(peer, peer.generation, "nothing heard for over the peer timeout");
      continue;
    }
    if (now - peer.lastSent < options_.heartbeat || peer.writing) continue;
    {
      std::lock_guard lock(outMutex_);
      outboxes_[peer.index].messages.push_back(
          {.kind = Queued::Kind::kHeartbeat, .group = 0, .control = {}, .record = {}, .lsn = {}});
    }
    transmit(peer);
  }
}

// ---- Receivers ----

void ReplicationTransportImpl::schedule(int group) {
  Group& target = groups_[group];
  if (target.scheduled) return;
  target.scheduled = true;
  runQueue_.push_back(group);
  groupsChanged_.notify_one();
}

void ReplicationTransportImpl::receiverLoop() {
  std::vector<InboundItem> taken;
  std::vector<InboundMessage> messages;
  std::unique_lock lock(groupsMutex_);
  for (;;) {
    groupsChanged_.wait(lock, [&] { return receiversStopping_ || !runQueue_.empty(); });
    if (receiversStopping_) return;
    const int group = runQueue_.front();
    runQueue_.pop_front();
    Group& target = groups_[group];
    if (target.endpoint == nullptr || target.inbox.empty()) {
      target.scheduled = false;
      continue;
    }
    taken.assign(std::make_move_iterator(target.inbox.begin()),
                 std::make_move_iterator(target.inbox.end()));
    target.inbox.clear();
    target.busy = true;
    ReplicationEndpoint* endpoint = target.endpoint;
    lock.unlock();
    messages.clear();
    for (const InboundItem& item : taken) {
      messages.push_back({item.kind, item.fromEid, item.control, item.record});
    }
    endpoint->deliver(messages);
    taken.clear();  // frees the batches before the lock
    lock.lock();
    target.busy = false;
    if (target.endpoint != nullptr && !target.inbox.empty()) {
      runQueue_.push_back(group);
    } else {
      target.scheduled = false;
    }
    groupsChanged_.notify_all();
  }
}

void ReplicationTransportImpl::attach(int group, ReplicationEndpoint* endpoint) {
  std::lock_guard lock(groupsMutex_);
  groups_[group].endpoint = endpoint;
  groups_[group].inbox.clear();
}

void ReplicationTransportImpl::detach(int group) {
  std::unique_lock lock(groupsMutex_);
  Group& target = groups_[group];
  target.endpoint = nullptr;
  target.inbox.clear();
  groupsChanged_.wait(lock, [&] { return !target.busy; });
}

std::vector<TransportPeer> ReplicationTransportImpl::peers() const {
  std::vector<TransportPeer> out;
  const int64_t now = sinceEpochNanos(Clock::now());
  for (const auto& peer : peers_) {
    const int64_t heard = peer->lastHeardNanos.load();
    out.push_back({.site = peer->site.id,
                   .eid = peer->site.eid,
                   .connected = peer->connected.load(),
                   .lastHeardAgoMillis = heard == 0 ? -1 : (now - heard) / 1'000'000,
                   .batchesSent = peer->batchesSent.load(),
                   .messagesSent = peer->messagesSent.load(),
                   .bytesSent = peer->bytesSent.load(),
                   .batchesReceived = peer->batchesReceived.load(),
                   .messagesReceived = peer->messagesReceived.load(),
                   .bytesReceived = peer->bytesReceived.load(),
                   .dropped = peer->dropped.load()});
  }
  return out;
}

// ---- Public face ----

ReplicationTransport::ReplicationTransport(std::unique_ptr<ReplicationTransportImpl> impl)
    : impl_(std::move(impl)) {}
ReplicationTransport::~ReplicationTransport() = default;

Status ReplicationTransport::open(TransportOptions options,
                                  std::unique_ptr<ReplicationTransport>* out) {
  auto impl = std::make_unique<ReplicationTransportImpl>(std::move(options));
  if (Status s = impl->start(); !s.isOk()) return s;
  out->reset(new ReplicationTransport(std::move(impl)));
  return Status::ok();
}

int ReplicationTransport::localEid() const { return impl_->localEid(); }
const std::string& ReplicationTransport::localSite() const { return impl_->localSite(); }
std::string ReplicationTransport::siteOf(int eid) const { return impl_->siteOf(eid); }
void ReplicationTransport::attach(int group, ReplicationEndpoint* endpoint) {
  impl_->attach(group, endpoint);
}
void ReplicationTransport::detach(int group) { impl_->detach(group); }
int ReplicationTransport::send(int group, int toEid, std::string_view control,
                               std::string_view record, uint32_t flags) {
  return impl_->send(group, toEid, control, record, flags);
}
void ReplicationTransport::sendAck(int group, Lsn lsn) { impl_->sendAck(group, lsn); }
bool ReplicationTransport::connected(int eid) const { return impl_->connected(eid); }
std::vector<TransportPeer> ReplicationTransport::peers() const { return impl_->peers(); }
TransportCounters ReplicationTransport::counters() const { return impl_->counters(); }

}  // namespace triad::bdb
