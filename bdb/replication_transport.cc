#include "bdb/replication_transport.h"

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <db.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <zmq.hpp>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "idl/replication.capnp.h"

namespace triad::bdb {
namespace {

using Clock = std::chrono::steady_clock;

constexpr char kZapDomain[] = "triad-replication";
// Messages a socket holds for one peer before it refuses more (the peer is
// then too slow or gone; Berkeley DB asks again for what it missed).
constexpr int kHighWaterMark = 50000;
// Berkeley DB's internal initialisation sends database pages; a batch may
// hold many.
constexpr uint64_t kTraversalLimitWords = uint64_t{1} << 30;
// A dialer whose peer is not up yet says hello this often, so the two see
// each other as soon as the handshake is done.
constexpr std::chrono::milliseconds kHelloWhileDown{50};
constexpr size_t kMaxGroups = 64;

int64_t sinceEpochNanos(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

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
  zmq::message_t frame;
  kj::Array<capnp::word> aligned;  // a copy, when the frame is not word-aligned
  std::optional<capnp::FlatArrayMessageReader> reader;
};

struct InboundItem {
  InboundMessage::Kind kind;
  int fromEid;
  std::shared_ptr<InboundBatch> batch;  // keeps control and record alive
  std::string_view control;
  std::string_view record;
};

}  // namespace

class ReplicationTransportImpl {
 public:
  explicit ReplicationTransportImpl(TransportOptions options);
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
    return {authenticator_ ? authenticator_->refused() : 0, refusedMessages_.load()};
  }

 private:
  struct Peer {
    TransportSite site;
    bool dialer = false;                    // we connect to it (our eid is the lower)
    std::unique_ptr<zmq::socket_t> dealer;  // dialer only; used by the I/O thread
    // I/O thread only.
    std::string routingId;  // listener: the ROUTER's id of the peer's latest connection
    Clock::time_point lastHeard{};
    Clock::time_point lastSent{};
    bool up = false;
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
  void wake();
  // Queues one message for `peer` (outMutex_ held); true if the I/O thread
  // must be woken.
  bool enqueue(size_t peerIndex, Queued message, bool urgent, Clock::time_point now);

  // The I/O thread and its parts.
  void ioLoop();
  void receiveAll(zmq::socket_t& socket, Peer* dialed);
  void received(Peer& peer, zmq::message_t frame);
  void flushDue(Clock::time_point now, bool all);
  void transmit(Peer& peer, std::vector<Queued> messages);
  void keepAlive(Clock::time_point now);
  void sayHello(Peer& peer);
  void peerChanged(Peer& peer, bool up);
  std::optional<std::string> admit(const base::ZapRequest& request) const;

  // Receivers.
  void receiverLoop();
  void schedule(int group);  // groupsMutex_ held

  const TransportOptions options_;
  TransportSite local_;
  std::vector<std::unique_ptr<Peer>> peers_;  // fixed at construction

  zmq::context_t context_{1};
  std::unique_ptr<base::CurveAuthenticator> authenticator_;
  std::unique_ptr<zmq::socket_t> router_;  // used by the I/O thread
  int wakeFd_ = -1;

  mutable std::mutex outMutex_;
  std::vector<Outbox> outboxes_;  // guarded by outMutex_; one per peer, peers_ order
  // When the I/O thread will look at the outboxes next at the latest, in
  // steady-clock nanoseconds: a bufferable message due earlier wakes it.
  std::atomic<int64_t> ioDeadlineNanos_{0};

  std::mutex groupsMutex_;
  std::condition_variable groupsChanged_;  // runQueue_ grew, or a delivery ended
  Group groups_[kMaxGroups];               // guarded by groupsMutex_, by group eid
  std::deque<int> runQueue_;               // guarded by groupsMutex_
  bool stopping_ = false;                  // guarded by groupsMutex_

  std::atomic<bool> ioStopping_{false};
  std::atomic<uint64_t> refusedMessages_{0};
  std::thread ioThread_;
  std::vector<std::thread> receivers_;
};

ReplicationTransportImpl::ReplicationTransportImpl(TransportOptions options)
    : options_(std::move(options)) {}

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
    peer->dialer = local_.eid < site.eid;
    peers_.push_back(std::move(peer));
  }
  outboxes_.resize(peers_.size());

  wakeFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakeFd_ < 0) return Status::ioError("cannot make the transport's eventfd");
  try {
    authenticator_ = std::make_unique<base::CurveAuthenticator>(
        context_, [this](const base::ZapRequest& request) { return admit(request); },
        [this](const base::ZapRequest& request) {
          log("ALARM: replication connection refused from " + request.address + " (routing id '" +
              request.routingId + "', key " +
              (request.publicKey.empty() ? std::string("none") : request.publicKey) +
              "): not a site of the topology, or posing as another");
        });
    router_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::router);
    router_->set(zmq::sockopt::linger, 0);
    router_->set(zmq::sockopt::router_mandatory, true);
    router_->set(zmq::sockopt::sndhwm, kHighWaterMark);
    router_->set(zmq::sockopt::rcvhwm, kHighWaterMark);
    router_->set(zmq::sockopt::curve_server, true);
    router_->set(zmq::sockopt::curve_secretkey, options_.own.secretKey);
    router_->set(zmq::sockopt::zap_domain, kZapDomain);
    router_->bind("tcp://" + local_.host + ":" + std::to_string(local_.port));
    for (auto& peer : peers_) {
      if (!peer->dialer) continue;
      peer->dealer = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
      zmq::socket_t& dealer = *peer->dealer;
      dealer.set(zmq::sockopt::linger, 0);
      // Nothing is queued for a connection that is not up: the I/O thread
      // drops it and Berkeley DB asks again.
      dealer.set(zmq::sockopt::immediate, true);
      dealer.set(zmq::sockopt::sndhwm, kHighWaterMark);
      dealer.set(zmq::sockopt::rcvhwm, kHighWaterMark);
      dealer.set(zmq::sockopt::reconnect_ivl, 100);
      dealer.set(zmq::sockopt::reconnect_ivl_max, 1000);
      dealer.set(zmq::sockopt::curve_serverkey, peer->site.publicKey);
      dealer.set(zmq::sockopt::curve_publickey, options_.own.publicKey);
      dealer.set(zmq::sockopt::curve_secretkey, options_.own.secretKey);
      // From this site's own firm-side address, which the peer's firewall knows.
      dealer.connect("tcp://" + local_.host + ":0;" + peer->site.host + ":" +
                     std::to_string(peer->site.port));
    }
  } catch (const zmq::error_t& e) {
    return Status::ioError("cannot open the replication transport of " + local_.id + " on " +
                           local_.host + ":" + std::to_string(local_.port) + ": " + e.what());
  }
  ioThread_ = std::thread([this] { ioLoop(); });
  for (size_t i = 0; i < std::max<size_t>(1, options_.receivers); ++i) {
    receivers_.emplace_back([this] { receiverLoop(); });
  }
  return Status::ok();
}

ReplicationTransportImpl::~ReplicationTransportImpl() {
  {
    std::lock_guard lock(groupsMutex_);
    stopping_ = true;
  }
  groupsChanged_.notify_all();
  for (std::thread& receiver : receivers_) receiver.join();
  ioStopping_ = true;
  wake();
  if (ioThread_.joinable()) ioThread_.join();
  for (auto& peer : peers_) peer->dealer.reset();
  router_.reset();
  authenticator_.reset();
  context_.close();
  if (wakeFd_ >= 0) ::close(wakeFd_);
}

std::optional<std::string> ReplicationTransportImpl::admit(const base::ZapRequest& request) const {
  if (request.domain != kZapDomain) return std::nullopt;
  // Only the sites that dial us connect here (those with a lower id), each
  // proving its key; the user id ZeroMQ then puts on every message of the
  // connection is that site's id, whatever the peer says.
  for (const auto& peer : peers_) {
    if (!peer->dialer && peer->site.publicKey == request.publicKey) return peer->site.id;
  }
  return std::nullopt;
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
      const Peer& peer = *peers_[i];
      // The owner talks to whom Berkeley DB names; a replica only ever to
      // the group's owner.
      const bool owner = group == local_.eid;
      const bool addressed =
          owner ? (toEid == DB_EID_BROADCAST || toEid == peer.site.eid) : peer.site.eid == group;
      if (!addressed) continue;
      anyConnected = anyConnected || peer.connected.load(std::memory_order_relaxed);
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
  std::vector<std::pair<Peer*, std::vector<Queued>>> leaving;
  {
    std::lock_guard lock(outMutex_);
    for (size_t i = 0; i < peers_.size(); ++i) {
      Outbox& outbox = outboxes_[i];
      if (outbox.messages.empty()) continue;
      if (!all && !outbox.urgent && outbox.due > now) continue;
      leaving.emplace_back(peers_[i].get(), std::move(outbox.messages));
      outbox.messages.clear();
      outbox.urgent = false;
      outbox.due = {};
    }
  }
  for (auto& [peer, messages] : leaving) transmit(*peer, std::move(messages));
}

void ReplicationTransportImpl::transmit(Peer& peer, std::vector<Queued> messages) {
  size_t words = 16;
  for (const Queued& message : messages) {
    words += 8 + (message.control.size() + message.record.size()) / sizeof(capnp::word) + 2;
  }
  capnp::MallocMessageBuilder builder(static_cast<unsigned>(std::min<size_t>(words, 1u << 24)));
  auto list = builder.initRoot<idl::ReplicationBatch>().initMessages(
      static_cast<unsigned>(messages.size()));
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
  kj::Array<capnp::word> flat = capnp::messageToFlatArray(builder);
  auto bytes = flat.asBytes();
  peer.lastSent = Clock::now();
  try {
    zmq::message_t frame(bytes.begin(), bytes.size());
    std::optional<size_t> sent;
    if (peer.dialer) {
      sent = peer.dealer->send(frame, zmq::send_flags::dontwait);
    } else {
      zmq::message_t to(peer.routingId.data(), peer.routingId.size());
      sent = router_->send(to, zmq::send_flags::sndmore | zmq::send_flags::dontwait);
      if (sent) sent = router_->send(frame, zmq::send_flags::dontwait);
    }
    if (sent) {
      peer.batchesSent++;
      peer.messagesSent += messages.size();
      peer.bytesSent += bytes.size();
      return;
    }
  } catch (const zmq::error_t&) {
    // EHOSTUNREACH: the peer has not connected to us (yet, or any more).
  }
  // A heartbeat that cannot leave is no loss: only real messages count.
  for (const Queued& message : messages) {
    if (message.kind != Queued::Kind::kHeartbeat) peer.dropped++;
  }
}

void ReplicationTransportImpl::keepAlive(Clock::time_point now) {
  for (size_t i = 0; i < peers_.size(); ++i) {
    Peer& peer = *peers_[i];
    if (peer.up && now - peer.lastHeard > options_.peerTimeout) peerChanged(peer, false);
    const auto quiet =
        peer.up || !peer.dialer ? std::chrono::milliseconds(options_.heartbeat) : kHelloWhileDown;
    if (now - peer.lastSent >= quiet) sayHello(peer);
  }
}

void ReplicationTransportImpl::sayHello(Peer& peer) {
  std::vector<Queued> hello;
  hello.push_back(
      {.kind = Queued::Kind::kHeartbeat, .group = 0, .control = {}, .record = {}, .lsn = {}});
  transmit(peer, std::move(hello));
}

// ---- Inbound ----

void ReplicationTransportImpl::ioLoop() {
  std::vector<zmq::pollitem_t> items;
  items.push_back({nullptr, wakeFd_, ZMQ_POLLIN, 0});
  items.push_back({router_->handle(), 0, ZMQ_POLLIN, 0});
  std::vector<Peer*> dialed;
  for (auto& peer : peers_) {
    if (!peer->dialer) continue;
    items.push_back({peer->dealer->handle(), 0, ZMQ_POLLIN, 0});
    dialed.push_back(peer.get());
  }
  while (!ioStopping_) {
    Clock::time_point now = Clock::now();
    Clock::time_point deadline = now + options_.heartbeat / 4;
    {
      std::lock_guard lock(outMutex_);
      for (const Outbox& outbox : outboxes_) {
        if (outbox.urgent) deadline = now;
        if (!outbox.messages.empty() && outbox.due < deadline) deadline = outbox.due;
      }
      ioDeadlineNanos_.store(sinceEpochNanos(deadline), std::memory_order_relaxed);
    }
    const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - now + std::chrono::microseconds(999));
    try {
      zmq::poll(items, std::max(timeout, std::chrono::milliseconds(0)));
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM) return;
      continue;  // EINTR
    }
    if (items[0].revents & ZMQ_POLLIN) {
      uint64_t count = 0;
      [[maybe_unused]] ssize_t read = ::read(wakeFd_, &count, sizeof count);
    }
    ioDeadlineNanos_.store(0, std::memory_order_relaxed);  // awake: look at every queue
    if (items[1].revents & ZMQ_POLLIN) receiveAll(*router_, nullptr);
    for (size_t i = 0; i < dialed.size(); ++i) {
      if (items[i + 2].revents & ZMQ_POLLIN) receiveAll(*dialed[i]->dealer, dialed[i]);
    }
    now = Clock::now();
    flushDue(now, false);
    keepAlive(now);
  }
}

void ReplicationTransportImpl::receiveAll(zmq::socket_t& socket, Peer* dialed) {
  for (;;) {
    zmq::message_t first;
    try {
      if (!socket.recv(first, zmq::recv_flags::dontwait)) return;
    } catch (const zmq::error_t&) {
      return;
    }
    Peer* from = dialed;
    if (dialed == nullptr) {
      // A ROUTER frames each message with the id it gave the sender's
      // connection; who the sender is comes from the user id ZAP set for
      // the connection's key. Replies go to its latest connection.
      zmq::message_t body;
      if (!first.more() || !socket.recv(body, zmq::recv_flags::dontwait)) continue;
      while (body.more()) {  // more frames than a batch: garbage
        zmq::message_t rest;
        if (!socket.recv(rest, zmq::recv_flags::dontwait)) break;
        body.swap(rest);
        refusedMessages_++;
      }
      const char* userId = zmq_msg_gets(body.handle(), "User-Id");
      from = peerBySite(userId != nullptr ? userId : "");
      if (from == nullptr || from->dialer) {
        refusedMessages_++;
        continue;
      }
      from->routingId = first.to_string();
      received(*from, std::move(body));
    } else {
      received(*from, std::move(first));
    }
  }
}

void ReplicationTransportImpl::received(Peer& peer, zmq::message_t frame) {
  const Clock::time_point now = Clock::now();
  peer.lastHeard = now;
  peer.lastHeardNanos = sinceEpochNanos(now);
  peer.batchesReceived++;
  peer.bytesReceived += frame.size();
  if (!peer.up) peerChanged(peer, true);

  auto batch = std::make_shared<InboundBatch>();
  batch->frame = std::move(frame);
  const auto* data = static_cast<const capnp::word*>(batch->frame.data());
  const size_t words = batch->frame.size() / sizeof(capnp::word);
  kj::ArrayPtr<const capnp::word> view(data, words);
  if (reinterpret_cast<uintptr_t>(data) % alignof(capnp::word) != 0) {
    batch->aligned = kj::heapArray<capnp::word>(words);
    memcpy(batch->aligned.begin(), data, words * sizeof(capnp::word));
    view = batch->aligned.asPtr();
  }
  std::vector<std::pair<int, InboundItem>> items;
  try {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = kTraversalLimitWords;
    batch->reader.emplace(view, options);
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
  } catch (const kj::Exception& e) {
    refusedMessages_++;
    log("replication batch from " + peer.site.id +
        " does not decode: " + std::string(e.getDescription().cStr()));
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
  peer.up = up;
  peer.connected = up;
  log("replication peer " + peer.site.id + (up ? " connected" : " lost"));
  if (up) sayHello(peer);  // answer at once, so that the peer sees us up too
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
    groupsChanged_.wait(lock, [&] { return stopping_ || !runQueue_.empty(); });
    if (stopping_) return;
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
