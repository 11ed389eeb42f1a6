#include "util/address.hpp"

#include <gtest/gtest.h>

using namespace sb::util;

TEST(HostPort, ParsesIpv4NameAndBracketedIpv6) {
  auto a = parse_host_port("127.0.0.1:8080");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "127.0.0.1");
  EXPECT_EQ(a->port, 8080);
  auto b = parse_host_port("localhost:0");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->port, 0);
  auto c = parse_host_port("[::1]:3478");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->to_string(), "[::1]:3478");
}

TEST(HostPort, RejectsMalformed) {
  for (const char* bad : {"", "8080", ":80", "host:", "host:65536", "host:-1", "::1:80", "[::1]", "[nope]:1",
                          "h:1x"}) {
    EXPECT_FALSE(parse_host_port(bad)) << bad;
  }
}

TEST(HostOptionalPort, HostAloneOrWithPort) {
  struct Case {
    const char* text;
    const char* host;
    int port;  // -1: none
  };
  for (const Case& c : {Case{"203.0.113.5:3479", "203.0.113.5", 3479}, Case{"turn.example.org", "turn.example.org", -1},
                        Case{"[2001:db8::1]:3478", "2001:db8::1", 3478}, Case{"[2001:db8::1]", "2001:db8::1", -1},
                        Case{"2001:db8::1", "2001:db8::1", -1}}) {
    auto a = parse_host_optional_port(c.text);
    ASSERT_TRUE(a) << c.text;
    EXPECT_EQ(a->host, c.host) << c.text;
    EXPECT_EQ(a->port ? int(*a->port) : -1, c.port) << c.text;
  }
  for (const char* bad : {"", "[]", "[::1", "::1]", "host:", "host:65536", "h:1x", "[nope]:1"}) {
    EXPECT_FALSE(parse_host_optional_port(bad)) << bad;
  }
}

TEST(IpAddress, Ipv4IsKeptMapped) {
  auto a = parse_ip("192.168.1.2");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(a->to_string(), "192.168.1.2");
  auto m = parse_ip("::ffff:192.168.1.2");
  ASSERT_TRUE(m);
  EXPECT_EQ(*a, *m);
  EXPECT_FALSE(parse_ip("::1")->is_v4());
  EXPECT_FALSE(parse_ip("300.1.1.1"));
}

TEST(Cidr, MatchesIpv4AndIpv6Ranges) {
  auto ten = parse_cidr("10.0.0.0/8");
  ASSERT_TRUE(ten);
  EXPECT_TRUE(ten->contains(*parse_ip("10.255.1.1")));
  EXPECT_FALSE(ten->contains(*parse_ip("11.0.0.1")));
  EXPECT_TRUE(ten->contains(*parse_ip("::ffff:10.1.2.3")));
  EXPECT_EQ(ten->to_string(), "10.0.0.0/8");

  auto cgn = parse_cidr("100.64.0.0/10");
  EXPECT_TRUE(cgn->contains(*parse_ip("100.127.255.255")));
  EXPECT_FALSE(cgn->contains(*parse_ip("100.128.0.0")));

  auto ula = parse_cidr("fc00::/7");
  EXPECT_TRUE(ula->contains(*parse_ip("fd12::1")));
  EXPECT_FALSE(ula->contains(*parse_ip("fe80::1")));

  auto host = parse_cidr("127.0.0.1");
  EXPECT_TRUE(host->contains(*parse_ip("127.0.0.1")));
  EXPECT_FALSE(host->contains(*parse_ip("127.0.0.2")));

  auto all = parse_cidr("0.0.0.0/0");
  EXPECT_TRUE(all->contains(*parse_ip("8.8.8.8")));
  EXPECT_FALSE(all->contains(*parse_ip("2001:db8::1")));
}

TEST(Cidr, RejectsMalformed) {
  for (const char* bad : {"", "10.0.0.0/33", "::/129", "10.0.0.0/", "x/8", "10.0.0.0/8x"}) {
    EXPECT_FALSE(parse_cidr(bad)) << bad;
  }
}

namespace sb::util {
namespace {

TEST(Url, ParsesSchemeHostPortAndTarget) {
  auto u = parse_url("https://auth.example.org:8443/hooks/join?x=1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "auth.example.org");
  EXPECT_EQ(u->port, std::optional<std::uint16_t>(8443));
  EXPECT_EQ(u->target, "/hooks/join?x=1");
  u = parse_url("http://[::1]/");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_FALSE(u->port.has_value());
  EXPECT_EQ(u->target, "/");
  u = parse_url("ws://h?room=a");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->target, "/?room=a");
  EXPECT_EQ(parse_url("ws://h")->target, "");
}

TEST(Url, RejectsWhatItDoesNotSupport) {
  for (const char* bad : {"", "host/path", "://h", "HTTP://h", "http://", "http://h:0/", "http://h:70000",
                          "http://user@h/", "http://h/#frag", "http://[::1/", "http://h:x/"}) {
    EXPECT_FALSE(parse_url(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace sb::util
