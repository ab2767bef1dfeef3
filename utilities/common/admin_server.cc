#include "utilities/common/admin_server.h"

#include "utilities/common/admin_audit.h"

#include <capnp/message.h>
#include <kj/debug.h>
#include <kj/vector.h>

#include <utility>
#include <vector>

namespace triad::common {
namespace {

capnp::Text::Reader text(std::string_view s) { return capnp::Text::Reader(s.data(), s.size()); }

void setTextList(capnp::List<capnp::Text>::Builder out, const std::vector<std::string>& items) {
  for (unsigned i = 0; i < items.size(); ++i) out.set(i, text(items[i]));
}

}  // namespace

void setAdminError(idl::AdminResult::Builder result, idl::ErrorCode code, std::string_view reason) {
  idl::Error::Builder error = result.initError();
  error.setCode(code);
  error.setReason(text(reason));
}

idl::ReplicationRole toIdl(bdb::ReplicationRole role) {
  switch (role) {
    case bdb::ReplicationRole::kMaster:
      return idl::ReplicationRole::MASTER;
    case bdb::ReplicationRole::kClient:
      return idl::ReplicationRole::CLIENT;
    case bdb::ReplicationRole::kInitialising:
      return idl::ReplicationRole::INITIALISING;
    case bdb::ReplicationRole::kJoining:
      // Not (yet) joined to its owner: nothing new replicates here.
      return idl::ReplicationRole::DOWN;
  }
  return idl::ReplicationRole::DOWN;
}

void fillGroupStatus(const bdb::ReplicationStatus& status, idl::GroupStatus::Builder out) {
  out.setGroup(text(status.group));
  out.setSite(text(status.site));
  out.setRole(toIdl(status.role));
  out.setMaster(text(status.master));
  idl::Lsn::Builder lsn = out.initLsn();
  lsn.setFile(status.lsn.file);
  lsn.setOffset(status.lsn.offset);
  out.setCommitSequence(status.commit.sequence);
  out.setLastCommitNanos(status.commit.committedAtNanos);
  auto peers = out.initPeers(static_cast<unsigned>(status.peers.size()));
  for (unsigned i = 0; i < status.peers.size(); ++i) {
    const bdb::PeerLink& peer = status.peers[i];
    peers[i].setSite(text(peer.site));
    peers[i].setConnected(peer.connected);
    auto acknowledged = peers[i].initAcknowledged();
    acknowledged.setFile(peer.acknowledged.file);
    acknowledged.setOffset(peer.acknowledged.offset);
    peers[i].setCommitsBehind(peer.commitsBehind);
    peers[i].setBehindNanos(peer.behind.count());
  }
  out.setPermFailures(status.permFailures);
  out.setCommits(status.commits);
  out.setStalled(status.stalled);
}

std::vector<std::string> replicationProblems(SiteStorage& storage) {
  std::vector<std::string> problems;
  for (const auto& group : storage.groups()) {
    const bdb::ReplicationStatus status = group->status();
    if (group->isOwner()) {
      if (status.role != bdb::ReplicationRole::kMaster) {
        problems.push_back("group " + status.group + ": this site owns it but is " +
                           std::string(bdb::roleName(status.role)) + ", not master");
        continue;
      }
      bool anyConnected = false;
      for (const bdb::PeerLink& peer : status.peers) anyConnected |= peer.connected;
      if (!anyConnected) {
        problems.push_back("group " + status.group +
                           ": no replica is connected; its commits are refused until one joins");
      } else if (status.stalled) {
        problems.push_back("group " + status.group +
                           ": no replica has acknowledged anything for over the ack timeout; "
                           "its commits are refused until one does");
      }
    } else if (status.role == bdb::ReplicationRole::kJoining) {
      problems.push_back("group " + status.group + ": this replica has not joined its owner " +
                         status.group + " yet; its data here may be stale");
    } else if (status.role == bdb::ReplicationRole::kInitialising) {
      problems.push_back("group " + status.group +
                         ": this replica is being re-initialised from its owner; reads wait");
    }
  }
  return problems;
}

AdminServer::AdminServer(DaemonIdentity identity, SiteStorage* storage, ServiceHealth& health)
    : identity_(std::move(identity)), storage_(storage), health_(health) {}

std::string AdminServer::notServed(std::string_view method) const {
  return std::string(method) + " is not served by " + identity_.daemon;
}

kj::Promise<void> AdminServer::health(HealthContext context) {
  std::vector<std::string> problems = health_.problems();
  if (storage_ != nullptr) {
    std::vector<std::string> replication = replicationProblems(*storage_);
    problems.insert(problems.end(), replication.begin(), replication.end());
  }
  idl::Health::Builder out = context.getResults().initHealth();
  out.setId(text(identity_.id));
  out.setRole(text(identity_.role));
  out.setVersion(text(identity_.version));
  out.setStartedAtNanos(identity_.startedAtNanos);
  out.setReady(health_.ready());
  setTextList(out.initProblems(static_cast<unsigned>(problems.size())), problems);
  return kj::READY_NOW;
}

kj::Promise<void> AdminServer::groups(GroupsContext context) {
  std::vector<bdb::ReplicationStatus> statuses;
  if (storage_ != nullptr) {
    for (const auto& group : storage_->groups()) statuses.push_back(group->status());
  }
  auto out = context.getResults().initGroups(static_cast<unsigned>(statuses.size()));
  for (unsigned i = 0; i < statuses.size(); ++i) fillGroupStatus(statuses[i], out[i]);
  return kj::READY_NOW;
}

// ---- Not served here: a daemon that serves them overrides these ----

kj::Promise<void> AdminServer::halt(HaltContext context) {
  return answerNotServed(context.getResults().initResult(), "halt");
}
kj::Promise<void> AdminServer::resume(ResumeContext context) {
  return answerNotServed(context.getResults().initResult(), "resume");
}
kj::Promise<void> AdminServer::createAccount(CreateAccountContext context) {
  return answerNotServed(context.getResults().initResult(), "createAccount");
}
kj::Promise<void> AdminServer::deposit(DepositContext context) {
  return answerNotServed(context.getResults().initResult(), "deposit");
}
kj::Promise<void> AdminServer::withdraw(WithdrawContext context) {
  return answerNotServed(context.getResults().initResult(), "withdraw");
}
kj::Promise<void> AdminServer::setLimits(SetLimitsContext context) {
  return answerNotServed(context.getResults().initResult(), "setLimits");
}
kj::Promise<void> AdminServer::setRoute(SetRouteContext context) {
  return answerNotServed(context.getResults().initResult(), "setRoute");
}
kj::Promise<void> AdminServer::settle(SettleContext context) {
  return answerNotServed(context.getResults().initResult(), "settle");
}

// These results have no error field: the call itself fails, with the same reason.
kj::Promise<void> AdminServer::accounts(AccountsContext) { return failNotServed("accounts"); }
kj::Promise<void> AdminServer::routes(RoutesContext) { return failNotServed("routes"); }
kj::Promise<void> AdminServer::verify(VerifyContext) { return failNotServed("verify"); }
kj::Promise<void> AdminServer::orders(OrdersContext) { return failNotServed("orders"); }
// Every daemon answers: a daemon that listens to no bus has nothing to list.
kj::Promise<void> AdminServer::busStats(BusStatsContext context) {
  const std::vector<BusOriginStat> stats = health_.busStats();
  auto out = context.getResults().initStats(static_cast<unsigned>(stats.size()));
  for (unsigned i = 0; i < stats.size(); ++i) {
    out[i].setBus(text(stats[i].bus));
    out[i].setOrigin(text(stats[i].origin));
    out[i].setLastSequence(stats[i].lastSequence);
    out[i].setGaps(stats[i].gaps);
    out[i].setDuplicates(stats[i].duplicates);
    out[i].setCatchUps(stats[i].catchUps);
  }
  return kj::READY_NOW;
}

kj::Promise<void> AdminServer::replication(ReplicationContext context) {
  auto out = context.getResults().initLinks();
  if (storage_ == nullptr) return kj::READY_NOW;
  const std::vector<bdb::TransportPeer> peers = storage_->transport().peers();
  const bdb::TransportCounters counters = storage_->transport().counters();
  out.setRefusedConnections(counters.refusedConnections);
  out.setRefusedMessages(counters.refusedMessages);
  auto links = out.initLinks(static_cast<unsigned>(peers.size()));
  for (unsigned i = 0; i < peers.size(); ++i) {
    const bdb::TransportPeer& peer = peers[i];
    links[i].setSite(text(peer.site));
    links[i].setConnected(peer.connected);
    links[i].setLastHeardAgoMillis(peer.lastHeardAgoMillis);
    links[i].setBatchesSent(peer.batchesSent);
    links[i].setMessagesSent(peer.messagesSent);
    links[i].setBytesSent(peer.bytesSent);
    links[i].setBatchesReceived(peer.batchesReceived);
    links[i].setMessagesReceived(peer.messagesReceived);
    links[i].setBytesReceived(peer.bytesReceived);
    links[i].setDropped(peer.dropped);
  }
  return kj::READY_NOW;
}

AdminServer::DispatchCallResult AdminServer::dispatchFrom(
    const OperatorCaller& caller, uint64_t interfaceId, uint16_t methodId,
    capnp::CallContext<capnp::AnyPointer, capnp::AnyPointer> context) {
  caller_ = caller;
  // The method's synchronous part runs inside dispatchCall; afterwards no
  // call is being dispatched.
  KJ_DEFER(caller_ = OperatorCaller{});
  return dispatchCall(interfaceId, methodId, context);
}

namespace {

void fillOperator(const access::OperatorEntry* entry, std::string_view name, std::string_view peer,
                  idl::OperatorInfo::Builder out) {
  out.setName(text(name));
  out.setPeer(text(peer));
  if (entry == nullptr) return;
  setTextList(out.initRoles(static_cast<unsigned>(entry->roles.names().size())),
              entry->roles.names());
  out.setRevoked(text(entry->revoked));
}

}  // namespace

kj::Promise<void> AdminServer::whoami(WhoamiContext context) {
  const access::OperatorEntry* entry =
      access_ == nullptr ? nullptr : access_->map().find(caller_.name);
  fillOperator(entry, caller_.name, caller_.peer, context.getResults().initOperator());
  return kj::READY_NOW;
}

kj::Promise<void> AdminServer::accessStats(AccessStatsContext context) {
  auto out = context.getResults().initStats();
  if (access_ == nullptr) return kj::READY_NOW;
  out.setPermissionDenied(access_->counters().permissionDenied);
  out.setRefusedConnections(access_->counters().refusedConnections);
  out.setRolesDigest(text(access_->map().digest()));
  out.setRolesLoadedAtNanos(access_->loadedAtNanos());
  out.setRolesReloadsRefused(access_->counters().reloadsRefused);
  return kj::READY_NOW;
}

kj::Promise<void> AdminServer::roles(RolesContext context) {
  auto out = context.getResults().initRoles();
  if (access_ == nullptr) return kj::READY_NOW;
  out.setSource(text(access_->source().string()));
  out.setDigest(text(access_->map().digest()));
  out.setLoadedAtNanos(access_->loadedAtNanos());
  const auto& operators = access_->map().operators();
  auto list = out.initOperators(static_cast<unsigned>(operators.size()));
  for (unsigned i = 0; i < operators.size(); ++i) {
    fillOperator(&operators[i], operators[i].name, "", list[i]);
  }
  return kj::READY_NOW;
}

kj::Promise<void> AdminServer::audit(AuditContext context) {
  if (firmGroup_ == nullptr) return failNotServed("audit");
  capnp::MallocMessageBuilder scratch;
  kj::Vector<capnp::Orphan<idl::AdminAudit>> entries;
  bool truncated = false;
  bdb::Status s =
      readAudit(*firmGroup_, context.getParams().getFilter(), scratch, &entries, &truncated);
  if (!s.isOk()) return KJ_EXCEPTION(FAILED, "reading the audit trail", s.toString().c_str());
  auto out = context.getResults().initEntries(static_cast<unsigned>(entries.size()));
  for (unsigned i = 0; i < entries.size(); ++i) out.setWithCaveats(i, entries[i].getReader());
  context.getResults().setTruncated(truncated);
  return kj::READY_NOW;
}

kj::Promise<void> AdminServer::answerNotServed(idl::AdminResult::Builder result,
                                               std::string_view method) const {
  setAdminError(result, idl::ErrorCode::UNAVAILABLE, notServed(method));
  return kj::READY_NOW;
}

kj::Promise<void> AdminServer::failNotServed(std::string_view method) const {
  return KJ_EXCEPTION(UNIMPLEMENTED, notServed(method).c_str());
}

}  // namespace triad::common
