#include "signaling/session.hpp"

#include <gtest/gtest.h>

#include "session_harness.hpp"

namespace sb::signaling {
namespace {


class SessionTest : public testing::SessionHarness {
 protected:
  SessionTest()
      : SessionHarness(std::make_unique<StaticIceServers>(std::vector<std::string>{"stun:127.0.0.1:3478"}),
                       SessionConfig{Limits{}, RateLimitConfig{10, 20, 5, std::chrono::seconds(10)}},
                       RouterLimits{2, 100}) {}

  Client& join(const std::string& room, const std::string& name = "") {
    Client& c = connect();
    text(c, serialize(ClientMessage{msg::Join{room, name}}));
    auto got = c.link.take();
    EXPECT_EQ(got.size(), 1u);
    if (!got.empty() && std::holds_alternative<msg::Joined>(got[0])) c.id = std::get<msg::Joined>(got[0]).id;
    return c;
  }
  static msg::Error only_error(Client& c) { return only<msg::Error>(c); }
};

TEST_F(SessionTest, JoinOfferAnswerCandidateBye) {
  auto& a = join("demo", "alice");
  ASSERT_TRUE(is_valid_peer_id(a.id));
  auto& b = connect();
  text(b, R"({"type":"join","room":"demo","name":"bob"})");
  auto got = b.link.take();
  ASSERT_EQ(got.size(), 1u);
  const auto& joined = std::get<msg::Joined>(got[0]);
  b.id = joined.id;
  EXPECT_EQ(joined.room, "demo");
  EXPECT_EQ(joined.peers, (std::vector<PeerInfo>{{a.id, "alice"}}));
  EXPECT_EQ(joined.ice_servers, (std::vector<IceServer>{{{"stun:127.0.0.1:3478"}, {}, {}}}));
  EXPECT_EQ(a.link.take(), (std::vector<ServerMessage>{msg::PeerJoined{b.id, "bob"}}));

  text(b, serialize(ClientMessage{msg::Offer{a.id, "v=0 offer"}}));
  EXPECT_EQ(a.link.take(), (std::vector<ServerMessage>{msg::RelayedOffer{b.id, "v=0 offer"}}));
  text(a, serialize(ClientMessage{msg::Answer{b.id, "v=0 answer"}}));
  EXPECT_EQ(b.link.take(), (std::vector<ServerMessage>{msg::RelayedAnswer{a.id, "v=0 answer"}}));
  IceCandidate cand{"candidate:1 1 udp 1 1.2.3.4 5 typ host", "0", 0, std::nullopt};
  text(a, serialize(ClientMessage{msg::Candidate{b.id, cand}}));
  text(a, serialize(ClientMessage{msg::Candidate{b.id, std::nullopt}}));
  EXPECT_EQ(b.link.take(), (std::vector<ServerMessage>{msg::RelayedCandidate{a.id, cand},
                                                       msg::RelayedCandidate{a.id, std::nullopt}}));
  text(b, R"({"type":"bye"})");
  EXPECT_EQ(a.link.take(), (std::vector<ServerMessage>{msg::PeerLeft{b.id, LeaveReason::bye}}));
  EXPECT_TRUE(b.link.take().empty());
  EXPECT_FALSE(b.session->joined());

  EXPECT_EQ(counters_.relayed_total[0]->value(), 1u);
  EXPECT_EQ(counters_.relayed_total[1]->value(), 1u);
  EXPECT_EQ(counters_.relayed_total[2]->value(), 2u);

  // After bye the connection may join again, with a fresh id.
  text(b, R"({"type":"join","room":"demo"})");
  got = b.link.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(std::get<msg::Joined>(got[0]).id, b.id);
}

TEST_F(SessionTest, ClientCannotForgeFrom) {
  auto& a = join("r");
  auto& b = join("r");
  a.link.take();
  const std::string forged(32, 'e');
  text(b, R"({"type":"offer","to":")" + a.id + R"(","from":")" + forged + R"(","sdp":"x"})");
  EXPECT_EQ(a.link.take(), (std::vector<ServerMessage>{msg::RelayedOffer{b.id, "x"}}));
}

TEST_F(SessionTest, UnknownPeerAndOtherRooms) {
  auto& a = join("one");
  auto& c = join("two");
  text(a, serialize(ClientMessage{msg::Offer{c.id, "x"}}));
  auto e = only_error(a);
  EXPECT_EQ(e.code, ErrorCode::unknown_peer);
  EXPECT_EQ(e.field, "to");
  EXPECT_EQ(e.ref, "offer");
  EXPECT_TRUE(c.link.take().empty()) << "nothing crosses rooms";
  text(a, serialize(ClientMessage{msg::Candidate{a.id, std::nullopt}}));
  EXPECT_EQ(only_error(a).code, ErrorCode::unknown_peer) << "not to oneself";
}

TEST_F(SessionTest, NotJoined) {
  auto& a = connect();
  const std::string to(32, 'a');
  for (const auto& m : std::vector<ClientMessage>{msg::Offer{to, "x"}, msg::Answer{to, "x"},
                                                  msg::Candidate{to, std::nullopt}, msg::Bye{}}) {
    text(a, serialize(m));
    auto e = only_error(a);
    EXPECT_EQ(e.code, ErrorCode::not_joined);
    EXPECT_EQ(e.ref, type_name(m));
  }
  text(a, R"({"type":"ping"})");
  EXPECT_EQ(a.link.take(), (std::vector<ServerMessage>{msg::Pong{}}));
}

TEST_F(SessionTest, AlreadyJoinedAndRoomFull) {
  auto& a = join("r");
  text(a, R"({"type":"join","room":"other"})");
  auto e = only_error(a);
  EXPECT_EQ(e.code, ErrorCode::already_joined);
  EXPECT_EQ(e.ref, "join");
  join("r");
  auto& c = connect();
  text(c, R"({"type":"join","room":"r"})");
  e = only_error(c);
  EXPECT_EQ(e.code, ErrorCode::room_full);
  EXPECT_EQ(e.message, "room r is full (2 peers)");
  EXPECT_FALSE(c.session->joined());
  EXPECT_EQ(counters_.errors_total[static_cast<std::size_t>(ErrorCode::room_full)]->value(), 1u);
}

TEST_F(SessionTest, ParseErrorsKeepTheConnectionOpen) {
  auto& a = connect();
  text(a, "{nope");
  EXPECT_EQ(only_error(a).code, ErrorCode::invalid_json);
  text(a, R"({"type":"dance"})");
  EXPECT_EQ(only_error(a).code, ErrorCode::unknown_type);
  text(a, R"({"type":"join"})");
  auto e = only_error(a);
  EXPECT_EQ(e.code, ErrorCode::invalid_message);
  EXPECT_EQ(e.field, "room");
  EXPECT_EQ(e.ref, "join");
  text(a, R"({"type":"join","room":"r","name":")" + std::string(65, 'n') + R"("})");
  EXPECT_EQ(only_error(a).code, ErrorCode::field_too_large);
  EXPECT_EQ(a.link.close_code(), 0);
}

TEST_F(SessionTest, DisconnectAndTimeoutTellPeers) {
  auto& a = join("r");
  auto& b = join("r");
  a.link.take();
  b.session->on_closed(LeaveReason::timeout);
  pump();
  EXPECT_EQ(a.link.take(), (std::vector<ServerMessage>{msg::PeerLeft{b.id, LeaveReason::timeout}}));
  a.session.reset();  // destroying a joined session is a disconnect
  EXPECT_EQ(router_.peer_count(), 0u);
}

// The router answers a join later (with Redis, after a round trip): until then the session is joining.
TEST_F(SessionTest, JoinIsAnsweredByAnEvent) {
  auto& a = connect();
  a.session->on_text(R"({"type":"join","room":"r"})");
  EXPECT_TRUE(a.link.frames().empty()) << "nothing before the router's answer";
  EXPECT_FALSE(a.session->joined());
  a.session->on_text(R"({"type":"join","room":"r"})");
  EXPECT_EQ(only_error(a).code, ErrorCode::already_joined) << "a join is in progress";
  pump();
  auto got = a.link.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<msg::Joined>(got[0]));
  EXPECT_TRUE(a.session->joined());
}

TEST_F(SessionTest, ByeWhileJoiningCancelsTheJoin) {
  auto& a = join("r");
  auto& b = connect();
  b.session->on_text(R"({"type":"join","room":"r"})");
  b.session->on_text(R"({"type":"bye"})");
  pump();
  EXPECT_TRUE(b.link.take().empty()) << "the stale admission is not reported";
  EXPECT_FALSE(b.session->joined());
  EXPECT_TRUE(a.link.take().empty()) << "nobody was announced";
  EXPECT_EQ(router_.peer_count(), 1u);
  text(b, R"({"type":"join","room":"r"})");
  auto got = b.link.take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(std::get<msg::Joined>(got[0]).peers.size(), 1u);
}

TEST_F(SessionTest, EventsForALeftMembershipAreDropped) {
  auto& a = join("r");
  auto& b = join("r");
  a.link.take();
  // b's offer is delivered to a's member, but a says bye before a's connection handles it.
  b.session->on_text(serialize(ClientMessage{msg::Offer{a.id, "late"}}));
  a.session->on_text(R"({"type":"bye"})");
  pump();
  EXPECT_TRUE(a.link.take().empty());
  EXPECT_EQ(b.link.take(), (std::vector<ServerMessage>{msg::PeerLeft{a.id, LeaveReason::bye}}));
}

TEST_F(SessionTest, DrainIsPassedOn) {
  auto& a = join("r");
  router_.drain();
  pump();
  EXPECT_EQ(a.link.take(), (std::vector<ServerMessage>{msg::Drain{}}));
  auto& b = connect();
  text(b, R"({"type":"join","room":"s"})");
  auto e = only_error(b);
  EXPECT_EQ(e.code, ErrorCode::unavailable);
  EXPECT_EQ(e.ref, "join");
}

TEST_F(SessionTest, UnavailableTargetIsReportedWithItsCode) {
  auto& a = join("r");
  const std::string to(32, 'b');
  Event ev = event::Undeliverable{to, RelayedType::answer, ErrorCode::unavailable, nullptr};
  a.session->on_event(ev);
  auto e = only_error(a);
  EXPECT_EQ(e.code, ErrorCode::unavailable);
  EXPECT_EQ(e.field, "to");
  EXPECT_EQ(e.ref, "answer");
}

TEST_F(SessionTest, RateLimitThenClose1008) {
  auto& a = connect();
  // burst 20: the first 20 pings pass.
  for (int i = 0; i < 20; ++i) text(a, R"({"type":"ping"})");
  EXPECT_EQ(a.link.take().size(), 20u);
  // 4 rejections are answered with rate-limited; the 5th closes with 1008.
  for (int i = 0; i < 4; ++i) {
    text(a, R"({"type":"ping"})");
    EXPECT_EQ(only_error(a).code, ErrorCode::rate_limited);
  }
  EXPECT_EQ(a.link.close_code(), 0);
  text(a, R"({"type":"ping"})");
  EXPECT_EQ(a.link.close_code(), close_code::policy_violation);
  text(a, R"({"type":"ping"})");
  EXPECT_TRUE(a.link.take().empty()) << "nothing after the close";
}

TEST_F(SessionTest, RateLimitRecoversWithTime) {
  auto& a = connect();
  for (int i = 0; i < 21; ++i) text(a, R"({"type":"ping"})");
  auto got = a.link.take();
  ASSERT_EQ(got.size(), 21u);
  EXPECT_TRUE(std::holds_alternative<msg::Error>(got.back()));
  clock_.advance(std::chrono::seconds(1));  // 10 tokens
  for (int i = 0; i < 10; ++i) text(a, R"({"type":"ping"})");
  got = a.link.take();
  ASSERT_EQ(got.size(), 10u);
  for (const auto& m : got) EXPECT_TRUE(std::holds_alternative<msg::Pong>(m));
}

}  // namespace
}  // namespace sb::signaling
