#include "util/redis_url.hpp"

#include <gtest/gtest.h>

namespace sb::util {
namespace {

TEST(RedisUrl, TheUsualForms) {
  auto a = parse_redis_url("redis://127.0.0.1", nullptr);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 6379);
  EXPECT_EQ(a->db, 0u);
  auto b = parse_redis_url("redis://:s3cret@redis.internal:6380/2", nullptr);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->host, "redis.internal");
  EXPECT_EQ(b->port, 6380);
  EXPECT_EQ(b->password, "s3cret");
  EXPECT_TRUE(b->username.empty());
  EXPECT_EQ(b->db, 2u);
  auto c = parse_redis_url("redis://alice:p@ss:w0rd@[::1]:7000", nullptr);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->username, "alice");
  EXPECT_EQ(c->password, "p@ss:w0rd");  // the last @ ends the credentials
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 7000);
}

TEST(RedisUrl, MistakesAreExplained) {
  for (const char* bad : {"127.0.0.1:6379", "rediss://h", "redis://", "redis://h:0", "redis://h:99999",
                          "redis://h/x", "redis://nopass@h"}) {
    std::string why;
    EXPECT_FALSE(parse_redis_url(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
}

}  // namespace
}  // namespace sb::util
