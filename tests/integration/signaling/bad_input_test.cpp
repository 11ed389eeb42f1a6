// Every bad-input case of the protocol document: an `error` with its stable code, and the connection stays
// open afterwards (checked with ping → pong after each case).
#include "signaling_harness.hpp"

namespace sb::itest {
namespace {

class SignalingBadInput : public SignalingTest {
 protected:
  void SetUp() override { start_server({"--max-rooms", "3"}); }

  // Sends `frame` and expects the error; then the connection must still answer a ping.
  void check(WsClient& c, const std::string& frame, const std::string& code, const std::string& field = "",
             const std::string& ref = "") {
    SCOPED_TRACE("frame: " + frame.substr(0, 120));
    ASSERT_TRUE(c.send(frame));
    expect_error(c, code, field, ref);
    expect_open(c);
  }
};

TEST_F(SignalingBadInput, InvalidJson) {
  auto c = connect();
  check(*c, "{not json", "invalid-json");
  check(*c, "", "invalid-json");
  check(*c, "[1,2,3]", "invalid-json");  // JSON, but not an object
  check(*c, "\"join\"", "invalid-json");
  check(*c, "{\"type\":\"ping\"} trailing", "invalid-json");
}

TEST_F(SignalingBadInput, UnknownOrMissingType) {
  auto c = connect();
  check(*c, R"({"type":"hello"})", "unknown-type");
  check(*c, R"({"type":"joined","id":"x"})", "unknown-type");  // a server → client type
  check(*c, R"({"room":"a"})", "invalid-message", "type");
  check(*c, R"({"type":7})", "invalid-message", "type");
}

TEST_F(SignalingBadInput, MissingFields) {
  auto c = connect();
  check(*c, R"({"type":"join"})", "invalid-message", "room", "join");
  join(*c, "missing");
  check(*c, R"({"type":"offer","sdp":"v=0"})", "invalid-message", "to", "offer");
  check(*c, R"({"type":"answer","to":")" + unused_peer_id() + R"("})", "invalid-message", "sdp", "answer");
  check(*c, R"({"type":"candidate","to":")" + unused_peer_id() + R"("})", "invalid-message", "candidate",
        "candidate");
  check(*c, R"({"type":"candidate","to":")" + unused_peer_id() + R"(","candidate":{"sdpMid":"0"}})",
        "invalid-message", "candidate", "candidate");
}

TEST_F(SignalingBadInput, WrongTypedFields) {
  auto c = connect();
  check(*c, R"({"type":"join","room":5})", "invalid-message", "room", "join");
  check(*c, R"({"type":"join","room":"r","name":["x"]})", "invalid-message", "name", "join");
  join(*c, "typed");
  const std::string to = unused_peer_id();
  check(*c, R"({"type":"offer","to":42,"sdp":"v=0"})", "invalid-message", "to", "offer");
  check(*c, R"({"type":"offer","to":")" + to + R"(","sdp":{"v":0}})", "invalid-message", "sdp", "offer");
  check(*c, R"({"type":"candidate","to":")" + to + R"(","candidate":"candidate:1"})", "invalid-message",
        "candidate", "candidate");
  check(*c, R"({"type":"candidate","to":")" + to + R"(","candidate":{"candidate":"c","sdpMLineIndex":"0"}})",
        "invalid-message", "sdpMLineIndex", "candidate");
  check(*c, R"({"type":"offer","to":"not-a-peer-id","sdp":"v=0"})", "invalid-message", "to", "offer");
}

TEST_F(SignalingBadInput, MalformedRoomNames) {
  auto c = connect();
  check(*c, R"({"type":"join","room":""})", "invalid-message", "room", "join");
  check(*c, R"({"type":"join","room":"a b"})", "invalid-message", "room", "join");
  check(*c, R"({"type":"join","room":"../etc"})", "invalid-message", "room", "join");
}

TEST_F(SignalingBadInput, OversizedFields) {
  auto c = connect();
  check(*c, json{{"type", "join"}, {"room", std::string(65, 'r')}}.dump(), "field-too-large", "room", "join");
  check(*c, json{{"type", "join"}, {"room", "big"}, {"name", std::string(65, 'n')}}.dump(), "field-too-large",
        "name", "join");
  auto peer = connect();
  join(*c, "big");
  const std::string peer_id = join(*peer, "big");
  expect_message(*c, "peer-joined");
  // Default limits: sdp 32 KiB, candidate string 1 KiB; the frame itself stays under 64 KiB.
  check(*c, json{{"type", "offer"}, {"to", peer_id}, {"sdp", std::string(32 * 1024 + 1, 's')}}.dump(),
        "field-too-large", "sdp", "offer");
  check(*c,
        json{{"type", "candidate"}, {"to", peer_id}, {"candidate", {{"candidate", std::string(1025, 'c')}}}}.dump(),
        "field-too-large", "candidate", "candidate");
  // The exact limit passes.
  ASSERT_TRUE(c->send_json({{"type", "offer"}, {"to", peer_id}, {"sdp", std::string(32 * 1024, 's')}}));
  EXPECT_EQ(str_field(expect_message(*peer, "offer"), "sdp").size(), 32u * 1024);
  expect_silence(*peer, milliseconds(0));
}

TEST_F(SignalingBadInput, MessageToUnknownPeerOrPeerInAnotherRoom) {
  auto a = connect();
  auto other = connect();
  join(*a, "here");
  const std::string other_id = join(*other, "elsewhere");
  check(*a, json{{"type", "offer"}, {"to", unused_peer_id()}, {"sdp", "v=0"}}.dump(), "unknown-peer", "", "offer");
  check(*a, json{{"type", "answer"}, {"to", other_id}, {"sdp", "v=0"}}.dump(), "unknown-peer", "", "answer");
  check(*a, json{{"type", "candidate"}, {"to", other_id}, {"candidate", nullptr}}.dump(), "unknown-peer", "",
        "candidate");
  expect_silence(*other);
}

TEST_F(SignalingBadInput, MessagesBeforeJoin) {
  auto c = connect();
  const std::string to = unused_peer_id();
  check(*c, json{{"type", "offer"}, {"to", to}, {"sdp", "v=0"}}.dump(), "not-joined", "", "offer");
  check(*c, json{{"type", "answer"}, {"to", to}, {"sdp", "v=0"}}.dump(), "not-joined", "", "answer");
  check(*c, json{{"type", "candidate"}, {"to", to}, {"candidate", nullptr}}.dump(), "not-joined", "", "candidate");
  check(*c, R"({"type":"bye"})", "not-joined", "", "bye");
}

TEST_F(SignalingBadInput, JoinWhileJoined) {
  auto c = connect();
  join(*c, "first");
  check(*c, R"({"type":"join","room":"first"})", "already-joined", "", "join");
  check(*c, R"({"type":"join","room":"second"})", "already-joined", "", "join");
}

TEST_F(SignalingBadInput, FullRoomAndFullServer) {
  auto a = connect();
  auto b = connect();
  auto c = connect();
  join(*a, "full");
  join(*b, "full");
  expect_message(*a, "peer-joined");
  check(*c, R"({"type":"join","room":"full"})", "room-full", "", "join");
  expect_silence(*a, milliseconds(0));
  // The rejected client can still use another room; with --max-rooms 3 a fourth room is refused.
  join(*c, "second");
  auto d = connect();
  join(*d, "third");
  auto e = connect();
  check(*e, R"({"type":"join","room":"fourth"})", "server-full", "", "join");
}

}  // namespace
}  // namespace sb::itest
