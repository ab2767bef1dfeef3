#include "utilities/common/daemon_options.h"

#include <gtest/gtest.h>

#include <boost/program_options/value_semantic.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace triad::common {
namespace {

std::variant<ParsedOptions, OptionsExit> parse(std::vector<std::string> args,
                                               const AddOptions& addOptions = {}) {
  args.insert(args.begin(), "triad-testd");
  std::vector<const char*> argv;
  for (const std::string& arg : args) argv.push_back(arg.c_str());
  return parseDaemonOptions("triad-testd", static_cast<int>(argv.size()), argv.data(), addOptions);
}

TEST(DaemonOptionsTest, ReadsTheCommonOptions) {
  auto parsed = parse({"--topology", "/tmp/t.conf", "--id", "cf1", "--data", "/tmp/d",
                       "--ack-timeout-ms", "500", "--replica-wait-ms", "0", "--ack-policy",
                       "all-available", "--log-level", "debug"});
  ASSERT_TRUE(std::holds_alternative<ParsedOptions>(parsed))
      << std::get<OptionsExit>(parsed).message;
  const DaemonOptions& options = std::get<ParsedOptions>(parsed).common;
  EXPECT_EQ(options.topologyPath, "/tmp/t.conf");
  EXPECT_EQ(options.id, "cf1");
  EXPECT_EQ(options.dataRoot, "/tmp/d");
  EXPECT_EQ(options.ackTimeout.count(), 500);
  EXPECT_EQ(options.replicaWait.count(), 0);
  EXPECT_EQ(options.ackPolicy, bdb::AckPolicy::kAllAvailable);
  EXPECT_EQ(options.logLevel, base::LogLevel::kDebug);
}

TEST(DaemonOptionsTest, DefaultsWhatIsNotGiven) {
  auto parsed = parse({"--id", "firm"});
  ASSERT_TRUE(std::holds_alternative<ParsedOptions>(parsed));
  const DaemonOptions& options = std::get<ParsedOptions>(parsed).common;
  EXPECT_EQ(options.topologyPath, "/etc/triad/topology.conf");
  EXPECT_TRUE(options.dataRoot.empty());
  EXPECT_EQ(options.ackTimeout.count(), 2000);
  EXPECT_EQ(options.ackPolicy, bdb::AckPolicy::kOne);
}

TEST(DaemonOptionsTest, ReadsAConfigFileAndTheCommandLineWins) {
  testing::TempDir dir;
  std::ofstream(dir / "cf1.conf") << "# cf1\nid = cf1\ndata = /var/lib/triad\n"
                                     "ack-timeout-ms = 750\nreplica-wait-ms = 5000\n"
                                     "venue-limit = 3\n";
  auto parsed = parse({"--config", (dir / "cf1.conf").string(), "--replica-wait-ms", "100"},
                      [](boost::program_options::options_description& own) {
                        own.add_options()("venue-limit",
                                          boost::program_options::value<int>()->default_value(1),
                                          "a daemon's own option");
                      });
  ASSERT_TRUE(std::holds_alternative<ParsedOptions>(parsed))
      << std::get<OptionsExit>(parsed).message;
  const ParsedOptions& result = std::get<ParsedOptions>(parsed);
  EXPECT_EQ(result.common.id, "cf1");
  EXPECT_EQ(result.common.dataRoot, "/var/lib/triad");
  EXPECT_EQ(result.common.ackTimeout.count(), 750);
  EXPECT_EQ(result.common.replicaWait.count(), 100);
  EXPECT_EQ(result.variables["venue-limit"].as<int>(), 3);
}

TEST(DaemonOptionsTest, RefusesBadOptionsWithExit2) {
  const std::vector<std::vector<std::string>> bad = {
      {"--data", "/tmp/d"},                         // no --id
      {"--id", "cf1", "--ack-timeout-ms", "0"},     // not positive
      {"--id", "cf1", "--ack-timeout-ms", "soon"},  // not a number
      {"--id", "cf1", "--ack-policy", "quorum"},    // never acknowledged by priority-0 clients
      {"--id", "cf1", "--log-level", "loud"},       //
      {"--id", "cf1", "--colour", "blue"},          // unknown option
      {"--id", "cf1", "--config", "/nonexistent/triad.conf"},
  };
  for (const auto& args : bad) {
    auto parsed = parse(args);
    ASSERT_TRUE(std::holds_alternative<OptionsExit>(parsed)) << args.back();
    EXPECT_EQ(std::get<OptionsExit>(parsed).code, 2) << args.back();
    EXPECT_EQ(std::get<OptionsExit>(parsed).message.rfind("triad-testd: ", 0), 0u);
  }
}

TEST(DaemonOptionsTest, RefusesAnUnknownKeyInTheConfigFile) {
  testing::TempDir dir;
  std::ofstream(dir / "bad.conf") << "id = cf1\nreplication-prot = 7300\n";
  auto parsed = parse({"--config", (dir / "bad.conf").string()});
  ASSERT_TRUE(std::holds_alternative<OptionsExit>(parsed));
  EXPECT_NE(std::get<OptionsExit>(parsed).message.find("replication-prot"), std::string::npos);
}

TEST(DaemonOptionsTest, HelpExitsZero) {
  auto parsed = parse({"--help"});
  ASSERT_TRUE(std::holds_alternative<OptionsExit>(parsed));
  EXPECT_EQ(std::get<OptionsExit>(parsed).code, 0);
  EXPECT_NE(std::get<OptionsExit>(parsed).message.find("--topology"), std::string::npos);
}

}  // namespace
}  // namespace triad::common
