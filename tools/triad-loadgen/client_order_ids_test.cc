#include "tools/triad-loadgen/client_order_ids.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace triad::loadgen {
namespace {

TEST(ClientOrderIdsTest, NamesTheKindTheRunAndTheCount) {
  ClientOrderIds ids(0x3f9c0d2e5a7b1c44);
  EXPECT_EQ(ids.next("lg"), "lg-3f9c0d2e5a7b1c44-1");
  EXPECT_EQ(ids.next("probe"), "probe-3f9c0d2e5a7b1c44-2");
  EXPECT_EQ(ClientOrderIds(1).next("inv"), "inv-0000000000000001-1");
}

// Two runs against the same accounts (--accounts) must place new orders:
// placeOrder answers a repeated client order id with the original order.
TEST(ClientOrderIdsTest, TwoRunsNeverRepeatAnId) {
  ClientOrderIds first, second;
  std::set<std::string> sent;
  for (int i = 0; i < 1000; ++i) {
    EXPECT_TRUE(sent.insert(first.next("lg")).second);
    EXPECT_TRUE(sent.insert(second.next("lg")).second);
  }
}

TEST(ClientOrderIdsTest, FitsTheGatewaysLimit) {
  ClientOrderIds ids(~uint64_t{0});
  for (int i = 0; i < 5; ++i) ids.next("probe");
  EXPECT_LE(ids.next("probe").size(), 64u);  // OrderDesk's kMaxClientOrderId
}

}  // namespace
}  // namespace triad::loadgen
