// The replication transport of one site (DESIGN §2a): Berkeley DB's Base
// replication API does the log shipping, apply, re-requests and internal
// initialisation; this carries its messages, for every group the site
// holds, between the topology's sites.
//
// - One connection per pair of sites, whatever the number of groups: the
//   site with the lower environment id dials the other's one listening
//   port, from its own firm-side address, and both send on it. Every
//   message is tagged with its group. All of a site's connections live on
//   one kj event loop thread.
// - Authenticated: mutual TLS (kj-tls) with certificates from the
//   deployment's private CA, the site's id as their name (scripts/make-ca
//   --site). The listener admits a connection only from a topology site
//   that dials it; a dialing site checks that the listener is the site it
//   dialled. A message is attributed to the connection's authenticated site,
//   never to anything it says. A site cannot speak for a group it does not
//   own: a replica accepts a group's messages from that group's owner only.
// - Batched: a message that is neither DB_REP_PERMANENT nor DB_REP_NOBUFFER
//   waits (at most batchDelay) and leaves with the next permanent or
//   no-buffer message to that peer, so one transaction is one write per
//   replica, and what queues while a write is in progress leaves together
//   after it: concurrent transactions share writes. Sending never blocks:
//   the Berkeley DB send function queues per peer and wakes the I/O thread;
//   a peer that is gone only loses its own messages (Berkeley DB asks again
//   for what it misses).
// - Inbound, a small fixed pool of receiver threads hands each group's
//   messages to that group (ReplicationEndpoint::deliver) in arrival order,
//   one receiver per group at a time. Acknowledgements and connection
//   changes are handled on the I/O thread and must not block.
//
// Wire format: idl/replication.capnp, one ReplicationBatch per Cap'n Proto
// message on the TLS stream.
//
// Thread-safety: send(), sendAck(), peers() and connected() may be called
// from any thread. attach() and detach() too; detach() waits for a delivery
// in progress to that group.

#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bdb/lsn.h"
#include "bdb/status.h"

namespace triad::bdb {

// A site as the transport knows it.
struct TransportSite {
  std::string id;     // the utility id ("cf1")
  int eid = 0;        // its Berkeley DB environment id: its topology group index
  std::string host;   // its firm-side address
  uint16_t port = 0;  // where it listens for replication
};

// What a site proves its identity with, PEM text.
struct TransportCredentials {
  std::string certificateAuthority;  // the deployment's private CA: every site's issuer
  std::string certificate;           // this site's, naming its id (CN and DNS name)
  std::string privateKey;
};

struct TransportOptions {
  std::string localSite;
  std::vector<TransportSite> sites;  // every site of the deployment, this one included
  TransportCredentials tls;
  // How long a message Berkeley DB lets us buffer may wait for company.
  std::chrono::microseconds batchDelay{1000};
  // A peer that has heard nothing from us for this long is sent a heartbeat.
  std::chrono::milliseconds heartbeat{200};
  // A peer we have heard nothing from for this long is down.
  std::chrono::milliseconds peerTimeout{1000};
  size_t receivers = 2;  // threads applying inbound messages
  // Diagnostics and alarms; may be empty. Called on the transport's threads.
  std::function<void(std::string_view)> log;
};

// One inbound item for a group: a Berkeley DB message, or a change of a
// peer's connection (kept in the same order as the messages around it).
struct InboundMessage {
  enum class Kind { kBerkeleyDb, kPeerUp, kPeerDown };
  Kind kind = Kind::kBerkeleyDb;
  int fromEid = 0;           // the authenticated sender (or the peer that changed)
  std::string_view control;  // kBerkeleyDb: valid during deliver() only
  std::string_view record;
};

// What a group gives the transport: where its inbound traffic goes.
class ReplicationEndpoint {
 public:
  virtual ~ReplicationEndpoint() = default;
  // On a receiver thread, never two at once for one group, in arrival order.
  virtual void deliver(std::span<const InboundMessage> messages) = 0;
  // The owner: `fromEid` has this group's log up to `lsn` on its disk. On the
  // I/O thread: must not block.
  virtual void acknowledged(int fromEid, Lsn lsn) = 0;
};

// What an operator sees of one peer connection.
struct TransportPeer {
  std::string site;
  int eid = 0;
  bool connected = false;           // heard from within peerTimeout
  int64_t lastHeardAgoMillis = -1;  // -1: never
  uint64_t batchesSent = 0;
  uint64_t messagesSent = 0;
  uint64_t bytesSent = 0;
  uint64_t batchesReceived = 0;
  uint64_t messagesReceived = 0;
  uint64_t bytesReceived = 0;
  uint64_t dropped = 0;  // messages not sent: the peer was unreachable or its queue full
};

struct TransportCounters {
  uint64_t refusedConnections = 0;  // no certificate of a topology site that dials us
  uint64_t refusedMessages = 0;     // a site speaking for a group it does not own, or garbage
};

class ReplicationTransportImpl;

class ReplicationTransport {
 public:
  // Binds this site's listening socket and starts connecting to its peers.
  static Status open(TransportOptions options, std::unique_ptr<ReplicationTransport>* out);
  ~ReplicationTransport();  // every group must have detached
  ReplicationTransport(const ReplicationTransport&) = delete;
  ReplicationTransport& operator=(const ReplicationTransport&) = delete;

  int localEid() const;
  const std::string& localSite() const;
  // The site id of an environment id ("" if none).
  std::string siteOf(int eid) const;

  // Group `group` (its owner's eid) starts or stops taking inbound traffic.
  // Inbound messages for a group that is not attached are dropped.
  void attach(int group, ReplicationEndpoint* endpoint);
  void detach(int group);

  // Queues a Berkeley DB message of `group` for `toEid` (DB_EID_BROADCAST:
  // every peer the group's traffic goes to from here; at a replica, every
  // message goes to the group's owner). `flags` are the send function's.
  // Never blocks. Returns 0 if it was queued for at least one connected
  // peer, else DB_REP_UNAVAIL.
  int send(int group, int toEid, std::string_view control, std::string_view record, uint32_t flags);
  // Tells the owner of `group` that this site has its log to `lsn` on disk.
  void sendAck(int group, Lsn lsn);

  bool connected(int eid) const;
  std::vector<TransportPeer> peers() const;
  TransportCounters counters() const;

 private:
  explicit ReplicationTransport(std::unique_ptr<ReplicationTransportImpl> impl);
  std::unique_ptr<ReplicationTransportImpl> impl_;
};

}  // namespace triad::bdb
