#include "utilities/common/site_storage.h"

#include <thread>

#include "base/curve.h"
#include "utilities/common/group_schema.h"

namespace triad::common {

bdb::Status SiteStorage::transportOptions(const topology::Topology& topology,
                                          const topology::Utility& site,
                                          const std::filesystem::path& keys,
                                          bdb::TransportOptions* out) {
  auto refused = [&](const base::CurveError& error) {
    return bdb::Status::invalidArgument(
        "replication keys: " + error.message + " (every site needs its own <id>.secret and " +
        "every utility's <id>.public in " + keys.string() + "; triad-bus-keys makes them)");
  };
  if (keys.empty()) {
    return bdb::Status::invalidArgument(
        "replication is authenticated: give the folder of the sites' CURVE keys "
        "(--replication-keys; triad-bus-keys DIR <every utility id> makes them)");
  }
  auto own = base::readCurveKeyPair(keys, site.id);
  if (auto* error = std::get_if<base::CurveError>(&own)) return refused(*error);
  out->localSite = site.id;
  out->own = std::get<base::CurveKeyPair>(std::move(own));
  out->sites.clear();
  for (const topology::Utility& utility : topology.utilities()) {
    auto key = base::readCurvePublicKey(keys, utility.id);
    if (auto* error = std::get_if<base::CurveError>(&key)) return refused(*error);
    out->sites.push_back({.id = utility.id,
                          .eid = static_cast<int>(utility.groupIndex),
                          .host = utility.firmAddress,
                          .port = utility.replicationPort,
                          .publicKey = std::get<std::string>(std::move(key))});
  }
  return bdb::Status::ok();
}

bdb::GroupOptions SiteStorage::groupOptions(const topology::Utility& owner,
                                            bdb::ReplicationTransport& transport,
                                            const SiteStorageOptions& options) {
  bdb::GroupOptions group;
  group.group = owner.id;
  group.groupEid = static_cast<int>(owner.groupIndex);
  group.home = options.dataRoot / owner.id;
  group.transport = &transport;
  group.tables = tableSpecs(owner.role);
  group.ackPolicy = options.ackPolicy;
  group.ackTimeout = options.ackTimeout;
  group.checkpointInterval = options.checkpointInterval;
  group.logFileBytes = options.logFileBytes;
  group.log = options.log;
  return group;
}

bdb::Status SiteStorage::open(const topology::Topology& topology, std::string_view siteId,
                              const SiteStorageOptions& options,
                              std::unique_ptr<SiteStorage>* out) {
  const topology::Utility* site = topology.findUtility(siteId);
  if (site == nullptr) {
    return bdb::Status::invalidArgument("the topology has no utility '" + std::string(siteId) +
                                        "'");
  }
  std::unique_ptr<SiteStorage> storage(new SiteStorage(*site));
  bdb::TransportOptions transport;
  if (bdb::Status s = transportOptions(topology, *site, options.keys, &transport); !s.isOk()) {
    return s;
  }
  transport.log = options.log;
  if (bdb::Status s = bdb::ReplicationTransport::open(std::move(transport), &storage->transport_);
      !s.isOk()) {
    return s;
  }
  std::vector<const topology::Utility*> order{site};
  for (const topology::Utility& utility : topology.utilities()) {
    if (utility.id != site->id) order.push_back(&utility);
  }
  for (const topology::Utility* owner : order) {
    std::unique_ptr<bdb::OwnershipGroup> group;
    bdb::Status s =
        bdb::OwnershipGroup::open(groupOptions(*owner, *storage->transport_, options), &group);
    if (!s.isOk()) return s;
    if (owner == site) storage->owned_ = group.get();
    storage->groups_.push_back(std::move(group));
  }
  *out = std::move(storage);
  return bdb::Status::ok();
}

bdb::OwnershipGroup* SiteStorage::group(std::string_view id) {
  for (auto& group : groups_) {
    if (group->name() == id) return group.get();
  }
  return nullptr;
}

SiteStorage::~SiteStorage() {
  std::vector<std::thread> closers;
  for (auto& group : groups_) {
    closers.emplace_back([g = std::move(group)]() mutable { g.reset(); });
  }
  for (std::thread& closer : closers) closer.join();
}

}  // namespace triad::common
