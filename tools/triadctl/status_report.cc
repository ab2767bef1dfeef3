#include "tools/triadctl/status_report.h"

#include <cstdio>
#include <map>
#include <optional>

#include "tools/triadctl/admin_client.h"
#include "tools/triadctl/text_table.h"

namespace triad::ctl {
namespace {

using nlohmann::json;

std::string roleText(idl::ReplicationRole role) {
  switch (role) {
    case idl::ReplicationRole::MASTER:
      return "master";
    case idl::ReplicationRole::CLIENT:
      return "client";
    case idl::ReplicationRole::INITIALISING:
      return "initialising";
    case idl::ReplicationRole::DOWN:
      return "down";
  }
  return "unknown";
}

std::string secondsText(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", seconds);
  return text;
}

struct Alarm {
  std::string kind, subject, detail;
  bool warning = false;  // shown, but does not make the status unhealthy
};

}  // namespace

std::string uptimeText(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  char text[32];
  if (seconds >= 86400) {
    std::snprintf(text, sizeof text, "%lldd%02lldh", static_cast<long long>(seconds / 86400),
                  static_cast<long long>(seconds % 86400 / 3600));
  } else if (seconds >= 3600) {
    std::snprintf(text, sizeof text, "%lldh%02lldm", static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds % 3600 / 60));
  } else if (seconds >= 60) {
    std::snprintf(text, sizeof text, "%lldm%02llds", static_cast<long long>(seconds / 60),
                  static_cast<long long>(seconds % 60));
  } else {
    std::snprintf(text, sizeof text, "%llds", static_cast<long long>(seconds));
  }
  return text;
}

namespace {

void readGroups(capnp::List<idl::GroupStatus>::Reader groups, UtilityAnswer* out) {
  for (idl::GroupStatus::Reader g : groups) {
    GroupAnswer group;
    group.group = g.getGroup();
    group.site = g.getSite();
    group.role = roleText(g.getRole());
    group.master = g.getMaster();
    group.lsnFile = g.getLsn().getFile();
    group.lsnOffset = g.getLsn().getOffset();
    group.commitSequence = g.getCommitSequence();
    group.lastCommitNanos = g.getLastCommitNanos();
    group.permFailures = g.getPermFailures();
    group.stalled = g.getStalled();
    const bool owner = group.group == group.site;
    for (idl::PeerLink::Reader peer : g.getPeers()) {
      (peer.getConnected() ? group.connectedPeers : group.disconnectedPeers)
          .emplace_back(peer.getSite());
      if (owner) {
        group.replicas.push_back({peer.getSite(), peer.getAcknowledged().getFile(),
                                  peer.getAcknowledged().getOffset(), peer.getCommitsBehind(),
                                  peer.getBehindNanos()});
      }
    }
    out->groups.push_back(std::move(group));
  }
}

void readLinks(idl::ReplicationLinks::Reader links, UtilityAnswer* out) {
  out->refusedConnections = links.getRefusedConnections();
  out->refusedMessages = links.getRefusedMessages();
  for (idl::ReplicationLink::Reader link : links.getLinks()) {
    out->links.push_back({link.getSite(), link.getConnected(), link.getLastHeardAgoMillis(),
                          link.getBatchesSent(), link.getMessagesSent(), link.getBatchesReceived(),
                          link.getMessagesReceived(), link.getDropped()});
  }
}

void readVenueAlarms(idl::VenueAlarms::Reader alarms, VenueAlarmsAnswer* out) {
  const auto read = [](auto list, std::vector<StuckAnswer>* into) {
    for (idl::StuckRequest::Reader stuck : list) {
      into->push_back({stuck.getKind(), stuck.getClOrdId(), stuck.getOrderId(), stuck.getVenue(),
                       stuck.getSinceNanos(), stuck.getStatusRequested()});
    }
  };
  read(alarms.getStuck(), &out->stuck);
  read(alarms.getUnconfirmed(), &out->unconfirmed);
  out->venueRejects = alarms.getVenueRejects();
  out->refusedReports = alarms.getRefusedReports();
  out->overfills = alarms.getOverfills();
  out->refusedReportsKept = alarms.getRefusedReportsKept();
  out->statusRequests = alarms.getStatusRequests();
  out->unknownReferences = alarms.getUnknownReferences();
  out->answered = true;
}

}  // namespace

StatusInput gatherStatus(kj::AsyncIoContext& io, const topology::Topology& topology,
                         kj::Duration timeout, kj::TlsContext* tls) {
  StatusInput input;
  input.utilities.resize(topology.utilities().size());
  std::vector<Endpoint> admins;
  for (const topology::Utility& utility : topology.utilities()) {
    admins.push_back({utility.id, utility.firmAddress, utility.adminPort, tls});
  }
  askEach(
      io, admins, timeout,
      [&input, &topology](idl::Admin::Client& admin, size_t i) {
        UtilityAnswer& out = input.utilities[i];
        auto groups = admin.groupsRequest().send();
        auto links = admin.replicationRequest().send();
        kj::Promise<void> venues = kj::READY_NOW;
        if (topology.utilities()[i].role == topology::Role::kStreet) {
          // A street daemon that does not serve it (an older version, or a
          // bare frame in tests) is still up: it just shows no venue alarms.
          venues = admin.venueAlarmsRequest()
                       .send()
                       .then([&out](capnp::Response<idl::Admin::VenueAlarmsResults> response) {
                         readVenueAlarms(response.getAlarms(), &out.venues);
                       })
                       .catch_([](kj::Exception&& exception) {
                         if (exception.getType() != kj::Exception::Type::UNIMPLEMENTED) {
                           kj::throwFatalException(kj::mv(exception));
                         }
                       });
        }
        auto access = admin.accessStatsRequest().send();
        return admin.healthRequest()
            .send()
            .then([&out, groups = kj::mv(groups), links = kj::mv(links)](
                      capnp::Response<idl::Admin::HealthResults> response) mutable {
              idl::Health::Reader health = response.getHealth();
              out.role = health.getRole();
              out.version = health.getVersion();
              out.startedAtNanos = health.getStartedAtNanos();
              out.ready = health.getReady();
              for (capnp::Text::Reader problem : health.getProblems()) {
                out.problems.emplace_back(problem);
              }
              return groups.then([&out, links = kj::mv(links)](
                                     capnp::Response<idl::Admin::GroupsResults> response) mutable {
                readGroups(response.getGroups(), &out);
                return kj::mv(links);
              });
            })
            .then([&out, venues = kj::mv(venues)](
                      capnp::Response<idl::Admin::ReplicationResults> response) mutable {
              readLinks(response.getLinks(), &out);
              return kj::mv(venues);
            })
            .then([access = kj::mv(access)]() mutable { return kj::mv(access); })
            .then([&out](capnp::Response<idl::Admin::AccessStatsResults> response) {
              auto stats = response.getStats();
              out.permissionDenied = stats.getPermissionDenied();
              out.refusedAdminConnections = stats.getRefusedConnections();
              out.rolesDigest = stats.getRolesDigest();
              out.answered = true;
            });
      },
      [&input, timeout](size_t i, const kj::Exception& reason) {
        input.utilities[i] = UtilityAnswer{};
        input.utilities[i].error = describeFailure(reason, timeout);
      });

  std::vector<Endpoint> buses, venues;
  for (const topology::Broker& broker : topology.brokers()) {
    buses.push_back({broker.id, broker.address, broker.publishPort});
  }
  for (const topology::Exchange& exchange : topology.exchanges()) {
    venues.push_back({exchange.id, exchange.firmAddress, exchange.fixPort});
  }
  std::vector<std::string> errors;
  std::vector<bool> up = reachable(io, buses, timeout, &errors);
  for (size_t i = 0; i < buses.size(); ++i) input.brokers.push_back({up[i], errors[i]});
  up = reachable(io, venues, timeout, &errors);
  for (size_t i = 0; i < venues.size(); ++i) input.exchanges.push_back({up[i], errors[i]});
  input.nowNanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return input;
}

Outcome statusReport(const topology::Topology& topology, const StatusInput& input) {
  Outcome outcome;
  std::vector<Alarm> alarms;
  json daemons = json::array();
  TextTable daemonTable({{""},
                         {"DAEMON"},
                         {"ROLE"},
                         {"ADDRESS"},
                         {"STATE"},
                         {"VERSION"},
                         {"UPTIME", true},
                         {"PROBLEMS"}});

  // ---- Utilities: health ----
  std::map<std::string, const GroupAnswer*> ownerRows;  // group -> the owner's own report
  const auto& utilities = topology.utilities();
  for (size_t i = 0; i < utilities.size() && i < input.utilities.size(); ++i) {
    const topology::Utility& site = utilities[i];
    const UtilityAnswer& answer = input.utilities[i];
    const std::string address = site.firmAddress + ":" + std::to_string(site.adminPort);
    const std::string role(topology::roleName(site.role));
    json entry = {{"id", site.id},           {"kind", "utility"},         {"role", role},
                  {"address", address},      {"problems", json::array()}, {"version", nullptr},
                  {"uptimeSeconds", nullptr}};
    std::string state, problems;
    if (!answer.answered) {
      state = "down";
      entry["error"] = answer.error;
      problems = answer.error;
      alarms.push_back({"down", site.id, answer.error});
    } else {
      state = answer.ready ? "ready" : "starting";
      entry["version"] = answer.version;
      entry["startedAtNanos"] = answer.startedAtNanos;
      const int64_t uptime = (input.nowNanos - answer.startedAtNanos) / 1'000'000'000;
      entry["uptimeSeconds"] = uptime;
      entry["problems"] = answer.problems;
      if (!answer.ready) alarms.push_back({"starting", site.id, "not ready yet"});
      for (const std::string& problem : answer.problems) {
        alarms.push_back({"problem", site.id, problem});
        problems += (problems.empty() ? "" : "; ") + problem;
      }
      for (const GroupAnswer& group : answer.groups) {
        if (group.group == site.id && group.site == site.id) ownerRows[group.group] = &group;
      }
    }
    entry["state"] = state;
    const bool alarmed = state != "ready" || !problems.empty();
    daemonTable.add({alarmed ? "!" : "", site.id, role, address, state,
                     answer.answered ? answer.version : "-",
                     answer.answered ? uptimeText(entry["uptimeSeconds"].get<int64_t>()) : "-",
                     problems.empty() ? "-" : problems});
    daemons.push_back(std::move(entry));
  }

  // ---- Buses and venues: reachability ----
  auto endpointRow = [&](const std::string& id, const std::string& kind, const std::string& role,
                         const std::string& address, const EndpointAnswer& answer) {
    const std::string state = answer.up ? "up" : "down";
    json entry = {{"id", id},           {"kind", kind},
                  {"role", role},       {"address", address},
                  {"state", state},     {"problems", json::array()},
                  {"version", nullptr}, {"uptimeSeconds", nullptr}};
    if (!answer.up) {
      entry["error"] = answer.error;
      alarms.push_back({"down", id, answer.error});
    }
    daemonTable.add(
        {answer.up ? "" : "!", id, role, address, state, "-", "-", answer.up ? "-" : answer.error});
    daemons.push_back(std::move(entry));
  };
  for (size_t i = 0; i < topology.brokers().size() && i < input.brokers.size(); ++i) {
    const topology::Broker& broker = topology.brokers()[i];
    endpointRow(broker.id, "broker", "bus " + std::string(topology::busName(broker.bus)),
                broker.address + ":" + std::to_string(broker.publishPort), input.brokers[i]);
  }
  for (size_t i = 0; i < topology.exchanges().size() && i < input.exchanges.size(); ++i) {
    const topology::Exchange& exchange = topology.exchanges()[i];
    endpointRow(exchange.id, "exchange", "venue " + exchange.fixVersion,
                exchange.firmAddress + ":" + std::to_string(exchange.fixPort), input.exchanges[i]);
  }

  // ---- Every group at every site that answered ----
  json groups = json::array();
  TextTable groupTable({{""},
                        {"GROUP"},
                        {"SITE"},
                        {"ROLE"},
                        {"MASTER"},
                        {"LSN", true},
                        {"ACKED", true},
                        {"LAG", true},
                        {"LAG-S", true},
                        {"PEERS"}});
  for (const topology::Utility& group : utilities) {
    const GroupAnswer* owner = ownerRows.count(group.id) ? ownerRows[group.id] : nullptr;
    for (size_t i = 0; i < utilities.size() && i < input.utilities.size(); ++i) {
      const UtilityAnswer& answer = input.utilities[i];
      if (!answer.answered) continue;
      const std::string& site = utilities[i].id;
      const GroupAnswer* row = nullptr;
      for (const GroupAnswer& candidate : answer.groups) {
        if (candidate.group == group.id) row = &candidate;
      }
      if (row == nullptr) {
        alarms.push_back({"missing-group", site, "does not report group " + group.id});
        groups.push_back({{"group", group.id}, {"site", site}, {"missing", true}});
        groupTable.add({"!", group.id, site, "missing", "-", "-", "-", "-", "-", "-"});
        continue;
      }
      const std::string subject = group.id + "@" + site;
      std::vector<std::string> faults;
      std::optional<uint64_t> lagCommits;
      std::optional<double> lagSeconds;
      std::string acknowledged = "-";
      if (owner != nullptr && site == group.id) {
        lagCommits = 0;
        lagSeconds = 0.0;
      } else if (owner != nullptr) {
        for (const ReplicaLagAnswer& replica : owner->replicas) {
          if (replica.site != site) continue;
          lagCommits = replica.commitsBehind;
          lagSeconds = static_cast<double>(replica.behindNanos) / 1e9;
          acknowledged = std::to_string(replica.acknowledgedFile) + "/" +
                         std::to_string(replica.acknowledgedOffset);
        }
        if (lagCommits && *lagCommits > input.maxLagRecords) {
          faults.push_back("behind");
          alarms.push_back({"behind", subject,
                            std::to_string(*lagCommits) + " commits, " + secondsText(*lagSeconds) +
                                " s behind " + group.id});
        }
      }
      if (site == group.id && row->stalled) {
        faults.push_back("stalled");
        alarms.push_back({"stalled", subject,
                          "no replica has acknowledged anything for over the ack timeout; "
                          "writes are refused until one does"});
      }
      if (row->role == "initialising") {
        faults.push_back("initialising");
        alarms.push_back({"initialising", subject, "being re-initialised from " + group.id});
      } else if (row->role == "down") {
        faults.push_back("replication-down");
        alarms.push_back({"replication-down", subject, "no replication role"});
      } else if (row->master != group.id) {
        faults.push_back("wrong-master");
        alarms.push_back(
            {"wrong-master", subject, "follows '" + row->master + "', not the owner " + group.id});
      }
      if (site == group.id && row->permFailures > 0) {
        // A count since the owner started, which includes the commits made
        // before any replica joined (its tables' creation): worth seeing, but
        // not a fault by itself.
        alarms.push_back({"unacknowledged", subject,
                          std::to_string(row->permFailures) +
                              " commits since start that no replica acknowledged in time",
                          true});
      }
      const std::string lsn = std::to_string(row->lsnFile) + "/" + std::to_string(row->lsnOffset);
      std::string peers;
      for (const std::string& peer : row->connectedPeers)
        peers += (peers.empty() ? "" : ",") + peer;
      for (const std::string& peer : row->disconnectedPeers) {
        peers += (peers.empty() ? "" : ",") + peer + "(x)";
      }
      groups.push_back({{"group", group.id},
                        {"site", site},
                        {"role", row->role},
                        {"master", row->master},
                        {"lsn", {{"file", row->lsnFile}, {"offset", row->lsnOffset}}},
                        {"commitSequence", row->commitSequence},
                        {"lastCommitNanos", row->lastCommitNanos},
                        {"acknowledged", acknowledged},
                        {"lagCommits", lagCommits ? json(*lagCommits) : json(nullptr)},
                        {"lagSeconds", lagSeconds ? json(*lagSeconds) : json(nullptr)},
                        {"connectedPeers", row->connectedPeers},
                        {"disconnectedPeers", row->disconnectedPeers},
                        {"permFailures", row->permFailures},
                        {"stalled", row->stalled},
                        {"faults", faults}});
      groupTable.add({faults.empty() ? "" : "!", group.id, site, row->role, row->master, lsn,
                      acknowledged, lagCommits ? std::to_string(*lagCommits) : "?",
                      lagSeconds ? secondsText(*lagSeconds) : "?", peers.empty() ? "-" : peers});
    }
  }

  // ---- Every site's replication connections ----
  json links = json::array();
  TextTable linkTable({{""},
                       {"SITE"},
                       {"PEER"},
                       {"STATE"},
                       {"HEARD-MS", true},
                       {"SENT", true},
                       {"RECEIVED", true},
                       {"DROPPED", true}});
  for (size_t i = 0; i < utilities.size() && i < input.utilities.size(); ++i) {
    const UtilityAnswer& answer = input.utilities[i];
    if (!answer.answered) continue;
    const std::string& site = utilities[i].id;
    if (answer.permissionDenied > 0 || answer.refusedAdminConnections > 0) {
      alarms.push_back({"operators", site,
                        std::to_string(answer.permissionDenied) +
                            " Admin calls refused (permission denied) and " +
                            std::to_string(answer.refusedAdminConnections) +
                            " Admin connections refused at the TLS handshake since start (see its "
                            "log, event=permission-denied)",
                        true});
    }
    if (answer.refusedConnections > 0 || answer.refusedMessages > 0) {
      alarms.push_back({"refused", site,
                        std::to_string(answer.refusedConnections) +
                            " replication connections and " +
                            std::to_string(answer.refusedMessages) +
                            " messages refused since start (see its log)",
                        true});
    }
    for (const LinkAnswer& link : answer.links) {
      bool peerUp = false;
      for (size_t j = 0; j < utilities.size() && j < input.utilities.size(); ++j) {
        peerUp = peerUp || (utilities[j].id == link.peer && input.utilities[j].answered);
      }
      const bool down = !link.connected && peerUp;
      if (down) {
        alarms.push_back({"link-down", site + "->" + link.peer,
                          "no replication connection, though " + link.peer + " is up"});
      }
      links.push_back({{"site", site},
                       {"peer", link.peer},
                       {"connected", link.connected},
                       {"lastHeardAgoMillis", link.lastHeardAgoMillis},
                       {"batchesSent", link.batchesSent},
                       {"messagesSent", link.messagesSent},
                       {"batchesReceived", link.batchesReceived},
                       {"messagesReceived", link.messagesReceived},
                       {"dropped", link.dropped}});
      linkTable.add(
          {down ? "!" : "", site, link.peer, link.connected ? "up" : "down",
           link.lastHeardAgoMillis < 0 ? "-" : std::to_string(link.lastHeardAgoMillis),
           std::to_string(link.messagesSent) + "/" + std::to_string(link.batchesSent),
           std::to_string(link.messagesReceived) + "/" + std::to_string(link.batchesReceived),
           std::to_string(link.dropped)});
    }
  }

  // ---- What the street utilities met at their venues ----
  json venueReports = json::array();
  for (size_t i = 0; i < utilities.size() && i < input.utilities.size(); ++i) {
    const VenueAlarmsAnswer& venues = input.utilities[i].venues;
    if (!venues.answered) continue;
    const std::string& site = utilities[i].id;
    const auto ageText = [&](int64_t sinceNanos) {
      return secondsText(static_cast<double>(input.nowNanos - sinceNanos) / 1e9);
    };
    json stuck = json::array(), unconfirmed = json::array();
    for (const StuckAnswer& request : venues.stuck) {
      alarms.push_back({"stuck-" + request.kind, site + ":" + request.clOrdId,
                        request.kind + " " + request.clOrdId +
                            (request.kind == "cancel" ? " of order " + request.orderId : "") +
                            " unanswered by " + request.venue + " for " +
                            ageText(request.sinceNanos) + " s" +
                            (request.statusRequested ? " (status requested)" : "")});
      stuck.push_back({{"kind", request.kind},
                       {"clOrdId", request.clOrdId},
                       {"orderId", request.orderId},
                       {"venue", request.venue},
                       {"sinceNanos", request.sinceNanos},
                       {"statusRequested", request.statusRequested}});
    }
    for (const StuckAnswer& request : venues.unconfirmed) {
      alarms.push_back({"unconfirmed-route", site + ":" + request.orderId,
                        "order " + request.orderId + " was routed to " + request.venue +
                            " in an earlier run and never acknowledged; not re-sent"});
      unconfirmed.push_back({{"orderId", request.orderId},
                             {"venue", request.venue},
                             {"sinceNanos", request.sinceNanos}});
    }
    if (venues.overfills > 0) {
      alarms.push_back({"overfill", site,
                        std::to_string(venues.overfills) +
                            " reports since start would have over-filled their order"});
    }
    if (venues.refusedReportsKept > 0) {
      alarms.push_back({"refused-report", site,
                        std::to_string(venues.refusedReportsKept) +
                            " venue reports kept unrecorded (" +
                            std::to_string(venues.refusedReports) +
                            " since start): triadctl verify lists them"});
    }
    if (venues.venueRejects > 0 || venues.unknownReferences > 0) {
      alarms.push_back({"venue-rejects", site,
                        std::to_string(venues.venueRejects) + " session or business rejects, " +
                            std::to_string(venues.unknownReferences) +
                            " naming nothing this street sent, since start",
                        true});
    }
    venueReports.push_back({{"site", site},
                            {"stuck", stuck},
                            {"unconfirmed", unconfirmed},
                            {"venueRejects", venues.venueRejects},
                            {"refusedReports", venues.refusedReports},
                            {"refusedReportsKept", venues.refusedReportsKept},
                            {"overfills", venues.overfills},
                            {"statusRequests", venues.statusRequests},
                            {"unknownReferences", venues.unknownReferences}});
  }

  // Every daemon should hold the same role map (docs/operations.md §11).
  std::map<std::string, std::string> digests;  // digest -> the sites holding it
  for (size_t i = 0; i < utilities.size() && i < input.utilities.size(); ++i) {
    if (!input.utilities[i].answered || input.utilities[i].rolesDigest.empty()) continue;
    std::string& sites = digests[input.utilities[i].rolesDigest];
    sites += (sites.empty() ? "" : ",") + utilities[i].id;
  }
  if (digests.size() > 1) {
    std::string detail = "the daemons hold different role maps:";
    for (const auto& [digest, sites] : digests) detail += " " + digest + " at " + sites + ";";
    alarms.push_back({"roles-differ", "operators.conf", detail});
  }

  json alarmList = json::array(), warningList = json::array();
  std::string alarmText, warningText;
  for (const Alarm& alarm : alarms) {
    json entry = {{"kind", alarm.kind}, {"subject", alarm.subject}, {"detail", alarm.detail}};
    const std::string line = alarm.kind + " " + alarm.subject + ": " + alarm.detail + "\n";
    if (alarm.warning) {
      warningList.push_back(std::move(entry));
      warningText += "  " + line;
    } else {
      alarmList.push_back(std::move(entry));
      alarmText += "! " + line;
    }
  }
  const size_t alarmCount = alarmList.size();
  outcome.data = {{"command", "status"},         {"healthy", alarmCount == 0},
                  {"daemons", daemons},          {"groups", groups},
                  {"replicationLinks", links},   {"venues", venueReports},
                  {"alarms", alarmList},         {"warnings", warningList},
                  {"asOfNanos", input.nowNanos}, {"maxLagRecords", input.maxLagRecords}};
  outcome.text = daemonTable.render() + "\n" + groupTable.render() + "\n" + linkTable.render() +
                 "\n" +
                 (alarmCount == 0 ? "no alarms: every daemon up, every group caught up\n"
                                  : std::to_string(alarmCount) + " alarm" +
                                        (alarmCount == 1 ? "" : "s") + ":\n" + alarmText) +
                 (warningText.empty() ? "" : "warnings:\n" + warningText);
  outcome.exitCode = alarmCount == 0 ? kExitOk : kExitRefused;
  return outcome;
}

}  // namespace triad::ctl
