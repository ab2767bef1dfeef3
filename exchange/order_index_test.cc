#include "exchange/order_index.h"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>
#include <vector>

namespace triad::exchange {
namespace {

TEST(OrderIndexTest, FindsWhatWasInsertedAndForgetsWhatWasErased) {
  OrderIndex index;
  index.insert(7, 70);
  index.insert(8, 80);
  EXPECT_EQ(index.find(7), 70u);
  EXPECT_EQ(index.find(8), 80u);
  EXPECT_FALSE(index.find(9));
  EXPECT_FALSE(index.find(kNoOrderId));
  index.erase(7);
  EXPECT_FALSE(index.find(7));
  EXPECT_EQ(index.find(8), 80u);
  EXPECT_EQ(index.size(), 1u);
}

// Growth, probe runs that wrap around the end of the table, and
// backward-shift deletion in the middle of runs, against a std::unordered_map.
TEST(OrderIndexTest, AgreesWithUnorderedMapUnderRandomInsertsAndErases) {
  std::mt19937_64 random(7);
  OrderIndex index;
  std::unordered_map<OrderId, uint32_t> expected;
  std::vector<OrderId> live;
  OrderId next = (OrderId{3} << 40) + 1;  // ids as the engine issues them for book 3
  for (int step = 0; step < 200'000; ++step) {
    // Mostly inserts early on, then a balance, so the table grows and churns.
    const bool insert = live.empty() || random() % 100 < (step < 50'000 ? 70u : 50u);
    if (insert) {
      const OrderId id = next++;
      const uint32_t slot = static_cast<uint32_t>(random());
      index.insert(id, slot);
      expected[id] = slot;
      live.push_back(id);
    } else {
      const size_t i = random() % live.size();
      const OrderId id = live[i];
      live[i] = live.back();
      live.pop_back();
      index.erase(id);
      expected.erase(id);
    }
    if (step % 1000 == 0) {
      ASSERT_EQ(index.size(), expected.size());
      for (const auto& [id, slot] : expected) ASSERT_EQ(index.find(id), slot) << id;
      // Erased and never-issued ids are absent.
      for (OrderId probe = next - 2000; probe < next + 10; ++probe) {
        if (!expected.contains(probe)) {
          ASSERT_FALSE(index.find(probe)) << probe;
        }
      }
    }
  }
}

// Strided keys (multiples of the table size) would all share one bucket
// under a modulo hash; they must still be found and erased.
TEST(OrderIndexTest, HandlesStridedKeys) {
  OrderIndex index;
  std::vector<OrderId> ids;
  for (OrderId id = 1; ids.size() < 200; ++id) ids.push_back(id * 1024);
  for (uint32_t i = 0; i < ids.size(); ++i) index.insert(ids[i], i);
  for (size_t i = 0; i < ids.size(); i += 2) index.erase(ids[i]);
  for (uint32_t i = 0; i < ids.size(); ++i) {
    if (i % 2 == 0) {
      EXPECT_FALSE(index.find(ids[i]));
    } else {
      EXPECT_EQ(index.find(ids[i]), i);
    }
  }
}

}  // namespace
}  // namespace triad::exchange
