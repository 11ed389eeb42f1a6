// What the native doctor reads from GET /doctor/config, and the ICE server URLs in it.
#include "client/doctor_offer.hpp"

#include <gtest/gtest.h>

namespace sb::client::doctor {
namespace {

TEST(DoctorIceUrl, ParsesStunTurnAndTurnsUrls) {
  auto u = parse_ice_url("turn:192.0.2.10:3478?transport=tcp");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "turn");
  EXPECT_EQ(u->host, "192.0.2.10");
  EXPECT_EQ(u->port, 3478);
  EXPECT_EQ(u->transport, "tcp");
  u = parse_ice_url("turns:[2001:db8::1]:443?transport=tcp");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "2001:db8::1");
  EXPECT_EQ(u->port, 443);
  u = parse_ice_url("stun:example.org");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->port, 3478);
  EXPECT_EQ(u->transport, "udp");
  EXPECT_EQ(parse_ice_url("turns:example.org")->port, 5349);
  for (const char* bad : {"http://x", "stun:", "stun:h:0", "stun:h:70000", "turn:h:1?transport=sctp", "stun:[::1",
                          "stun:h:12x"}) {
    EXPECT_FALSE(parse_ice_url(bad)) << bad;
  }
}

TEST(DoctorOffer, ReadsEveryField) {
  std::string error;
  const auto o = parse_offer(R"({"version":1,"serverTime":1764500000123,"clientAddress":"198.51.100.7",
    "stun":"stun:192.0.2.10:3478","stun6":null,
    "rfc5780":["stun:a:1","stun:a:2","stun:b:1","stun:b:2"],
    "turn":{"udp":"turn:192.0.2.10:3478?transport=udp","tls":"turns:192.0.2.10:5349?transport=tcp",
            "username":"1:doctor-x","credential":"c","ttl":300},
    "relayToRelay":true,"reports":true,"reportMaxBytes":16384})", error);
  ASSERT_TRUE(o) << error;
  EXPECT_EQ(o->server_time_ms, 1764500000123);
  EXPECT_EQ(o->stun, "stun:192.0.2.10:3478");
  EXPECT_EQ(o->stun6, "");
  EXPECT_EQ(o->rfc5780.size(), 4u);
  EXPECT_EQ(o->turn_udp, "turn:192.0.2.10:3478?transport=udp");
  EXPECT_EQ(o->turn_tcp, "");
  EXPECT_EQ(o->username, "1:doctor-x");
  EXPECT_EQ(o->relay_to_relay, true);
  EXPECT_TRUE(o->reports);
}

TEST(DoctorOffer, AnOfferWithoutStunOrTurnIsStillAnOffer) {
  std::string error;
  const auto o = parse_offer(R"({"version":1,"stun":null,"turn":null,"rfc5780":["only one"]})", error);
  ASSERT_TRUE(o) << error;
  EXPECT_EQ(o->stun, "");
  EXPECT_EQ(o->turn_udp, "");
  EXPECT_TRUE(o->rfc5780.empty()) << "RFC 5780 needs all four addresses";
  EXPECT_FALSE(o->relay_to_relay);
}

TEST(DoctorOffer, NotJsonIsAnError) {
  std::string error;
  EXPECT_FALSE(parse_offer("<html>", error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(parse_offer(R"({"serverTime":"soon"})", error));
}

}  // namespace
}  // namespace sb::client::doctor
