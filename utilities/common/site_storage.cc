#include "utilities/common/site_storage.h"

#include <thread>

#include "utilities/common/group_schema.h"

namespace triad::common {

bdb::GroupOptions SiteStorage::groupOptions(const topology::Topology& topology,
                                            const topology::Utility& site,
                                            const topology::Utility& owner,
                                            const SiteStorageOptions& options) {
  bdb::GroupOptions group;
  group.group = owner.id;
  group.localSite = site.id;
  group.home = options.dataRoot / owner.id;
  for (const topology::ReplicationPeer& peer : topology.replicationPeers(owner)) {
    group.sites.push_back({peer.site, peer.host, peer.port});
  }
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
  std::vector<const topology::Utility*> order{site};
  for (const topology::Utility& utility : topology.utilities()) {
    if (utility.id != site->id) order.push_back(&utility);
  }
  for (const topology::Utility* owner : order) {
    std::unique_ptr<bdb::OwnershipGroup> group;
    bdb::Status s =
        bdb::OwnershipGroup::open(groupOptions(topology, *site, *owner, options), &group);
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
