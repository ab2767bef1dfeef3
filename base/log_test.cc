#include "base/log.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace triad::base {
namespace {

// 2024-05-01T12:00:00.123Z
constexpr int64_t kFixedNanos = 1714564800'123'456'789;

Logger::Options captureInto(std::vector<std::string>& lines, LogLevel minimum = LogLevel::kInfo) {
  Logger::Options options;
  options.minimum = minimum;
  options.sink = [&lines](std::string_view line) { lines.emplace_back(line); };
  options.clock = [] { return kFixedNanos; };
  return options;
}

TEST(LogTest, WritesOneLogfmtLinePerEvent) {
  std::vector<std::string> lines;
  Logger logger("triad-customerd", "cf1", captureInto(lines));
  logger.info("started", {{"port", uint16_t{7200}}, {"ready", true}, {"address", "127.2.0.1"}});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "ts=2024-05-01T12:00:00.123Z level=info daemon=triad-customerd id=cf1 event=started "
            "port=7200 ready=true address=127.2.0.1");
}

TEST(LogTest, QuotesAndEscapesValuesThatNeedIt) {
  std::vector<std::string> lines;
  Logger logger("triad-firmd", "firm", captureInto(lines));
  logger.error("refused", {{"reason", "topology.conf:3: bad \"key\" = x\nnext"}, {"empty", ""}});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(R"(reason="topology.conf:3: bad \"key\" = x\nnext")"), std::string::npos)
      << lines[0];
  EXPECT_NE(lines[0].find(R"(empty="")"), std::string::npos) << lines[0];
}

TEST(LogTest, OmitsTheIdUntilItIsKnown) {
  std::vector<std::string> lines;
  Logger logger("triad-streetd", "", captureInto(lines));
  logger.warning("bad-options");
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "ts=2024-05-01T12:00:00.123Z level=warning daemon=triad-streetd event=bad-options");
}

TEST(LogTest, DropsLinesBelowTheMinimumLevel) {
  std::vector<std::string> lines;
  Logger logger("triad-streetd", "ss1", captureInto(lines, LogLevel::kWarning));
  logger.debug("noise");
  logger.info("noise");
  logger.warning("kept");
  logger.error("kept");
  EXPECT_EQ(lines.size(), 2u);
}

TEST(LogTest, PrefixesTheSyslogPriorityForTheJournal) {
  std::vector<std::string> lines;
  Logger::Options options = captureInto(lines);
  options.syslogPriority = true;
  Logger logger("triad-firmd", "firm", options);
  logger.warning("slow");
  logger.info("fine");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].rfind("<4>ts=", 0), 0u) << lines[0];
  EXPECT_EQ(lines[1].rfind("<6>ts=", 0), 0u) << lines[1];
}

TEST(LogTest, LinesFromManyThreadsStayWhole) {
  std::vector<std::string> lines;
  Logger logger("triad-firmd", "firm", captureInto(lines));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&logger, t] {
      for (int i = 0; i < 200; ++i) logger.info("tick", {{"thread", t}, {"i", i}});
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_EQ(lines.size(), 800u);
  for (const std::string& line : lines) EXPECT_EQ(line.rfind("ts=", 0), 0u) << line;
}

TEST(LogTest, ParsesLevels) {
  EXPECT_EQ(parseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(parseLogLevel("warn"), LogLevel::kWarning);
  EXPECT_EQ(parseLogLevel("error"), LogLevel::kError);
  EXPECT_FALSE(parseLogLevel("loud").has_value());
}

TEST(LogTest, FormatsTimestampsInUtcMilliseconds) {
  EXPECT_EQ(formatTimestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(formatTimestamp(kFixedNanos), "2024-05-01T12:00:00.123Z");
}

}  // namespace
}  // namespace triad::base
