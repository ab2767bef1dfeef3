#include "exchange/decimal_text.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace triad::exchange {
namespace {

std::optional<int64_t> micros(const std::string& text) {
  int64_t value = -1;
  if (!parseDecimalMicros(text, value)) return std::nullopt;
  return value;
}

std::optional<int64_t> shares(const std::string& text) {
  int64_t value = -1;
  if (!parseWholeQuantity(text, value)) return std::nullopt;
  return value;
}

TEST(DecimalTextTest, ParsesPricesExactly) {
  EXPECT_EQ(micros("100"), 100'000'000);
  EXPECT_EQ(micros("100.01"), 100'010'000);
  EXPECT_EQ(micros("0.000001"), 1);
  EXPECT_EQ(micros("100."), 100'000'000);
  EXPECT_EQ(micros("0"), 0);
  EXPECT_EQ(micros("1000000000000"), 1'000'000'000'000'000'000);
}

TEST(DecimalTextTest, RefusesWhatIsNotAPlainDecimal) {
  for (const char* text : {"", ".5", "-1", "+1", "1e3", "1.0000001", "1.2.3", " 1", "1 ", "abc",
                           "1000000000001", "0x10"}) {
    EXPECT_EQ(micros(text), std::nullopt) << text;
  }
}

TEST(DecimalTextTest, ParsesWholeQuantitiesWrittenAsFloats) {
  EXPECT_EQ(shares("100"), 100);
  EXPECT_EQ(shares("100.000"), 100);
  EXPECT_EQ(shares("0"), 0);
  EXPECT_EQ(shares("100.5"), std::nullopt);
  EXPECT_EQ(shares("-5"), std::nullopt);
  EXPECT_EQ(shares(""), std::nullopt);
  EXPECT_EQ(shares("10000000000000000"), std::nullopt);
}

TEST(DecimalTextTest, FormatsTheShortestExactDecimal) {
  EXPECT_EQ(formatMicros(100'010'000), "100.01");
  EXPECT_EQ(formatMicros(250'000'000), "250");
  EXPECT_EQ(formatMicros(1), "0.000001");
  EXPECT_EQ(formatMicros(0), "0");
  EXPECT_EQ(formatMicros(-500'000), "-0.5");
  EXPECT_EQ(formatMicros(std::numeric_limits<int64_t>::min()), "-9223372036854.775808");
}

TEST(DecimalTextTest, FormattingAndParsingRoundTrip) {
  for (int64_t value : {int64_t{1}, int64_t{10}, int64_t{123'456'789}, int64_t{999'999},
                        int64_t{1'000'000}, int64_t{42'500'000}}) {
    EXPECT_EQ(micros(formatMicros(value)), value);
  }
}

}  // namespace
}  // namespace triad::exchange
