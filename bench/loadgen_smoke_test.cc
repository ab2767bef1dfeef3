// Keeps the benchmark from rotting (issue 8): triad-loadgen runs for a few
// seconds against a small deployment started here (both buses, an exchange,
// the firm, two customer utilities, a street utility) and must report
// throughput and latencies, with no operation failed. It asserts no figure
// beyond "more than zero": timing belongs to scripts/bench, not to tests.

#include <gtest/gtest.h>
#include <kj/async-io.h>
#include <signal.h>

#include <regex>
#include <string>
#include <vector>

#include "tests/support/customer_session.h"

namespace triad {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

// The number after "key": in the loadgen's JSON report, or -1.
double jsonNumber(const std::string& json, const std::string& key) {
  std::smatch match;
  if (!std::regex_search(json, match, std::regex("\"" + key + "\": ([0-9.]+)"))) return -1;
  return std::stod(match[1]);
}

TEST(LoadgenSmokeTest, ReportsThroughputAndLatencyWithoutErrors) {
  testing::Deployment deployment({.customers = {"cf1", "cf2"}, .streets = {"ss1"}});
  deployment.startBroker("firm");
  deployment.startBroker("customer");
  deployment.startExchange("xtst");
  for (const char* id : {"cf1", "cf2"}) deployment.start("utilities/customer/triad-customerd", id);
  deployment.start("utilities/street/triad-streetd", "ss1");
  deployment.start("utilities/firm/triad-firmd", "firm");
  kj::AsyncIoContext io = kj::setupAsyncIo();
  for (const char* id : {"firm", "cf1", "cf2", "ss1"}) {
    std::string lastError;
    ASSERT_NE(testing::connectWhenReady(io, deployment.site(id), 60s, &lastError), nullptr)
        << id << ": " << lastError << "\n"
        << deployment.log(id);
  }

  ChildProcess loadgen(testing::builtProgram("tools/triad-loadgen/triad-loadgen"),
                       {"--topology",
                        deployment.topologyPath().string(),
                        "--utilities",
                        "cf1,cf2",
                        "--setup",
                        "--account-count",
                        "2",
                        "--inventory",
                        "50",
                        "--venue",
                        "xtst",
                        "--concurrency",
                        "4",
                        "--duration",
                        "3",
                        "--probe-interval-ms",
                        "100",
                        "--json",
                        "--no-progress",
                        "--admin-ca",
                        (deployment.adminTlsPath() / "ca.crt").string(),
                        "--admin-cert",
                        (deployment.adminTlsPath() / "operator-test-admin.crt").string(),
                        "--admin-key",
                        (deployment.adminTlsPath() / "operator-test-admin.key").string()});
  std::string report;
  while (auto line = loadgen.readLine(60s)) report += *line + "\n";
  const auto status = loadgen.wait(30s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 0) << report << deployment.log("cf1");
  EXPECT_GT(jsonNumber(report, "placedPerSecond"), 0) << report;
  EXPECT_GT(jsonNumber(report, "p50"), 0) << report;
  EXPECT_EQ(jsonNumber(report, "errorCount"), 0) << report;
  // The probe saw at least one fill at the other utility.
  EXPECT_EQ(report.find("\"fillVisible\": {\"count\": 0,"), std::string::npos) << report;

  for (const char* id : {"cf1", "cf2", "ss1", "firm"}) deployment.process(id).kill(SIGTERM);
  for (const char* id : {"cf1", "cf2", "ss1", "firm"}) deployment.process(id).wait(30s);
  for (const char* id : {"bus-firm", "bus-customer"}) deployment.process(id).kill(SIGTERM);
  deployment.process("xtst").kill(SIGTERM);
  deployment.process("xtst").wait(30s);
}

}  // namespace
}  // namespace triad
