#include "bdb/key.h"

#include <gtest/gtest.h>

namespace triad::bdb {
namespace {

TEST(KeyTest, IntegersSortNumericallyAsBytes) {
  Key small = Key().addU64(2);
  Key large = Key().addU64(256);
  EXPECT_LT(small.bytes(), large.bytes());
  EXPECT_EQ(small.bytes().size(), 8u);
  EXPECT_EQ(static_cast<unsigned char>(large.bytes()[6]), 1u);  // big-endian
}

TEST(KeyTest, CompositeKeysSortByFirstComponentFirst) {
  Key a9 = Key().add("acct-a").addU64(9);
  Key b1 = Key().add("acct-b").addU64(1);
  Key ab1 = Key().add("acct-ab").addU64(1);
  EXPECT_LT(a9.bytes(), b1.bytes());
  // The terminator keeps "acct-a" and its records ahead of "acct-ab".
  EXPECT_LT(a9.bytes(), ab1.bytes());
}

TEST(KeyTest, ReaderReturnsComponentsInOrder) {
  Key key = Key().add("cf1").addU64(42).addU32(7);
  KeyReader reader(key.view());
  EXPECT_EQ(reader.text(), "cf1");
  EXPECT_EQ(reader.u64(), 42u);
  EXPECT_EQ(reader.u32(), 7u);
  EXPECT_TRUE(reader.atEnd());
  EXPECT_EQ(reader.u64(), std::nullopt);
}

}  // namespace
}  // namespace triad::bdb
