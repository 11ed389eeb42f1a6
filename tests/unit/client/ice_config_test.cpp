#include "client/ice_config.hpp"

#include <gtest/gtest.h>

namespace sb::client {
namespace {

TEST(IceServers, StunAndTurnBecomeWebrtcbinUris) {
  std::vector<signaling::IceServer> in{
      {{"stun:127.0.0.1:3478"}, std::nullopt, std::nullopt},
      {{"turn:10.0.0.1:3478?transport=udp", "turns:relay.example.com:5349?transport=tcp"},
       std::string("1700000000:alice"),
       std::string("c2VjcmV0+/=")},
  };
  GstIceServers out = to_gst_ice_servers(in);
  ASSERT_EQ(out.stun.size(), 1u);
  EXPECT_EQ(out.stun[0], "stun://127.0.0.1:3478");
  ASSERT_EQ(out.turn.size(), 2u);
  // ':' in the ephemeral username and base64 characters in the password are escaped.
  EXPECT_EQ(out.turn[0], "turn://1700000000%3Aalice:c2VjcmV0%2B%2F%3D@10.0.0.1:3478?transport=udp");
  EXPECT_EQ(out.turn[1], "turns://1700000000%3Aalice:c2VjcmV0%2B%2F%3D@relay.example.com:5349?transport=tcp");
  EXPECT_TRUE(out.skipped.empty());
}

TEST(IceServers, UnusableEntriesAreReportedNotUsed) {
  std::vector<signaling::IceServer> in{
      {{"turn:10.0.0.1:3478"}, std::nullopt, std::nullopt},  // no credentials
      {{"http://example.com"}, std::nullopt, std::nullopt},
      {{"stun:"}, std::nullopt, std::nullopt},
  };
  GstIceServers out = to_gst_ice_servers(in);
  EXPECT_TRUE(out.stun.empty());
  EXPECT_TRUE(out.turn.empty());
  EXPECT_EQ(out.skipped.size(), 3u);
}

TEST(CandidateType, ReadsTheTypToken) {
  EXPECT_EQ(candidate_type("candidate:1 1 UDP 2015363327 192.0.2.2 40000 typ host"), "host");
  EXPECT_EQ(candidate_type("candidate:2 1 udp 1 203.0.113.5 50000 typ relay raddr 192.0.2.2 rport 40000"), "relay");
  EXPECT_EQ(candidate_type("candidate:3 1 udp 1 198.51.100.1 1 typ srflx raddr 0.0.0.0 rport 0"), "srflx");
  EXPECT_FALSE(candidate_type("candidate:4 1 udp 1 198.51.100.1 1"));
  EXPECT_FALSE(candidate_type(""));

  CandidateTypesSeen seen;
  EXPECT_EQ(seen.describe(), "local none; remote none");
  seen.local = {"host", "srflx"};
  seen.remote = {"host"};
  EXPECT_EQ(seen.describe(), "local host,srflx; remote host");
}

}  // namespace
}  // namespace sb::client
