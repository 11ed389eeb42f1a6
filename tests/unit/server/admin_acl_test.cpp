#include "server/admin_acl.hpp"

#include <gtest/gtest.h>

namespace sb::server {
namespace {

util::IpAddress ip(const char* s) { return *util::parse_ip(s); }

TEST(AdminAcl, LoopbackOnlyByDefault) {
  AdminAcl acl;
  EXPECT_TRUE(acl.allows(ip("127.0.0.1")));
  EXPECT_TRUE(acl.allows(ip("127.5.6.7")));
  EXPECT_TRUE(acl.allows(ip("::1")));
  EXPECT_FALSE(acl.allows(ip("10.0.0.1")));
  EXPECT_FALSE(acl.allows(ip("192.168.1.10")));
  EXPECT_FALSE(acl.allows(ip("2001:db8::1")));
  EXPECT_FALSE(acl.allows(ip("128.0.0.1")));
}

TEST(AdminAcl, ConfiguredRanges) {
  AdminAcl acl({"10.0.0.0/8", "2001:db8::/32", "192.168.1.10"});
  EXPECT_TRUE(acl.allows(ip("10.1.2.3")));
  EXPECT_TRUE(acl.allows(ip("2001:db8:1::5")));
  EXPECT_TRUE(acl.allows(ip("192.168.1.10")));
  EXPECT_FALSE(acl.allows(ip("192.168.1.11")));
  EXPECT_FALSE(acl.allows(ip("11.0.0.1")));
  EXPECT_TRUE(acl.allows(ip("127.0.0.1"))) << "loopback stays allowed";
}

}  // namespace
}  // namespace sb::server
