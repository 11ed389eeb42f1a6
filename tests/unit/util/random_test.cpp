#include "util/random.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace sb::util;

TEST(Random, HexIdsHaveTheRightShapeAndDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto id = random_hex(16);
    ASSERT_EQ(id.size(), 32u);
    ASSERT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
    ASSERT_TRUE(seen.insert(id).second);
  }
}

TEST(Random, UniformStaysInRangeAndCoversIt) {
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 2000; ++i) {
    auto v = random_uniform(49152, 49159);
    ASSERT_GE(v, 49152u);
    ASSERT_LE(v, 49159u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 8u);
  EXPECT_EQ(random_uniform(7, 7), 7u);
}
