// triadctl status: every daemon of the topology (up or down, version,
// uptime), every ownership group at every site (role, master, LSN, position,
// what the owner knows the site has acknowledged, lag in commits and
// seconds), and every site's replication connections, with one alarm per
// fault. Exit 0 when there is no alarm, 1 otherwise.
//
// Utilities answer Admin health and groups; the buses and the venues do not
// serve Admin, so they count as up when their endpoint accepts a connection.
// Every daemon is asked at once, so a round takes at most --timeout-ms.
//
// Lag, as the owner reports it: the commits it made that the site has not
// acknowledged (has not got on its disk), and the age of the oldest of them.
// Both are 0 when caught up, and unknown ("?", null in JSON) when the owner
// does not answer. The owner's own row has none.
//
// Alarms (kind: meaning; docs/operations.md says what to do about each):
//   down             the daemon does not answer (or refuses connections)
//   starting         it answers but has not finished starting (not ready)
//   problem          a fault the daemon reports itself (health problems)
//   behind           a replica lags its owner by more than --max-lag commits
//   stalled          an owner's replicas have acknowledged nothing for over its
//                    ack timeout: it refuses writes until one does
//   link-down        a site has no replication connection to a peer that is up
//   initialising     a replica is being re-initialised from its owner
//   replication-down a site's copy of a group has no replication role
//   wrong-master     a replica follows a site that is not the group's owner
//   missing-group    a site does not report a group the topology has
//   stuck-order      a street's venue has not answered an order within its
//                    answer-timeout (the topology's [exchange] section)
//   stuck-cancel     the same for a cancel request
//   unconfirmed-route an order routed in an earlier run that the venue never
//                    acknowledged and that was not re-sent: the venue could
//                    not be asked, and does not honour PossResend
//   refused-report   a street keeps venue reports it could not record
//                    (`triadctl verify` lists them)
//   overfill         a venue reported more executed than the order's quantity
// and warnings, shown but not failing the status (they count from start,
// so they include what happened before the first replica joined):
//   unacknowledged   the owner made commits no replica acknowledged in time
//   refused          a site refused replication connections or messages: a
//                    host not in the topology, or a site speaking for a group
//                    it does not own
//   venue-rejects    session (35=3) and business (35=j) rejects from venues,
//                    and those that named nothing the street sent

#pragma once

#include <kj/async-io.h>
#include <kj/compat/tls.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/topology.h"
#include "tools/triadctl/outcome.h"

namespace triad::ctl {

// What the owner of a group knows of one replica.
struct ReplicaLagAnswer {
  std::string site;
  uint32_t acknowledgedFile = 0, acknowledgedOffset = 0;
  uint64_t commitsBehind = 0;
  int64_t behindNanos = 0;
};

struct GroupAnswer {
  std::string group, site, role, master;  // role: master, client, initialising, down
  uint32_t lsnFile = 0, lsnOffset = 0;
  uint64_t commitSequence = 0;  // the site's position (a packed LSN)
  int64_t lastCommitNanos = 0;
  std::vector<std::string> connectedPeers, disconnectedPeers;
  uint64_t permFailures = 0;
  bool stalled = false;
  std::vector<ReplicaLagAnswer> replicas;  // the owner's row only
};

// One replication connection as a site reports it.
struct LinkAnswer {
  std::string peer;
  bool connected = false;
  int64_t lastHeardAgoMillis = -1;
  uint64_t batchesSent = 0, messagesSent = 0, batchesReceived = 0, messagesReceived = 0;
  uint64_t dropped = 0;
};

// A request a street utility's venue has not answered (Admin venueAlarms).
struct StuckAnswer {
  std::string kind;  // "order" or "cancel"
  std::string clOrdId, orderId, venue;
  int64_t sinceNanos = 0;
  bool statusRequested = false;
};

// What a street utility met at its venues (Admin venueAlarms).
struct VenueAlarmsAnswer {
  bool answered = false;
  std::vector<StuckAnswer> stuck, unconfirmed;
  uint64_t venueRejects = 0, refusedReports = 0, overfills = 0, refusedReportsKept = 0;
  uint64_t statusRequests = 0, unknownReferences = 0;
};

// What one utility said, or why it said nothing.
struct UtilityAnswer {
  bool answered = false;
  std::string error;  // when not answered
  std::string role, version;
  int64_t startedAtNanos = 0;
  bool ready = false;
  std::vector<std::string> problems;
  std::vector<GroupAnswer> groups;
  std::vector<LinkAnswer> links;
  uint64_t refusedConnections = 0, refusedMessages = 0;
  VenueAlarmsAnswer venues;  // street utilities only
  // Admin's access control (issue 17), since the daemon started.
  uint64_t permissionDenied = 0, refusedAdminConnections = 0;
  std::string rolesDigest;  // of the role map in force there
};

// A bus or venue: up when its endpoint accepts connections.
struct EndpointAnswer {
  bool up = false;
  std::string error;
};

struct StatusInput {
  std::vector<UtilityAnswer> utilities;   // as topology.utilities()
  std::vector<EndpointAnswer> brokers;    // as topology.brokers()
  std::vector<EndpointAnswer> exchanges;  // as topology.exchanges()
  int64_t nowNanos = 0;
  uint64_t maxLagRecords = 0;
};

// Asks every daemon of `topology`.
// `tls`: the operator's (Admin is mutual TLS); not owned.
StatusInput gatherStatus(kj::AsyncIoContext& io, const topology::Topology& topology,
                         kj::Duration timeout, kj::TlsContext* tls);

// The report: tables, JSON, alarms and the exit code. Pure: tests hand it
// their own answers.
Outcome statusReport(const topology::Topology& topology, const StatusInput& input);

// "3d04h", "2h13m", "4m05s", "12s".
std::string uptimeText(int64_t seconds);

}  // namespace triad::ctl
