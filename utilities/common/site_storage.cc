#include "utilities/common/site_storage.h"

#include <fstream>
#include <sstream>
#include <thread>

#include "utilities/common/group_schema.h"

namespace triad::common {

bdb::Status SiteStorage::transportOptions(const topology::Topology& topology,
                                          const topology::Utility& site,
                                          const std::filesystem::path& tls,
                                          bdb::TransportOptions* out) {
  if (tls.empty()) {
    return bdb::Status::invalidArgument(
        "replication is mutual TLS: give the folder of this site's certificate "
        "(--replication-tls; scripts/make-ca --site <id> DIR issues them)");
  }
  auto readPem = [&](const std::string& name, std::string* text) {
    std::ifstream in(tls / name);
    std::stringstream content;
    if (in) content << in.rdbuf();
    *text = content.str();
    if (text->find("-----BEGIN") != std::string::npos) return bdb::Status::ok();
    return bdb::Status::invalidArgument(
        "replication TLS: cannot read " + (tls / name).string() + (in ? " (not PEM)" : "") +
        "; every site needs the deployment's ca.crt and its own <id>.crt and <id>.key there "
        "(scripts/make-ca --site <id> issues them)");
  };
  for (auto [name, text] : {std::pair{std::string("ca.crt"), &out->tls.certificateAuthority},
                            std::pair{site.id + ".crt", &out->tls.certificate},
                            std::pair{site.id + ".key", &out->tls.privateKey}}) {
    if (bdb::Status s = readPem(name, text); !s.isOk()) return s;
  }
  out->localSite = site.id;
  out->sites.clear();
  for (const topology::Utility& utility : topology.utilities()) {
    out->sites.push_back({.id = utility.id,
                          .eid = static_cast<int>(utility.groupIndex),
                          .host = utility.firmAddress,
                          .port = utility.replicationPort});
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
  if (bdb::Status s = transportOptions(topology, *site, options.tls, &transport); !s.isOk()) {
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
