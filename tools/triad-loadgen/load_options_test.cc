#include "tools/triad-loadgen/load_options.h"

#include <gtest/gtest.h>

namespace triad::loadgen {
namespace {

TEST(ParseMixTest, ReadsEveryKindAndLeavesOutMissingOnes) {
  Mix mix;
  ASSERT_EQ(parseMix("buy=45,sell=45,cancel=5,status=5", mix), std::nullopt);
  EXPECT_EQ(mix.buy, 45u);
  EXPECT_EQ(mix.sell, 45u);
  EXPECT_EQ(mix.cancel, 5u);
  EXPECT_EQ(mix.status, 5u);
  ASSERT_EQ(parseMix("buy=1,sell=3", mix), std::nullopt);
  EXPECT_EQ(mix.buy, 1u);
  EXPECT_EQ(mix.sell, 3u);
  EXPECT_EQ(mix.cancel, 0u);
  EXPECT_EQ(mix.total(), 4u);
}

TEST(ParseMixTest, RefusesWhatItCannotReadAndKeepsTheMix) {
  Mix mix;
  EXPECT_NE(parseMix("buy=50,hold=50", mix), std::nullopt);
  EXPECT_NE(parseMix("buy", mix), std::nullopt);
  EXPECT_NE(parseMix("buy=x", mix), std::nullopt);
  EXPECT_NE(parseMix("buy=5x", mix), std::nullopt);
  EXPECT_NE(parseMix("buy=0,sell=0", mix), std::nullopt);
  EXPECT_EQ(mix.buy, 45u);  // untouched by a refused mix
  EXPECT_EQ(mix.total(), 100u);
}

}  // namespace
}  // namespace triad::loadgen
