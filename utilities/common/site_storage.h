// The storage of one site (DESIGN §2): one ownership group per utility in the
// topology, under <data-root>/<group>/. The site writes the group it owns and
// holds read-only replicas of every other, all replicated over the site's one
// replication transport (DESIGN §2a), which listens on the site's
// replication port and authenticates every peer with mutual TLS: the folder
// holds the deployment's CA (ca.crt) and this site's certificate and key
// (<id>.crt, <id>.key), as scripts/make-ca --site issues them.
//
// Thread-safety: the groups are thread-safe; the set of groups is fixed at
// open.

#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "base/topology.h"
#include "bdb/ownership_group.h"
#include "bdb/replication_transport.h"

namespace triad::common {

struct SiteStorageOptions {
  std::filesystem::path dataRoot;
  std::filesystem::path tls;  // the replication certificates' folder (see above)
  bdb::AckPolicy ackPolicy = bdb::AckPolicy::kOne;
  std::chrono::milliseconds ackTimeout{2000};
  std::chrono::milliseconds checkpointInterval{std::chrono::seconds(30)};
  uint32_t logFileBytes = 8u << 20;
  std::function<void(std::string_view)> log;
};

class SiteStorage {
 public:
  // Opens every group for `siteId`; the owned group first, so that peers
  // joining it find their helper as early as possible.
  static bdb::Status open(const topology::Topology& topology, std::string_view siteId,
                          const SiteStorageOptions& options, std::unique_ptr<SiteStorage>* out);

  // Closes every group in parallel (a client's close can take seconds).
  ~SiteStorage();

  const topology::Utility& site() const { return site_; }
  bdb::OwnershipGroup& owned() { return *owned_; }
  // nullptr if the topology has no such utility.
  bdb::OwnershipGroup* group(std::string_view id);
  const std::vector<std::unique_ptr<bdb::OwnershipGroup>>& groups() const { return groups_; }
  bdb::ReplicationTransport& transport() { return *transport_; }

  // The replication transport's options for `site`: every utility of the
  // topology, this site's certificate and key and the CA's certificate.
  // InvalidArgument naming the file when one is missing or unreadable.
  static bdb::Status transportOptions(const topology::Topology& topology,
                                      const topology::Utility& site,
                                      const std::filesystem::path& tls, bdb::TransportOptions* out);

  // The options of group `owner` at a site whose transport is `transport`.
  static bdb::GroupOptions groupOptions(const topology::Utility& owner,
                                        bdb::ReplicationTransport& transport,
                                        const SiteStorageOptions& options);

 private:
  explicit SiteStorage(topology::Utility site) : site_(std::move(site)) {}

  topology::Utility site_;
  std::unique_ptr<bdb::ReplicationTransport> transport_;      // outlives the groups
  std::vector<std::unique_ptr<bdb::OwnershipGroup>> groups_;  // topology order
  bdb::OwnershipGroup* owned_ = nullptr;
};

}  // namespace triad::common
