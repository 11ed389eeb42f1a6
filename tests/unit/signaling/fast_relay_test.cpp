#include "signaling/fast_relay.hpp"

#include <gtest/gtest.h>

namespace sb::signaling {
namespace {

const std::string kFrom = "0123456789abcdef0123456789abcdef";
const std::string kTo = "fedcba9876543210fedcba9876543210";

// What the full codec makes of the relayed frame; the fast path must give the same message.
ServerMessage reparse(const std::string& frame) {
  auto p = parse_server_message(frame, Limits{});
  if (auto* e = std::get_if<ProtocolError>(&p)) {
    ADD_FAILURE() << "relayed frame does not parse: " << e->message << ": " << frame;
    return msg::Pong{};
  }
  return std::get<ServerMessage>(p);
}

TEST(FastRelay, OfferKeepsTheSdpTokenAsSentAndSetsFrom) {
  const std::string in = R"({"type":"offer","to":")" + kTo + R"(","sdp":"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\n"})";
  auto r = fast_relay(in, kFrom, Limits{});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, RelayedType::offer);
  EXPECT_EQ(r->to, kTo);
  EXPECT_EQ(r->frame, R"({"type":"offer","from":")" + kFrom + R"(","sdp":"v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\n"})");
  EXPECT_EQ(reparse(r->frame), ServerMessage{(msg::RelayedOffer{kFrom, "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\n"})});
}

TEST(FastRelay, AnswerWithWhitespaceAndAForgedFromWhichIsNeverForwarded) {
  const std::string in = " {\n \"from\" : \"" + kTo + "\" ,\"type\":\t\"answer\", \"sdp\":\"a\\\"b\\/c\", \"to\":\"" +
                         kTo + "\", \"x\": [] }";
  // A nested unknown member is left to the full codec.
  EXPECT_FALSE(fast_relay(in, kFrom, Limits{}));
  const std::string flat = " {\n \"from\" : \"" + kTo + "\" ,\"type\":\t\"answer\", \"sdp\":\"a\\\"b\\/c\", \"to\":\"" +
                           kTo + "\", \"x\": 12, \"y\": true, \"z\": null }\r\n";
  auto r = fast_relay(flat, kFrom, Limits{});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, RelayedType::answer);
  EXPECT_EQ(reparse(r->frame), ServerMessage{(msg::RelayedAnswer{kFrom, "a\"b/c"})});
  EXPECT_EQ(r->frame.find(kTo), std::string::npos) << "neither `to` nor the forged `from` is forwarded";
}

TEST(FastRelay, CandidateWithEveryMemberNullsAndEndOfCandidates) {
  const std::string in = R"({"type":"candidate","to":")" + kTo +
                         R"(","candidate":{"candidate":"candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host",)"
                         R"("sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"Fq3b","extra":1}})";
  auto r = fast_relay(in, kFrom, Limits{});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->type, RelayedType::candidate);
  EXPECT_EQ(reparse(r->frame),
            ServerMessage{(msg::RelayedCandidate{
                kFrom, IceCandidate{"candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host", "0", 0, "Fq3b"}})});

  const std::string nulls = R"({"type":"candidate","to":")" + kTo +
                            R"(","candidate":{"candidate":"","sdpMid":null,"sdpMLineIndex":null,"usernameFragment":null}})";
  r = fast_relay(nulls, kFrom, Limits{});
  ASSERT_TRUE(r);
  EXPECT_EQ(reparse(r->frame), ServerMessage{(msg::RelayedCandidate{kFrom, IceCandidate{"", {}, {}, {}}})});

  r = fast_relay(R"({"type":"candidate","candidate":null,"to":")" + kTo + "\"}", kFrom, Limits{});
  ASSERT_TRUE(r);
  EXPECT_EQ(reparse(r->frame), ServerMessage{(msg::RelayedCandidate{kFrom, std::nullopt})});
}

// Each of these leaves the fast path, and the full codec then gives the outcome (accept or exact error).
TEST(FastRelay, AnythingUnusualIsLeftToTheFullCodec) {
  const std::string to = "\"to\":\"" + kTo + "\"";
  Limits small;
  small.max_sdp_bytes = 4;
  struct Case {
    std::string frame;
    std::optional<ErrorCode> full_codec_error;  // nullopt: the full codec accepts it
    Limits limits{};
  };
  const std::vector<Case> cases = {
      {R"({"type":"offer",)" + to + R"(,"sdp":"caf\u00e9"})", std::nullopt},
      {"{\"type\":\"offer\"," + to + ",\"sdp\":\"caf\xc3\xa9\"}", std::nullopt},
      {R"({"type":"offer",)" + to + R"(,"sdp":"a","sdp":"b"})", std::nullopt},
      {R"({"type":"offer",)" + to + R"(,"sdp":"12345"})", ErrorCode::field_too_large, small},
      {R"({"type":"offer",)" + to + R"(,"sdp":"x",})", ErrorCode::invalid_json},
      {R"({"type":"offer",)" + to + R"(,"sdp":"x"} x)", ErrorCode::invalid_json},
      {"{\"type\":\"offer\"," + to + ",\"sdp\":\"a\tb\"}", ErrorCode::invalid_json},
      {R"({"type":"offer",)" + to + R"(,"sdp":"x","n":01})", ErrorCode::invalid_json},
      {R"({"type":"offer",)" + to + R"(,"sdp":"x","n":-1.5e3})", std::nullopt},
      {R"({"type":"offer",)" + to + R"(,"sdp":5})", ErrorCode::invalid_message},
      {R"({"type":"offer","to":"ABC","sdp":"x"})", ErrorCode::invalid_message},
      {R"({"type":"offer",)" + to + "}", ErrorCode::invalid_message},
      {R"({"type":"candidate",)" + to + R"(,"candidate":{"sdpMLineIndex":70000,"candidate":"c"}})",
       ErrorCode::invalid_message},
      {R"({"type":"candidate",)" + to + R"(,"candidate":{"candidate":"c","sdpMLineIndex":1.0}})",
       ErrorCode::invalid_message},
      {R"({"type":"candidate",)" + to + "}", ErrorCode::invalid_message},
      {R"({"type":"candidate",)" + to + R"(,"candidate":{}})", ErrorCode::invalid_message},
      {R"({"type":"bye"})", std::nullopt},
      {R"({"type":"off\u0065r",)" + to + R"(,"sdp":"x"})", std::nullopt},
      {R"({"typ\u0065":"offer",)" + to + R"(,"sdp":"x"})", std::nullopt},
      {"\xef\xbb\xbf{\"type\":\"offer\"," + to + ",\"sdp\":\"x\"}", std::nullopt},
      {"", ErrorCode::invalid_json},
      {"{", ErrorCode::invalid_json},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.frame);
    EXPECT_FALSE(fast_relay(c.frame, kFrom, c.limits));
    auto full = parse_client_message(c.frame, c.limits);
    if (c.full_codec_error) {
      ASSERT_TRUE(std::holds_alternative<ProtocolError>(full));
      EXPECT_EQ(std::get<ProtocolError>(full).code, *c.full_codec_error);
    } else {
      EXPECT_TRUE(std::holds_alternative<ClientMessage>(full)) << std::get<ProtocolError>(full).message;
    }
  }
}

}  // namespace
}  // namespace sb::signaling
