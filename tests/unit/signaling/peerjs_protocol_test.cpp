#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "signaling/peerjs/protocol.hpp"

namespace sb::signaling::peerjs {
namespace {

using nlohmann::json;

// An OFFER as the peerjs 1.5.5 client sends it for a data connection (payload shape from its negotiator).
const std::string kOffer =
    R"({"type":"OFFER","payload":{"sdp":{"type":"offer","sdp":"v=0\r\no=- 46 2 IN IP4 127.0.0.1\r\n"},)"
    R"("type":"data","connectionId":"dc_x1","label":"dc_x1","reliable":true,"serialization":"binary",)"
    R"("metadata":{"who":"caf\u00e9"}},"dst":"bob"})";

// The Relay's payload points into `frame`, which must outlive it.
msg::Relay relay_of(const std::string& frame) {
  auto m = parse_client_message(frame, Limits{});
  if (!std::holds_alternative<msg::Relay>(m)) {
    ADD_FAILURE() << "not a relay: " << frame;
    return {};
  }
  return std::get<msg::Relay>(m);
}

DropReason drop_of(std::string_view frame) {
  auto m = parse_client_message(frame, Limits{});
  if (!std::holds_alternative<Dropped>(m)) {
    ADD_FAILURE() << "not dropped: " << frame;
    return DropReason::invalid_json;
  }
  return std::get<Dropped>(m).reason;
}

TEST(PeerjsProtocol, TypeNamesRoundTrip) {
  for (auto t : {Type::open, Type::leave, Type::candidate, Type::offer, Type::answer, Type::expire,
                 Type::heartbeat, Type::id_taken, Type::error}) {
    EXPECT_EQ(type_from_string(to_string(t)), t);
  }
  EXPECT_EQ(to_string(Type::id_taken), "ID-TAKEN");
  EXPECT_FALSE(type_from_string("offer"));  // case matters, as in the reference server
  EXPECT_TRUE(is_held_when_absent(Type::offer));
  EXPECT_TRUE(is_held_when_absent(Type::candidate));
  EXPECT_FALSE(is_held_when_absent(Type::leave));
  EXPECT_FALSE(is_held_when_absent(Type::expire));
}

TEST(PeerjsProtocol, OfferKeepsThePayloadExactlyAsWritten) {
  auto r = relay_of(kOffer);
  EXPECT_EQ(r.type, Type::offer);
  EXPECT_EQ(r.dst, "bob");
  const auto start = kOffer.find("{\"sdp\"");
  EXPECT_EQ(r.payload, std::string_view(kOffer).substr(start, kOffer.rfind(",\"dst\"") - start));
}

TEST(PeerjsProtocol, RelayFrameIsWhatTheReferenceServerWrites) {
  auto r = relay_of(kOffer);
  const std::string out = relay_frame(r.type, "alice", r.dst, r.payload);
  // JSON.stringify({type, src, dst, payload}) in that order.
  const auto j = json::parse(out);
  EXPECT_TRUE(out.starts_with(R"({"type":"OFFER","src":"alice","dst":"bob","payload":{"sdp":)")) << out;
  EXPECT_EQ(j["payload"], json::parse(kOffer)["payload"]);
  EXPECT_EQ(j["payload"]["metadata"]["who"], "caf\xc3\xa9");
}

TEST(PeerjsProtocol, SrcFromTheClientIsNeverRead) {
  const std::string in = R"({"type":"ANSWER","src":"mallory","dst":"bob","payload":{"x":1}})";
  auto r = relay_of(in);
  EXPECT_EQ(relay_frame(r.type, "alice", r.dst, r.payload),
            R"({"type":"ANSWER","src":"alice","dst":"bob","payload":{"x":1}})");
}

TEST(PeerjsProtocol, PayloadAbsentOrNull) {
  const std::string leave = R"({"type":"LEAVE","dst":"bob"})";
  auto r = relay_of(leave);
  EXPECT_EQ(r.type, Type::leave);
  EXPECT_TRUE(r.payload.empty());
  EXPECT_EQ(relay_frame(r.type, "a", r.dst, r.payload), R"({"type":"LEAVE","src":"a","dst":"bob"})");
  const std::string candidate = R"({"type":"CANDIDATE","dst":"bob","payload":null})";
  auto n = relay_of(candidate);
  EXPECT_EQ(relay_frame(n.type, "a", n.dst, n.payload),
            R"({"type":"CANDIDATE","src":"a","dst":"bob","payload":null})");
}

TEST(PeerjsProtocol, DstAbsentNullOrEmptyIsNone) {
  EXPECT_EQ(relay_of(R"({"type":"LEAVE"})").dst, "");
  EXPECT_EQ(relay_of(R"({"type":"LEAVE","dst":null})").dst, "");
  EXPECT_EQ(relay_of(R"({"type":"OFFER","dst":""})").dst, "");
  EXPECT_EQ(relay_of(R"({"type":"OFFER","dst":"b\u006fb"})").dst, "bob");
}

TEST(PeerjsProtocol, DuplicateMembersTheLastCountsAsInJsonParse) {
  const std::string in = R"({"type":"HEARTBEAT","type":"OFFER","dst":"a","dst":"b","payload":1,"payload":2})";
  auto r = relay_of(in);
  EXPECT_EQ(r.type, Type::offer);
  EXPECT_EQ(r.dst, "b");
  EXPECT_EQ(r.payload, "2");
}

TEST(PeerjsProtocol, Heartbeat) {
  EXPECT_TRUE(
      std::holds_alternative<msg::Heartbeat>(parse_client_message(R"({"type":"HEARTBEAT"})", Limits{})));
}

TEST(PeerjsProtocol, WhatTheReferenceServerIgnoresIsDropped) {
  EXPECT_EQ(drop_of("not json"), DropReason::invalid_json);
  EXPECT_EQ(drop_of(R"({"type":"OFFER")"), DropReason::invalid_json);
  EXPECT_EQ(drop_of("[1,2]"), DropReason::not_an_object);
  EXPECT_EQ(drop_of("null"), DropReason::not_an_object);
  EXPECT_EQ(drop_of("\"OFFER\""), DropReason::not_an_object);
  EXPECT_EQ(drop_of("{}"), DropReason::unknown_type);
  EXPECT_EQ(drop_of(R"({"type":"PING"})"), DropReason::unknown_type);
  EXPECT_EQ(drop_of(R"({"type":5})"), DropReason::unknown_type);
  // Types only the server sends.
  EXPECT_EQ(drop_of(R"({"type":"OPEN"})"), DropReason::unknown_type);
  EXPECT_EQ(drop_of(R"({"type":"ERROR","payload":{"msg":"x"}})"), DropReason::unknown_type);
  EXPECT_EQ(drop_of(R"({"type":"ID-TAKEN"})"), DropReason::unknown_type);
  EXPECT_EQ(drop_of(R"({"type":"OFFER","dst":5})"), DropReason::invalid_dst);
  EXPECT_EQ(drop_of(R"({"type":"OFFER","dst":["b"]})"), DropReason::invalid_dst);
  EXPECT_EQ(drop_of(R"({"type":"OFFER","dst":"\ud800"})"), DropReason::invalid_dst);
  EXPECT_EQ(drop_of(std::string(R"({"type":"OFFER","payload":)") + std::string(100, '[') +
                    std::string(100, ']') + "}"),
            DropReason::invalid_json);  // nesting over max_depth
}

TEST(PeerjsProtocol, ServerFramesAsTheReferenceServerWritesThem) {
  EXPECT_EQ(serialize(msg::Open{}), R"({"type":"OPEN"})");
  EXPECT_EQ(serialize(msg::IdTaken{}), R"({"type":"ID-TAKEN","payload":{"msg":"ID is taken"}})");
  EXPECT_EQ(error_frame(ErrorText::invalid_key),
            R"({"type":"ERROR","payload":{"msg":"Invalid key provided"}})");
  EXPECT_EQ(error_frame(ErrorText::missing_parameters),
            R"({"type":"ERROR","payload":{"msg":"No id, token, or key supplied to websocket server"}})");
  EXPECT_EQ(error_frame(ErrorText::concurrent_limit),
            R"({"type":"ERROR","payload":{"msg":"Server has reached its concurrent user limit"}})");
  EXPECT_EQ(serialize(msg::Relayed{Type::expire, "bob", "alice", std::nullopt}),
            R"({"type":"EXPIRE","src":"bob","dst":"alice"})");
  EXPECT_EQ(serialize(msg::Relayed{Type::leave, "b\"ob", "alice", std::nullopt}),
            R"({"type":"LEAVE","src":"b\"ob","dst":"alice"})");
}

TEST(PeerjsProtocol, ServerFramesParseBack) {
  const Limits l;
  for (const ServerMessage& m :
       {ServerMessage{msg::Open{}}, ServerMessage{msg::IdTaken{}}, ServerMessage{msg::Error{"x \"y\""}},
        ServerMessage{msg::Relayed{Type::expire, "b", "a", std::nullopt}},
        ServerMessage{msg::Relayed{Type::offer, "b", "a", std::string(R"({"k":[1,2]})")}}}) {
    auto back = parse_server_message(serialize(m), l);
    ASSERT_TRUE(back) << serialize(m);
    EXPECT_EQ(*back, m);
  }
  EXPECT_FALSE(parse_server_message(R"({"type":"HEARTBEAT"})", l));
  EXPECT_FALSE(parse_server_message(R"({"type":"ERROR"})", l));
  EXPECT_FALSE(parse_server_message("[]", l));
}

TEST(PeerjsProtocol, IdsAsThePeerjsClientAcceptsThem) {
  for (std::string_view id :
       {"a", "alice", "A1", "a b", "a_b-c d", "0123", "9f1c2d3e-1111-4aaa-8bbb-0123456789ab"}) {
    EXPECT_TRUE(is_valid_id(id, 64)) << id;
  }
  for (std::string_view id :
       {"", " a", "a ", "a  b", "a__b", "-a", "a-", "a.b", "a/b", "caf\xc3\xa9", "a\"b"}) {
    EXPECT_FALSE(is_valid_id(id, 64)) << id;
  }
  EXPECT_TRUE(is_valid_id(std::string(64, 'a'), 64));
  EXPECT_FALSE(is_valid_id(std::string(65, 'a'), 64));
}

TEST(PeerjsProtocol, ConnectParams) {
  const Limits l;
  auto p = connect_params("key=peerjs&id=alice&token=abc123&version=1.5.5", l);
  ASSERT_TRUE(std::holds_alternative<ConnectParams>(p));
  EXPECT_EQ(std::get<ConnectParams>(p), (ConnectParams{"peerjs", "alice", "abc123"}));
  // Decoding as URLSearchParams does; the last repeated name wins.
  auto q = connect_params("key=pe%65rjs&id=a+b&id=a%20c&token=t%2", l);
  ASSERT_TRUE(std::holds_alternative<ConnectParams>(q));
  EXPECT_EQ(std::get<ConnectParams>(q), (ConnectParams{"peerjs", "a c", "t%2"}));
  EXPECT_EQ(std::get<ErrorText>(connect_params("key=peerjs&id=alice", l)), ErrorText::missing_parameters);
  EXPECT_EQ(std::get<ErrorText>(connect_params("key=&id=alice&token=t", l)), ErrorText::missing_parameters);
  EXPECT_EQ(std::get<ErrorText>(connect_params("", l)), ErrorText::missing_parameters);
  EXPECT_EQ(std::get<ErrorText>(connect_params("key=k&id=a.b&token=t", l)), ErrorText::invalid_id);
  EXPECT_EQ(std::get<ErrorText>(connect_params("key=k&id=a&token=" + std::string(65, 't'), l)),
            ErrorText::invalid_id);
  EXPECT_EQ(std::get<ErrorText>(connect_params("key=" + std::string(65, 'k') + "&id=a&token=t", l)),
            ErrorText::invalid_key);
}

TEST(PeerjsProtocol, Paths) {
  EXPECT_EQ(normalize_path("/"), "/");
  EXPECT_EQ(normalize_path("myapp"), "/myapp");
  EXPECT_EQ(normalize_path("/myapp/"), "/myapp");
  EXPECT_EQ(websocket_path("/"), "/peerjs");
  EXPECT_EQ(websocket_path("/myapp/"), "/myapp/peerjs");
}

TEST(PeerjsProtocol, HttpRoutes) {
  auto id = http_route("/myapp/peerjs/id?ts=1234&version=1.5.5", "/myapp");
  EXPECT_EQ(id.endpoint, HttpEndpoint::id);
  EXPECT_EQ(id.key, "peerjs");
  EXPECT_EQ(http_route("/myapp/k%20y/peers", "/myapp").endpoint, HttpEndpoint::peers);
  EXPECT_EQ(http_route("/myapp/k%20y/peers", "/myapp").key, "k y");
  EXPECT_EQ(http_route("/MyApp/k/ID/", "/myapp").endpoint, HttpEndpoint::id);
  EXPECT_EQ(http_route("/myapp", "/myapp").endpoint, HttpEndpoint::info);
  EXPECT_EQ(http_route("/myapp/", "/myapp").endpoint, HttpEndpoint::info);
  EXPECT_EQ(http_route("/peerjs/id", "/").endpoint, HttpEndpoint::id);
  EXPECT_EQ(http_route("/", "/").endpoint, HttpEndpoint::info);
  for (std::string_view t :
       {"/myappx/k/id", "/other/k/id", "/myapp/k/idx", "/myapp/k", "/myapp//id", "/myapp/k/id/x"}) {
    EXPECT_EQ(http_route(t, "/myapp").endpoint, HttpEndpoint::none) << t;
  }
}

}  // namespace
}  // namespace sb::signaling::peerjs
