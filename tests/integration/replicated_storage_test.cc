// Ownership-group storage across real processes (issue 3, DESIGN §2): three
// triad-site processes on loopback, each the only writer of its own group and
// a read-only replica of the other two.

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "tests/integration/storage_cluster.h"

namespace triad::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kOrder =
    R"((id = "cf1-000000001", account = "acct-1", symbol = "ACME", side = buy, quantity = 100))";
constexpr const char* kExecution =
    R"((id = "ss1-000000001", orderId = "cf1-000000001", quantity = 40, priceMicros = 10250000))";
constexpr const char* kHalt = R"((symbol = "ACME", halted = true, reason = "news pending"))";

bool startsWith(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

// Polls `command` at `site` until its answer starts with `expected`.
std::string eventually(StorageCluster& cluster, const std::string& site, const std::string& command,
                       const std::string& expected, std::chrono::seconds timeout = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    last = cluster.ask(site, command);
    if (startsWith(last, expected)) return last;
    std::this_thread::sleep_for(100ms);
  }
  return last;
}

void waitUntilReplicated(StorageCluster& cluster) {
  for (const std::string& site : StorageCluster::siteIds()) {
    ASSERT_EQ(cluster.ask(site, "ready 1 60000"), "ok") << site;
  }
}

TEST(ReplicatedStorageTest, EverySiteReadsEveryGroupAndOnlyTheOwnerWrites) {
  StorageCluster cluster;
  cluster.startAll();
  waitUntilReplicated(cluster);

  ASSERT_EQ(cluster.ask("cf1", std::string("put cf1 orders cf1-000000001 ") + kOrder), "ok");
  ASSERT_EQ(cluster.ask("ss1", std::string("put ss1 executions ss1-000000001 ") + kExecution),
            "ok");
  ASSERT_EQ(cluster.ask("firm", std::string("put firm halts ACME ") + kHalt), "ok");

  for (const std::string& site : StorageCluster::siteIds()) {
    std::string order = eventually(cluster, site, "get cf1 orders cf1-000000001", "ok");
    EXPECT_NE(order.find("symbol = \"ACME\""), std::string::npos) << site << ": " << order;
    EXPECT_NE(order.find("quantity = 100"), std::string::npos) << site << ": " << order;
    std::string execution = eventually(cluster, site, "get ss1 executions ss1-000000001", "ok");
    EXPECT_NE(execution.find("priceMicros = 10250000"), std::string::npos) << site;
    std::string halt = eventually(cluster, site, "get firm halts ACME", "ok");
    EXPECT_NE(halt.find("halted = true"), std::string::npos) << site;
  }

  // A site writing into a group it does not own is refused by Berkeley DB.
  std::string refused = cluster.ask("cf1", std::string("put firm halts ACME ") + kHalt);
  EXPECT_TRUE(startsWith(refused, "error NotOwner:")) << refused;
  EXPECT_NE(refused.find("refused by Berkeley DB"), std::string::npos) << refused;
  refused = cluster.ask("firm", std::string("put ss1 executions ss1-000000002 ") + kExecution);
  EXPECT_TRUE(startsWith(refused, "error NotOwner:")) << refused;
  EXPECT_TRUE(startsWith(cluster.ask("ss1", "get ss1 executions ss1-000000002"), "error NotFound"));

  std::vector<std::string> status;
  ASSERT_EQ(cluster.ask("ss1", "status", &status), "ok");
  ASSERT_EQ(status.size(), 3u);
  for (const std::string& line : status) {
    const bool own = startsWith(line, "group ss1 ");
    EXPECT_NE(line.find(own ? "role=master master=ss1" : "role=client"), std::string::npos) << line;
  }
}

TEST(ReplicatedStorageTest, KilledReplicaCatchesUpEvenAfterTheOwnerArchivedItsLogs) {
  StorageCluster::Options options;
  options.logFileKiB = 64;  // many small log files, so archiving removes some
  StorageCluster cluster(options);
  cluster.startAll();
  waitUntilReplicated(cluster);
  ASSERT_EQ(cluster.ask("cf1", "fill audit before 50 1000"), "ok 50");
  int records = 50;

  cluster.kill("ss1");
  // The owner keeps writing with firm as its remaining replica...
  ASSERT_EQ(cluster.ask("cf1", "fill audit while-down 400 1000"), "ok 400");
  records += 400;
  // ...and checkpoints until Berkeley DB has removed the log files ss1 would
  // need to catch up. It defers removal for 30 s after it last served an
  // internal initialisation (DB_REGENV_TIMEOUT), as it did for each replica
  // that joined at the start.
  const auto firstLog = cluster.dataRoot("cf1") / "cf1" / "log.0000000001";
  const auto giveUp = std::chrono::steady_clock::now() + 90s;
  for (int round = 0;
       std::filesystem::exists(firstLog) && std::chrono::steady_clock::now() < giveUp; ++round) {
    ASSERT_EQ(cluster.ask("cf1", "checkpoint"), "ok");
    ASSERT_EQ(cluster.ask("cf1", "fill audit round-" + std::to_string(round) + " 5 1000"), "ok 5");
    records += 5;
    std::this_thread::sleep_for(500ms);
  }
  ASSERT_FALSE(std::filesystem::exists(firstLog)) << "the owner never archived its first log";

  cluster.start("ss1");
  // ss1 can only catch up by internal initialisation now.
  const std::string expected = "ok " + std::to_string(records);
  EXPECT_EQ(eventually(cluster, "ss1", "count cf1 audit", expected, 120s), expected);
  std::string sequence = cluster.ask("cf1", "wait cf1 0 0");
  ASSERT_TRUE(startsWith(sequence, "ok ")) << sequence;
  EXPECT_EQ(cluster.ask("ss1", "wait cf1 " + sequence.substr(3) + " 60000"), sequence);
}

TEST(ReplicatedStorageTest, RestartedOwnerKeepsEverythingItAcknowledged) {
  StorageCluster cluster;
  cluster.startAll();
  waitUntilReplicated(cluster);
  // A just-elected owner may still answer ReplicaInitialising ("retry
  // shortly") for a moment; the fill's keys are fixed, so a retry rewrites.
  ASSERT_EQ(eventually(cluster, "cf1", "fill audit acknowledged 120 200", "ok 120", 30s), "ok 120");

  cluster.kill("cf1");  // kill -9 straight after the acknowledgements
  cluster.start("cf1");
  EXPECT_EQ(cluster.ask("cf1", "count cf1 audit"), "ok 120");
  ASSERT_EQ(cluster.ask("cf1", "ready 1 60000"), "ok");
  ASSERT_EQ(cluster.ask("cf1", "fill audit after-restart 1 200"), "ok 1");
  for (const char* site : {"ss1", "firm"}) {
    EXPECT_EQ(eventually(cluster, site, "count cf1 audit", "ok 121"), "ok 121") << site;
  }
}

TEST(ReplicatedStorageTest, OwnerWithEveryReplicaDownAnswersNotReplicated) {
  StorageCluster cluster;
  cluster.startAll();
  waitUntilReplicated(cluster);
  cluster.kill("cf1");
  cluster.kill("ss1");

  const auto start = std::chrono::steady_clock::now();
  std::string answer = cluster.ask("firm", std::string("put firm halts ACME ") + kHalt);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(startsWith(answer, "error NotReplicated:")) << answer;
  // Within the ack timeout (1 s here) plus the time to notice the dead links.
  EXPECT_LT(elapsed, 10s);
}

}  // namespace
}  // namespace triad::testing
