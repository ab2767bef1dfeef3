#include "utilities/firm/money.h"

#include <gtest/gtest.h>

#include <limits>

namespace triad::firm {
namespace {

TEST(FormatMicros, ShowsUnitsWithSeparatorsAndAtLeastTwoDecimals) {
  EXPECT_EQ(formatMicros(1'000'000'000), "1,000.00");
  EXPECT_EQ(formatMicros(250'000'000), "250.00");
  EXPECT_EQ(formatMicros(0), "0.00");
  EXPECT_EQ(formatMicros(10'250'500'000), "10,250.50");
  EXPECT_EQ(formatMicros(1'234'567), "1.234567");
  EXPECT_EQ(formatMicros(-1'234'567'890'000), "-1,234,567.89");
  EXPECT_EQ(formatMicros(1'000'000'000'000'000), "1,000,000,000.00");
}

TEST(FormatMicros, HandlesTheExtremes) {
  EXPECT_EQ(formatMicros(std::numeric_limits<int64_t>::min()), "-9,223,372,036,854.775808");
  EXPECT_EQ(formatMicros(std::numeric_limits<int64_t>::max()), "9,223,372,036,854.775807");
}

}  // namespace
}  // namespace triad::firm
