#include "utilities/street/venue_session.h"

#include <gtest/gtest.h>

namespace triad::street {
namespace {

// 2023-11-14 22:13:20 UTC and two hours later, past midnight.
constexpr int64_t kLateEvening = 1'700'000'000'000'000'000;
constexpr int64_t kAfterMidnight = kLateEvening + 2 * 3'600'000'000'000;

TEST(VenueSessionTest, TradeDateFirstThenTransactTimeThenReceipt) {
  EXPECT_EQ(venueSessionOf("20231115", kLateEvening, kAfterMidnight), "20231115");
  EXPECT_EQ(venueSessionOf("", kLateEvening, kAfterMidnight), "20231114");
  EXPECT_EQ(venueSessionOf("", 0, kAfterMidnight), "20231115");
}

TEST(VenueSessionTest, AMalformedTradeDateIsNotUsed) {
  for (const char* malformed : {"2023111", "2023-11-15", "20231315", "20231100", "abcdefgh"}) {
    EXPECT_EQ(venueSessionOf(malformed, kLateEvening, kAfterMidnight), "20231114") << malformed;
  }
}

TEST(VenueSessionTest, DatesAreUtc) {
  EXPECT_EQ(utcDate(0), "19700101");
  EXPECT_EQ(utcDate(kAfterMidnight - 1), "20231115");
  EXPECT_EQ(utcDate(-1), "19691231");
}

}  // namespace
}  // namespace triad::street
