// Replication admits only the topology's sites, each as itself (issue 15,
// DESIGN §2a), with real processes: three triad-site processes on loopback
// (tests/integration/storage_cluster.h), then
//  1. a stranger in ss1's place, with certificates from a CA of its own:
//     every site refuses its connections, and it never reads a record of
//     the groups it would replicate;
//  2. a genuine site posing as another group's owner: ss1's own certificate
//     under cf1's id, writing "cf1" records: the firm takes them for ss1's
//     and refuses them, so no replica of cf1's group ever holds them.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "base/topology.h"
#include "tests/integration/storage_cluster.h"
#include "tests/support/site_certificates.h"

namespace triad::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAudit = R"((id = "cf1-000000900", account = "acct-1"))";

bool eventuallyLogs(StorageCluster& cluster, const std::string& site, const std::string& text,
                    std::chrono::seconds timeout = 30s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cluster.log(site).find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

TEST(ReplicationAuthTest, AStrangerNeitherJoinsNorReads) {
  StorageCluster cluster;
  cluster.startAll();
  for (const std::string& site : StorageCluster::siteIds()) {
    ASSERT_EQ(cluster.ask(site, "ready 1 60000"), "ok") << site;
  }
  cluster.kill("ss1");

  // The stranger: a CA of its own, a certificate that says "ss1", fresh data.
  TempDir elsewhere;
  auto topology = topology::Topology::load(cluster.topologyPath());
  makeSiteCertificates(elsewhere / "tls", std::get<topology::Topology>(topology));
  std::filesystem::remove_all(cluster.dataRoot("ss1"));
  cluster.start("ss1", elsewhere / "tls");

  ASSERT_EQ(cluster.ask("cf1", std::string("put cf1 audit cf1-000000900 ") + kAudit), "ok");
  EXPECT_TRUE(eventuallyLogs(cluster, "firm", "ALARM: replication connection refused"))
      << cluster.log("firm");
  EXPECT_TRUE(eventuallyLogs(cluster, "cf1", "replication connection to ss1 failed"))
      << cluster.log("cf1");
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(cluster.ask("ss1", "count cf1 audit"), "ok 0");
  EXPECT_NE(cluster.ask("ss1", "get cf1 audit cf1-000000900").rfind("error", 0), std::string::npos);
  // The genuine sites go on between themselves.
  EXPECT_EQ(cluster.ask("firm", "get cf1 audit cf1-000000900").rfind("ok", 0), 0u);
}

TEST(ReplicationAuthTest, ASiteCannotPoseAsAnotherGroupsOwner) {
  StorageCluster cluster;
  cluster.startAll();
  for (const std::string& site : StorageCluster::siteIds()) {
    ASSERT_EQ(cluster.ask(site, "ready 1 60000"), "ok") << site;
  }
  cluster.kill("cf1");

  // ss1's genuine certificate and key, installed as cf1's.
  TempDir posing;
  std::filesystem::create_directories(posing / "tls");
  std::filesystem::copy_file(cluster.tlsPath() / "ca.crt", posing / "tls" / "ca.crt");
  std::filesystem::copy_file(cluster.tlsPath() / "ss1.crt", posing / "tls" / "cf1.crt");
  std::filesystem::copy_file(cluster.tlsPath() / "ss1.key", posing / "tls" / "cf1.key");
  cluster.start("cf1", posing / "tls");

  // The impostor owns "cf1" in its own eyes and writes; no replica takes it.
  const std::string put = cluster.ask("cf1", std::string("put cf1 audit cf1-000000900 ") + kAudit);
  EXPECT_TRUE(put == "ok" || put.rfind("error NotReplicated", 0) == 0) << put;
  EXPECT_TRUE(eventuallyLogs(cluster, "firm",
                             "sent a replication message of group index 0, which it does not own"))
      << cluster.log("firm");
  std::this_thread::sleep_for(1s);
  for (const char* site : {"ss1", "firm"}) {
    EXPECT_NE(cluster.ask(site, "get cf1 audit cf1-000000900").rfind("error", 0), std::string::npos)
        << site;
  }
}

}  // namespace
}  // namespace triad::testing
