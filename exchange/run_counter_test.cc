#include "exchange/run_counter.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/temp_dir.h"

namespace triad::exchange {
namespace {

TEST(RunCounterTest, CountsStartsFromOne) {
  testing::TempDir dir;
  EXPECT_EQ(advanceRunCounter(dir / "run-counter"), (std::variant<uint64_t, std::string>(1u)));
  EXPECT_EQ(advanceRunCounter(dir / "run-counter"), (std::variant<uint64_t, std::string>(2u)));
  EXPECT_EQ(advanceRunCounter(dir / "run-counter"), (std::variant<uint64_t, std::string>(3u)));
  std::ifstream in(dir / "run-counter");
  uint64_t stored = 0;
  in >> stored;
  EXPECT_EQ(stored, 3u);
}

TEST(RunCounterTest, RefusesAFileThatIsNotANumber) {
  testing::TempDir dir;
  std::ofstream(dir / "run-counter") << "seven\n";
  auto result = advanceRunCounter(dir / "run-counter");
  ASSERT_TRUE(std::holds_alternative<std::string>(result));
  EXPECT_NE(std::get<std::string>(result).find("not a run number"), std::string::npos);
}

TEST(RunCounterTest, ReportsAFolderThatCannotBeWritten) {
  testing::TempDir dir;
  auto result = advanceRunCounter(dir / "missing-folder" / "run-counter");
  ASSERT_TRUE(std::holds_alternative<std::string>(result));
  EXPECT_NE(std::get<std::string>(result).find("cannot create"), std::string::npos);
}

}  // namespace
}  // namespace triad::exchange
