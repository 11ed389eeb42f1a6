// The default peer policy: every built-in range in IPv4, IPv4-mapped, IPv4-compatible and
// IPv4-translated spellings; IPv6 ranges; own addresses; allow overriding deny.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include "turn/peer_policy.hpp"

namespace sb::turn {
namespace {

stun::TransportAddress v4(const char* text) { return *stun::TransportAddress::parse(std::string(text) + ":9"); }
stun::TransportAddress v6(const std::string& text) { return *stun::TransportAddress::parse("[" + text + "]:9"); }

// One address inside each built-in IPv4 range, plus the edges.
const char* const kDeniedV4[] = {"0.0.0.0",       "0.255.255.255", "10.0.0.1",      "10.255.255.255",
                                 "100.64.0.1",    "100.127.255.255", "127.0.0.1",   "127.255.255.254",
                                 "169.254.1.1",   "172.16.0.1",    "172.31.255.255", "192.168.0.1",
                                 "224.0.0.1",     "239.255.255.255", "240.0.0.1",   "255.255.255.255"};
const char* const kAllowedV4[] = {"1.1.1.1",      "100.63.255.255", "100.128.0.0", "172.15.255.255",
                                  "172.32.0.0",   "192.167.255.255", "192.169.0.0", "203.0.113.5",
                                  "223.255.255.255", "11.0.0.0",     "126.255.255.255", "169.253.255.255"};

TEST(PeerPolicy, DeniesEveryBuiltInIpv4RangeInEverySpelling) {
  const DefaultPeerPolicy p;
  for (const char* a : kDeniedV4) {
    EXPECT_FALSE(p.allowed(v4(a))) << a;
    EXPECT_FALSE(p.allowed(v6(std::string("::ffff:") + a))) << "mapped " << a;
    EXPECT_FALSE(p.allowed(v6(std::string("::") + a))) << "compatible " << a;
    EXPECT_FALSE(p.allowed(v6(std::string("::ffff:0:") + a))) << "translated " << a;
  }
  for (const char* a : kAllowedV4) {
    EXPECT_TRUE(p.allowed(v4(a))) << a;
    EXPECT_TRUE(p.allowed(v6(std::string("::ffff:") + a))) << "mapped " << a;
    EXPECT_TRUE(p.allowed(v6(std::string("::") + a))) << "compatible " << a;
  }
}

TEST(PeerPolicy, DeniesIpv6SpecialRanges) {
  const DefaultPeerPolicy p;
  for (const char* a : {"::", "::1", "fc00::1", "fdff:ffff::1", "fe80::1", "febf::1", "ff02::1", "64:ff9b::1.2.3.4",
                        "64:ff9b:1::1", "2002:101:101::1", "::0.0.0.2"}) {
    EXPECT_FALSE(p.allowed(v6(a))) << a;
  }
  for (const char* a : {"2001:db8::1", "2606:4700::1111", "2003::1"}) EXPECT_TRUE(p.allowed(v6(a))) << a;
}

// Issue 10: ranges the first list missed. Teredo embeds an IPv4 server and (obfuscated) client address, so
// a Teredo peer can stand for anything; 192.0.0/24 and 198.18/15 are special-purpose, not the internet.
TEST(PeerPolicy, DeniesSpecialPurposeAndTeredoRanges) {
  const DefaultPeerPolicy p;
  for (const char* a : {"192.0.0.1", "192.0.0.255", "198.18.0.1", "198.19.255.255"}) {
    EXPECT_FALSE(p.allowed(v4(a))) << a;
    EXPECT_FALSE(p.allowed(v6(std::string("::ffff:") + a))) << "mapped " << a;
  }
  for (const char* a : {"2001::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:0:ffff::1", "fec0::1",
                        "feff:ffff::1", "100::1", "100::ffff:ffff:ffff:ffff"}) {
    EXPECT_FALSE(p.allowed(v6(a))) << a;
  }
  // The neighbours stay reachable: 192.0.1/24, 198.17/16, 198.20/16, 2001:1::/32 and 2001:db8::/32, 100:0:0:1::.
  for (const char* a : {"192.0.1.1", "192.0.2.2", "198.17.255.255", "198.20.0.0"}) EXPECT_TRUE(p.allowed(v4(a))) << a;
  for (const char* a : {"2001:1::1", "2001:db8::1", "100:0:0:1::1"}) EXPECT_TRUE(p.allowed(v6(a))) << a;
}

TEST(PeerPolicy, AllowWinsOverBuiltInsAndDenyList) {
  std::string err;
  auto p = DefaultPeerPolicy::from_strings({"127.0.0.0/8", "::1", "10.1.0.0/16"}, {"10.1.2.0/24", "8.8.8.0/24"},
                                           {}, err);
  ASSERT_TRUE(p) << err;
  EXPECT_TRUE(p->allowed(v4("127.0.0.1")));
  EXPECT_TRUE(p->allowed(v6("::ffff:127.0.0.1")));  // the same address in mapped form
  EXPECT_TRUE(p->allowed(v6("::127.0.0.1")));
  EXPECT_TRUE(p->allowed(v6("::1")));
  EXPECT_TRUE(p->allowed(v4("10.1.2.3")));   // allow wins over an overlapping deny
  EXPECT_FALSE(p->allowed(v4("10.2.0.1")));  // still the built-in 10/8
  EXPECT_FALSE(p->allowed(v4("8.8.8.8")));   // configured deny
  EXPECT_FALSE(p->allowed(v6("::ffff:8.8.8.8")));
  EXPECT_TRUE(p->allowed(v4("8.8.4.4")));
}

TEST(PeerPolicy, OwnAddressesAreDenied) {
  std::string err;
  auto p = DefaultPeerPolicy::from_strings(
      {}, {}, {*util::parse_ip("198.51.100.1"), *util::parse_ip("2001:db8::1")}, err);
  ASSERT_TRUE(p) << err;
  EXPECT_FALSE(p->allowed(v4("198.51.100.1")));
  EXPECT_FALSE(p->allowed(v6("::ffff:198.51.100.1")));
  EXPECT_FALSE(p->allowed(v6("2001:db8::1")));
  EXPECT_TRUE(p->allowed(v4("198.51.100.2")));
}

TEST(PeerPolicy, BadCidrIsReported) {
  std::string err;
  EXPECT_FALSE(DefaultPeerPolicy::from_strings({"10.0.0.0/33"}, {}, {}, err));
  EXPECT_NE(err.find("10.0.0.0/33"), std::string::npos);
}

}  // namespace
}  // namespace sb::turn
