// Every protocol v1 message type through a real signalbox, and presence (docs/signaling-protocol.md).
#include <regex>

#include "signaling_harness.hpp"

namespace sb::itest {
namespace {

class SignalingMessages : public SignalingTest {
 protected:
  void SetUp() override { start_server(); }

  // A and B in room `room`; both have seen each other's arrival.
  void pair(const std::string& room = "demo") {
    a_ = connect();
    b_ = connect();
    a_id_ = join(*a_, room, "alice");
    b_id_ = join(*b_, room, "bob");
    auto pj = expect_message(*a_, "peer-joined");
    EXPECT_EQ(str_field(pj, "id"), b_id_);
  }

  std::unique_ptr<WsClient> a_, b_;
  std::string a_id_, b_id_;
};

TEST_F(SignalingMessages, JoinedCarriesIdRoomPeersAndIceServers) {
  auto a = connect();
  ASSERT_TRUE(a->send_json({{"type", "join"}, {"room", "room-1.x_y"}, {"name", "alice"}}));
  auto joined = expect_message(*a, "joined");
  ASSERT_FALSE(joined.is_null());
  const std::string a_id = str_field(joined, "id");
  EXPECT_TRUE(std::regex_match(a_id, std::regex("[0-9a-f]{32}"))) << a_id;
  EXPECT_EQ(str_field(joined, "room"), "room-1.x_y");
  ASSERT_TRUE(joined["peers"].is_array());
  EXPECT_TRUE(joined["peers"].empty());
  ASSERT_TRUE(joined["iceServers"].is_array());
  for (const auto& s : joined["iceServers"]) EXPECT_TRUE(s["urls"].is_array()) << s.dump();

  auto b = connect();
  ASSERT_TRUE(b->send_json({{"type", "join"}, {"room", "room-1.x_y"}, {"name", "bob"}}));
  auto joined_b = expect_message(*b, "joined");
  ASSERT_FALSE(joined_b.is_null());
  EXPECT_NE(str_field(joined_b, "id"), a_id);
  ASSERT_EQ(joined_b["peers"].size(), 1u) << joined_b.dump();
  EXPECT_EQ(joined_b["peers"][0]["id"], a_id);
  EXPECT_EQ(joined_b["peers"][0]["name"], "alice");

  auto pj = expect_message(*a, "peer-joined");
  EXPECT_EQ(str_field(pj, "id"), str_field(joined_b, "id"));
  EXPECT_EQ(str_field(pj, "name"), "bob");
  expect_silence(*b);
}

TEST_F(SignalingMessages, OfferAndAnswerRelayedWithServerSetFrom) {
  pair();
  // A forged `from` is ignored: the server sets it from the sender's session.
  ASSERT_TRUE(b_->send_json({{"type", "offer"}, {"to", a_id_}, {"from", a_id_}, {"sdp", "v=0 offer-from-b"}}));
  auto offer = expect_message(*a_, "offer");
  EXPECT_EQ(str_field(offer, "from"), b_id_);
  EXPECT_EQ(str_field(offer, "sdp"), "v=0 offer-from-b");
  EXPECT_FALSE(offer.contains("to")) << offer.dump();

  ASSERT_TRUE(a_->send_json({{"type", "answer"}, {"to", b_id_}, {"from", "ffffffffffffffffffffffffffffffff"},
                             {"sdp", "v=0 answer-from-a"}}));
  auto answer = expect_message(*b_, "answer");
  EXPECT_EQ(str_field(answer, "from"), a_id_);
  EXPECT_EQ(str_field(answer, "sdp"), "v=0 answer-from-a");
  // Nothing echoes back to the senders.
  expect_silence(*a_);
  expect_silence(*b_, milliseconds(0));
}

TEST_F(SignalingMessages, CandidateAndEndOfCandidatesRelayed) {
  pair();
  const json cand = {{"candidate", "candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host"},
                     {"sdpMid", "0"},
                     {"sdpMLineIndex", 0},
                     {"usernameFragment", "abcd"}};
  ASSERT_TRUE(a_->send_json({{"type", "candidate"}, {"to", b_id_}, {"candidate", cand}}));
  auto m = expect_message(*b_, "candidate");
  EXPECT_EQ(str_field(m, "from"), a_id_);
  EXPECT_EQ(m["candidate"], cand) << m.dump();

  ASSERT_TRUE(a_->send_json({{"type", "candidate"}, {"to", b_id_}, {"candidate", nullptr}}));
  auto end = expect_message(*b_, "candidate");
  EXPECT_EQ(str_field(end, "from"), a_id_);
  ASSERT_TRUE(end.contains("candidate")) << end.dump();
  EXPECT_TRUE(end["candidate"].is_null()) << end.dump();
  expect_silence(*a_);
}

TEST_F(SignalingMessages, PingAnsweredWithPongBeforeAndAfterJoin) {
  auto a = connect();
  expect_open(*a);
  join(*a, "pings");
  expect_open(*a);
}

TEST_F(SignalingMessages, ByeTellsOthersAndAllowsJoiningAgain) {
  pair();
  ASSERT_TRUE(b_->send_json({{"type", "bye"}}));
  auto left = expect_message(*a_, "peer-left");
  EXPECT_EQ(str_field(left, "id"), b_id_);
  EXPECT_EQ(str_field(left, "reason"), "bye");
  // After bye, B's connection is open, out of the room (relaying needs a room again) and may join again.
  expect_open(*b_);
  ASSERT_TRUE(b_->send_json({{"type", "offer"}, {"to", a_id_}, {"sdp", "x"}}));
  expect_error(*b_, "not-joined", "", "offer");
  std::string again = join(*b_, "demo", "bob");
  EXPECT_FALSE(again.empty());
  auto pj = expect_message(*a_, "peer-joined");
  EXPECT_EQ(str_field(pj, "id"), again);
}

TEST_F(SignalingMessages, CloseAndAbruptDisconnectTellOthers) {
  pair();
  b_->close(1000);
  auto left = expect_message(*a_, "peer-left");
  EXPECT_EQ(str_field(left, "id"), b_id_);
  EXPECT_EQ(str_field(left, "reason"), "disconnect");

  // A TCP connection dropped without a close frame counts the same.
  auto c = connect();
  std::string c_id = join(*c, "demo", "carol");
  expect_message(*a_, "peer-joined");
  c.reset();
  auto left_c = expect_message(*a_, "peer-left");
  EXPECT_EQ(str_field(left_c, "id"), c_id);
  EXPECT_EQ(str_field(left_c, "reason"), "disconnect");
}

TEST_F(SignalingMessages, MessagesReachOnlyTheAddressedPeerInAMeshRoom) {
  server_.reset();  // restart with room capacity 3
  start_server({"--max-peers-per-room", "3"});
  pair("mesh");
  auto c = connect();
  ASSERT_TRUE(c->send_json({{"type", "join"}, {"room", "mesh"}}));
  auto joined = expect_message(*c, "joined");
  ASSERT_EQ(joined["peers"].size(), 2u) << joined.dump();
  const std::string c_id = str_field(joined, "id");
  EXPECT_EQ(str_field(expect_message(*a_, "peer-joined"), "id"), c_id);
  EXPECT_EQ(str_field(expect_message(*b_, "peer-joined"), "id"), c_id);

  ASSERT_TRUE(c->send_json({{"type", "offer"}, {"to", a_id_}, {"sdp", "for-a"}}));
  ASSERT_TRUE(c->send_json({{"type", "offer"}, {"to", b_id_}, {"sdp", "for-b"}}));
  EXPECT_EQ(str_field(expect_message(*a_, "offer"), "sdp"), "for-a");
  EXPECT_EQ(str_field(expect_message(*b_, "offer"), "sdp"), "for-b");
  expect_silence(*a_);
  expect_silence(*b_, milliseconds(0));
}

TEST_F(SignalingMessages, UnknownExtraFieldsAreIgnored) {
  pair();
  ASSERT_TRUE(a_->send_json({{"type", "offer"}, {"to", b_id_}, {"sdp", "s"}, {"x-future", {1, 2}}}));
  EXPECT_EQ(str_field(expect_message(*b_, "offer"), "sdp"), "s");
}

}  // namespace
}  // namespace sb::itest
