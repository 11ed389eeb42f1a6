#include "signaling/protocol.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sb::signaling {
namespace {

const std::string kIdA(32, 'a');
const std::string kIdB = "0123456789abcdef0123456789abcdef";

ClientMessage parse_ok(std::string_view frame, const Limits& limits = {}) {
  auto p = parse_client_message(frame, limits);
  if (auto* e = std::get_if<ProtocolError>(&p)) {
    ADD_FAILURE() << "unexpected error " << to_string(e->code) << " (" << e->field << "): " << e->message
                  << " for " << frame;
    return msg::Ping{};
  }
  return std::get<ClientMessage>(p);
}

ProtocolError parse_err(std::string_view frame, const Limits& limits = {}) {
  auto p = parse_client_message(frame, limits);
  if (auto* e = std::get_if<ProtocolError>(&p)) return *e;
  ADD_FAILURE() << "expected an error for " << frame;
  return {};
}

TEST(ProtocolClient, RoundTripsEveryClientMessage) {
  IceCandidate full{"candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host", "0", 0, "abcd"};
  IceCandidate minimal{"candidate:2 1 udp 1 192.0.2.2 9 typ host", std::nullopt, std::nullopt, std::nullopt};
  const std::vector<ClientMessage> messages = {
      msg::Join{"demo", "alice"}, msg::Join{"a.b_c-9", ""}, msg::Join{"t", "", false, "aaa.bbb.ccc", R"({"plan":"pro"})"}, msg::Offer{kIdA, "v=0\r\n"},
      msg::Answer{kIdB, "v=0\r\n"}, msg::Candidate{kIdA, full}, msg::Candidate{kIdA, minimal},
      msg::Candidate{kIdB, std::nullopt}, msg::Bye{}, msg::Ping{}, msg::Join{"demo", "alice", true},
      msg::Resume{kIdA, kIdB, 0}, msg::Resume{kIdA, kIdB, 9007199254740992}, msg::Ack{17}};
  for (const auto& m : messages) {
    const std::string wire = serialize(m);
    EXPECT_EQ(parse_ok(wire), m) << wire;
  }
}

TEST(ProtocolClient, ParsesTheDocumentExamples) {
  EXPECT_EQ(parse_ok(R"({"type":"join","room":"demo","name":"alice"})"), (ClientMessage{msg::Join{"demo", "alice"}}));
  EXPECT_EQ(parse_ok(R"({"type":"join","room":"demo"})"), (ClientMessage{msg::Join{"demo", ""}}));
  EXPECT_EQ(parse_ok(R"({"type":"join","room":"demo","token":"h.p.s"})"), (ClientMessage{msg::Join{"demo", "", false, "h.p.s"}}));
  auto c = parse_ok(R"({"type":"candidate","to":")" + kIdA +
                    R"(","candidate":{"candidate":"candidate:1 1 udp 1 1.2.3.4 5 typ host","sdpMid":"0","sdpMLineIndex":0}})");
  ASSERT_TRUE(std::holds_alternative<msg::Candidate>(c));
  const auto& cand = std::get<msg::Candidate>(c).candidate;
  ASSERT_TRUE(cand.has_value());
  EXPECT_EQ(cand->sdp_mid, "0");
  EXPECT_EQ(cand->sdp_mline_index, 0);
  EXPECT_FALSE(cand->username_fragment.has_value());
}

TEST(ProtocolClient, IgnoresUnknownFieldsAndClientFrom) {
  auto m = parse_ok(R"({"type":"offer","to":")" + kIdA + R"(","sdp":"x","from":")" + kIdB + R"(","extra":[1,2]})");
  EXPECT_EQ(m, (ClientMessage{msg::Offer{kIdA, "x"}}));
  EXPECT_EQ(serialize(m).find("from"), std::string::npos);
}

TEST(ProtocolClient, NullsInCandidateAreAbsent) {
  auto m = parse_ok(R"({"type":"candidate","to":")" + kIdA +
                    R"(","candidate":{"candidate":"c","sdpMid":null,"sdpMLineIndex":null,"usernameFragment":null}})");
  EXPECT_EQ(m, (ClientMessage{msg::Candidate{kIdA, IceCandidate{"c", {}, {}, {}}}}));
}

TEST(ProtocolClient, InvalidJson) {
  for (const char* f : {"", "{", "not json", "[1,2]", "\"str\"", "42", "null", "{\"type\":\"join\"",
                        "{\"type\":\"join\",\"room\":\"\xff\"}"}) {
    EXPECT_EQ(parse_err(f).code, ErrorCode::invalid_json) << f;
  }
}

TEST(ProtocolClient, MissingOrWrongTypedFieldsNameTheField) {
  struct Case {
    std::string frame;
    std::string field;
  };
  const std::vector<Case> cases = {
      {R"({"room":"demo"})", "type"},
      {R"({"type":5})", "type"},
      {R"({"type":"join"})", "room"},
      {R"({"type":"join","room":7})", "room"},
      {R"({"type":"join","room":"demo","name":3})", "name"},
      {R"({"type":"join","room":"bad room"})", "room"},
      {R"({"type":"join","room":""})", "room"},
      {R"({"type":"join","room":"a/../b"})", "room"},
      {R"({"type":"offer","sdp":"x"})", "to"},
      {R"({"type":"offer","to":"ABCDEF","sdp":"x"})", "to"},
      {R"({"type":"offer","to":")" + kIdA + R"("})", "sdp"},
      {R"({"type":"answer","to":")" + kIdA + R"(","sdp":{}})", "sdp"},
      {R"({"type":"candidate","to":")" + kIdA + R"("})", "candidate"},
      {R"({"type":"candidate","to":")" + kIdA + R"(","candidate":"x"})", "candidate"},
      {R"({"type":"candidate","to":")" + kIdA + R"(","candidate":{}})", "candidate"},
      {R"({"type":"candidate","to":")" + kIdA + R"(","candidate":{"candidate":"c","sdpMLineIndex":-1}})",
       "sdpMLineIndex"},
      {R"({"type":"candidate","to":")" + kIdA + R"(","candidate":{"candidate":"c","sdpMLineIndex":1.5}})",
       "sdpMLineIndex"},
      {R"({"type":"candidate","to":")" + kIdA + R"(","candidate":{"candidate":"c","sdpMid":1}})", "sdpMid"},
  };
  for (const auto& c : cases) {
    auto e = parse_err(c.frame);
    EXPECT_EQ(e.code, ErrorCode::invalid_message) << c.frame;
    EXPECT_EQ(e.field, c.field) << c.frame;
    EXPECT_FALSE(e.message.empty());
  }
}

TEST(ProtocolClient, UnknownType) {
  for (const char* f : {R"({"type":"hello"})", R"({"type":"joined"})", R"({"type":"pong"})", R"({"type":""})"}) {
    EXPECT_EQ(parse_err(f).code, ErrorCode::unknown_type) << f;
  }
}

TEST(ProtocolClient, EnforcesLimitsFromLimitsStruct) {
  Limits small;
  small.max_sdp_bytes = 10;
  small.max_candidate_bytes = 5;
  small.max_name_bytes = 3;
  small.max_room_bytes = 4;
  small.max_token_bytes = 5;
  small.max_metadata_bytes = 16;
  EXPECT_EQ(parse_ok(R"({"type":"offer","to":")" + kIdA + R"(","sdp":"0123456789"})", small),
            (ClientMessage{msg::Offer{kIdA, "0123456789"}}));
  struct Case {
    std::string frame;
    std::string field;
  };
  const std::vector<Case> cases = {
      {R"({"type":"offer","to":")" + kIdA + R"(","sdp":"0123456789x"})", "sdp"},
      {R"({"type":"answer","to":")" + kIdA + R"(","sdp":"0123456789x"})", "sdp"},
      {R"({"type":"candidate","to":")" + kIdA + R"(","candidate":{"candidate":"123456"}})", "candidate"},
      {R"({"type":"candidate","to":")" + kIdA + R"(","candidate":{"candidate":"1","sdpMid":"123456"}})",
       "sdpMid"},
      {R"({"type":"join","room":"abcd","name":"abcd"})", "name"},
      {R"({"type":"join","room":"abcde"})", "room"},
      {R"({"type":"join","room":"abcd","token":"a.b.cd"})", "token"},
      {R"({"type":"join","room":"abcd","metadata":[1,2,3,4,5,6,7,8,9]})", "metadata"},
  };
  for (const auto& c : cases) {
    auto e = parse_err(c.frame, small);
    EXPECT_EQ(e.code, ErrorCode::field_too_large) << c.frame;
    EXPECT_EQ(e.field, c.field) << c.frame;
  }
  // Limits count bytes, not characters: "é" is two bytes.
  EXPECT_EQ(parse_err(R"({"type":"join","room":"r","name":"éé"})", small).code, ErrorCode::field_too_large);
}

TEST(ProtocolClient, DefaultLimitsMatchTheDocument) {
  Limits d;
  EXPECT_EQ(d.max_sdp_bytes, 32u * 1024);
  EXPECT_EQ(d.max_candidate_bytes, 1024u);
  EXPECT_EQ(d.max_name_bytes, 64u);
  EXPECT_EQ(d.max_room_bytes, 64u);
  EXPECT_TRUE(is_valid_room_name(std::string(64, 'r'), d.max_room_bytes));
  EXPECT_FALSE(is_valid_room_name(std::string(65, 'r'), d.max_room_bytes));
}

TEST(ProtocolClient, RefTypeIsReported) {
  std::string ref;
  parse_client_message(R"({"type":"offer"})", Limits{}, &ref);
  EXPECT_EQ(ref, "offer");
}

TEST(ProtocolServer, RoundTripsEveryServerMessage) {
  IceServer stun{{"stun:127.0.0.1:3478"}, std::nullopt, std::nullopt};
  IceServer turn{{"turn:127.0.0.1:3478?transport=udp", "turns:x:5349"}, "1700000000:abc", "secret"};
  const std::vector<ServerMessage> messages = {
      msg::Joined{kIdA, "demo", {}, {stun}},
      msg::Joined{kIdB, "demo", {PeerInfo{kIdA, "alice"}}, {stun, turn}},
      msg::Joined{kIdB, "demo", {PeerInfo{kIdA, "alice", "alice@example.org", R"({"role":"host"})"}}, {stun}},
      msg::PeerJoined{kIdB, "bob"},
      msg::PeerJoined{kIdB, "bob", "bob@example.org", R"({"n":[1,2]})", {stun, turn}},
      msg::PeerLeft{kIdA, LeaveReason::bye},
      msg::PeerLeft{kIdA, LeaveReason::disconnect},
      msg::PeerLeft{kIdA, LeaveReason::timeout},
      msg::PeerLeft{kIdA, LeaveReason::dropped},
      msg::PeerLeft{kIdA, LeaveReason::node_lost},
      msg::RelayedOffer{kIdA, "v=0"},
      msg::RelayedAnswer{kIdB, "v=0"},
      msg::RelayedCandidate{kIdA, IceCandidate{"c", "0", 1, "u"}},
      msg::RelayedCandidate{kIdA, std::nullopt},
      msg::Pong{},
      msg::Drain{},
      msg::Error{ErrorCode::room_full, "room demo is full (2 peers)", "", "join"},
      msg::Error{ErrorCode::field_too_large, "too big", "sdp", "offer"},
      msg::Joined{kIdA, "demo", {}, {stun}, ResumeTicket{kIdB, kIdA, 20}},
      msg::Resumed{kIdA, "demo", ResumeTicket{kIdB, kIdA, 1.5}, 42, {stun, turn}},
      msg::PeerReconnecting{kIdB},
      msg::PeerResumed{kIdB},
      msg::Error{ErrorCode::resume_refused, "gone", "", "resume", "expired"},
  };
  for (const auto& m : messages) {
    const std::string wire = serialize(m);
    auto p = parse_server_message(wire, Limits{});
    ASSERT_TRUE(std::holds_alternative<ServerMessage>(p)) << wire;
    EXPECT_EQ(std::get<ServerMessage>(p), m) << wire;
  }
}

TEST(ProtocolServer, WireFormatMatchesTheDocument) {
  EXPECT_EQ(serialize(ServerMessage{msg::PeerLeft{kIdA, LeaveReason::timeout}}),
            R"({"id":")" + kIdA + R"(","reason":"timeout","type":"peer-left"})");
  EXPECT_EQ(serialize(ServerMessage{msg::Error{ErrorCode::not_joined, "m", "", "offer"}}),
            R"({"code":"not-joined","message":"m","ref":"offer","type":"error"})");
  EXPECT_EQ(serialize(ServerMessage{msg::PeerLeft{kIdA, LeaveReason::node_lost}}),
            R"({"id":")" + kIdA + R"(","reason":"node-lost","type":"peer-left"})");
  EXPECT_EQ(serialize(ServerMessage{msg::Drain{}}), R"({"type":"drain"})");
  EXPECT_EQ(serialize(ServerMessage{msg::RelayedCandidate{kIdA, std::nullopt}}),
            R"({"candidate":null,"from":")" + kIdA + R"(","type":"candidate"})");
}

TEST(ProtocolServer, ResumeMessagesOnTheWire) {
  EXPECT_EQ(serialize(ServerMessage{msg::PeerReconnecting{kIdA}}),
            R"({"id":")" + kIdA + R"(","type":"peer-reconnecting"})");
  EXPECT_EQ(serialize(ServerMessage{msg::Error{ErrorCode::resume_refused, "m", "", "resume", "secret"}}),
            R"({"code":"resume-refused","message":"m","reason":"secret","ref":"resume","type":"error"})");
  EXPECT_EQ(serialize(ClientMessage{msg::Ack{5}}), R"({"seq":5,"type":"ack"})");
  EXPECT_EQ(serialize(ClientMessage{msg::Join{"r", "", true}}), R"({"resume":true,"room":"r","type":"join"})");
  const std::string joined = serialize(ServerMessage{msg::Joined{kIdA, "r", {}, {}, ResumeTicket{kIdB, kIdA, 20}}});
  EXPECT_NE(joined.find(R"("resume":{"secret":")" + kIdA + R"(","session":")" + kIdB + R"(","window":20})"),
            std::string::npos)
      << joined;
}

TEST(ProtocolServer, SequenceNumbersAreWrittenInFrontAndRead) {
  const std::string frame = serialize(ServerMessage{msg::PeerResumed{kIdA}});
  const std::string numbered = with_seq(frame, 1234567);
  EXPECT_EQ(numbered, R"({"seq":1234567,"id":")" + kIdA + R"(","type":"peer-resumed"})");
  EXPECT_EQ(std::string(SeqPrefix(18446744073709551615u).view()), R"({"seq":18446744073709551615,)");
  std::uint64_t seq = 99;
  auto p = parse_server_message(numbered, Limits{}, &seq);
  ASSERT_TRUE(std::holds_alternative<ServerMessage>(p));
  EXPECT_EQ(std::get<ServerMessage>(p), ServerMessage{msg::PeerResumed{kIdA}});
  EXPECT_EQ(seq, 1234567u);
  parse_server_message(frame, Limits{}, &seq);
  EXPECT_EQ(seq, 0u) << "absent: 0";
  EXPECT_TRUE(std::holds_alternative<ProtocolError>(parse_server_message(R"({"seq":-1,"type":"pong"})", Limits{}, &seq)));
}

TEST(ProtocolClient, ResumeAndAckAreChecked) {
  EXPECT_EQ(parse_err(R"({"type":"resume","session":"x","secret":")" + kIdA + R"(","seq":0})").field, "session");
  EXPECT_EQ(parse_err(R"({"type":"resume","session":")" + kIdA + R"(","secret":")" + std::string(32, 'A') +
                      R"(","seq":0})").field, "secret");
  EXPECT_EQ(parse_err(R"({"type":"resume","session":")" + kIdA + R"(","secret":")" + kIdB + R"("})").field, "seq");
  EXPECT_EQ(parse_err(R"({"type":"ack","seq":1.5})").field, "seq");
  EXPECT_EQ(parse_err(R"({"type":"ack","seq":-3})").field, "seq");
  EXPECT_EQ(parse_err(R"({"type":"ack","seq":9007199254740993})").field, "seq");
  EXPECT_EQ(parse_err(R"({"type":"join","room":"r","resume":"yes"})").field, "resume");
  EXPECT_EQ(parse_ok(R"({"type":"join","room":"r","resume":null})"), (ClientMessage{msg::Join{"r", "", false}}));
}

TEST(ProtocolServer, EveryErrorCodeHasAStableName) {
  const std::vector<std::string> names = {
      "invalid-json",         "invalid-message",      "unknown-type",         "field-too-large",
      "not-joined",           "already-joined",       "unknown-peer",         "room-full",
      "server-full",          "rate-limited",         "unavailable",          "id-taken",
      "token-required",       "token-malformed",      "token-bad-signature",  "token-bad-algorithm",
      "token-unknown-kid",    "token-expired",        "token-not-yet-valid",  "token-wrong-room",
      "token-wrong-audience", "token-wrong-issuer",   "auth-denied",          "auth-webhook-failed",
      "auth-webhook-timeout", "auth-webhook-invalid", "auth-busy",            "auth-timeout",
      "auth-blocked",         "resume-refused"};
  ASSERT_EQ(names.size(), kErrorCodeCount);
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(to_string(static_cast<ErrorCode>(i)), names[i]);
    EXPECT_EQ(error_code_from_string(names[i]), static_cast<ErrorCode>(i));
  }
  EXPECT_FALSE(error_code_from_string("nope").has_value());
}

TEST(ProtocolServer, RejectsMalformedServerFrames) {
  EXPECT_TRUE(std::holds_alternative<ProtocolError>(parse_server_message("{}", Limits{})));
  EXPECT_TRUE(std::holds_alternative<ProtocolError>(parse_server_message(R"({"type":"joined","id":"x"})", Limits{})));
  EXPECT_TRUE(std::holds_alternative<ProtocolError>(
      parse_server_message(R"({"type":"peer-left","id":")" + kIdA + R"(","reason":"eaten"})", Limits{})));
  EXPECT_TRUE(std::holds_alternative<ProtocolError>(
      parse_server_message(R"({"type":"error","code":"weird","message":"m"})", Limits{})));
}

TEST(ProtocolServer, AcceptsSingleStringIceUrls) {
  auto p = parse_server_message(
      R"({"type":"joined","id":")" + kIdA + R"(","room":"r","peers":[],"iceServers":[{"urls":"stun:x"}]})",
      Limits{});
  ASSERT_TRUE(std::holds_alternative<ServerMessage>(p));
  const auto& j = std::get<msg::Joined>(std::get<ServerMessage>(p));
  ASSERT_EQ(j.ice_servers.size(), 1u);
  EXPECT_EQ(j.ice_servers[0].urls, std::vector<std::string>{"stun:x"});
}

}  // namespace
}  // namespace sb::signaling
