// Test support for bdb's own tests and benchmarks: the sites of a small
// deployment, each with a replication transport of its own in this process,
// on 127.0.0.1 with ports the kernel says are free, and certificates from a
// fresh private CA.

#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "bdb/ownership_group.h"
#include "bdb/replication_transport.h"
#include "tests/support/free_port.h"
#include "tests/support/site_certificates.h"

namespace triad::bdb::testing {

class TestSites {
 public:
  // Site ids[i] gets environment id i.
  explicit TestSites(const std::vector<std::string>& ids)
      : certificates_(triad::testing::issueSiteCertificates(ids)) {
    for (size_t i = 0; i < ids.size(); ++i) {
      sites_.push_back({.id = ids[i],
                        .eid = static_cast<int>(i),
                        .host = "127.0.0.1",
                        .port = triad::testing::freePort("127.0.0.1")});
    }
  }

  TransportOptions options(const std::string& id) const {
    TransportOptions options;
    options.localSite = id;
    options.sites = sites_;
    options.tls = credentials(id);
    options.heartbeat = std::chrono::milliseconds(50);
    options.peerTimeout = std::chrono::milliseconds(400);
    if (std::getenv("TRIAD_TEST_VERBOSE") != nullptr) {
      options.log = [id](std::string_view line) {
        fprintf(stderr, "%lld [%s] %.*s\n",
                static_cast<long long>(std::chrono::steady_clock::now().time_since_epoch().count() /
                                       1000000 % 100000),
                id.c_str(), static_cast<int>(line.size()), line.data());
      };
    }
    return options;
  }

  std::unique_ptr<ReplicationTransport> open(const std::string& id) const {
    return open(options(id));
  }
  static std::unique_ptr<ReplicationTransport> open(TransportOptions options) {
    std::unique_ptr<ReplicationTransport> transport;
    Status s = ReplicationTransport::open(std::move(options), &transport);
    EXPECT_TRUE(s.isOk()) << s.toString();
    return transport;
  }

  // The options of the group `group` owns, at the site of `transport`, for
  // a test: 1 s acknowledgement timeout, no checkpoints. Tables are the
  // caller's.
  GroupOptions groupOptions(const std::string& group, ReplicationTransport& transport,
                            const std::filesystem::path& home) const {
    GroupOptions options;
    options.group = group;
    options.groupEid = eid(group);
    options.home = home;
    options.transport = &transport;
    options.ackTimeout = std::chrono::milliseconds(1000);
    options.checkpointInterval = std::chrono::milliseconds(0);
    return options;
  }

  // `id`'s certificate and key, with the deployment's CA.
  TransportCredentials credentials(const std::string& id) const {
    const triad::testing::IssuedCertificate& site = certificates_.sites.at(id);
    return {certificates_.authority, site.certificate, site.privateKey};
  }

  const std::vector<TransportSite>& sites() const { return sites_; }
  int eid(const std::string& id) const {
    for (const TransportSite& site : sites_) {
      if (site.id == id) return site.eid;
    }
    return -1;
  }

 private:
  triad::testing::SiteCertificates certificates_;
  std::vector<TransportSite> sites_;
};

}  // namespace triad::bdb::testing
