#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "signaling/ayame/protocol.hpp"

namespace sb::signaling::ayame {
namespace {

using nlohmann::json;

ClientMessage parse(std::string_view frame) {
  return parse_client_message(frame, Limits{});
}

Failure failure_of(std::string_view frame) {
  auto m = parse(frame);
  if (!std::holds_alternative<Failure>(m)) {
    ADD_FAILURE() << "accepted: " << frame;
    return Failure::invalid_json;
  }
  return std::get<Failure>(m);
}

msg::Register register_of(std::string_view frame) {
  auto m = parse(frame);
  if (!std::holds_alternative<msg::Register>(m)) {
    ADD_FAILURE() << "not a register: " << frame;
    return {};
  }
  return std::get<msg::Register>(m);
}

TEST(AyameProtocol, RegisterAsTheWebSdkSendsIt) {
  // ayame-web-sdk: JSON.stringify drops the undefined members; signalingKey travels as the older `key`.
  auto r = register_of(
      R"({"type":"register","roomId":"user@room-1","clientId":"abcdefghijklmnopq","authnMetadata":{"n":[1,2]},)"
      R"("key":"secret","standalone":false})");
  EXPECT_EQ(r.room_id, "user@room-1");
  EXPECT_EQ(r.client_id, "abcdefghijklmnopq");
  EXPECT_EQ(r.signaling_key, "secret");
  EXPECT_EQ(r.authn_metadata, R"({"n":[1,2]})");
  EXPECT_FALSE(r.standalone);
  EXPECT_FALSE(r.ayame_client);
}

TEST(AyameProtocol, RegisterAsMomoSendsIt) {
  auto r = register_of(
      R"({"type":"register","roomId":"r","clientId":"c","signalingKey":"k2","key":"k1","ayameClient":"Momo 2024.1.0",)"
      R"("libwebrtc":"m120","environment":"[x86_64] Ubuntu 22.04"})");
  EXPECT_EQ(r.signaling_key, "k2");  // signalingKey wins over key
  EXPECT_EQ(r.ayame_client, "Momo 2024.1.0");
  EXPECT_EQ(r.libwebrtc, "m120");
  EXPECT_EQ(r.environment, "[x86_64] Ubuntu 22.04");
}

TEST(AyameProtocol, RegisterNullsAreAbsent) {
  auto r = register_of(
      R"({"type":"register","roomId":"r","clientId":null,"key":null,"authnMetadata":null,"standalone":null})");
  EXPECT_EQ(r.client_id, "");
  EXPECT_FALSE(r.signaling_key);
  EXPECT_FALSE(r.authn_metadata);
  EXPECT_TRUE(register_of(R"({"type":"register","roomId":"r","standalone":true})").standalone);
}

TEST(AyameProtocol, RegisterFailures) {
  EXPECT_EQ(failure_of(R"({"type":"register"})"), Failure::missing_room_id);
  EXPECT_EQ(failure_of(R"({"type":"register","roomId":""})"), Failure::missing_room_id);
  EXPECT_EQ(failure_of(R"({"type":"register","roomId":null})"), Failure::missing_room_id);
  // A member of the wrong JSON type fails the message, as Go's decoder does.
  EXPECT_EQ(failure_of(R"({"type":"register","roomId":5})"), Failure::invalid_json);
  EXPECT_EQ(failure_of(R"({"type":"register","roomId":"r","clientId":{}})"), Failure::invalid_json);
  EXPECT_EQ(failure_of(R"({"type":"register","roomId":"r","key":1})"), Failure::invalid_json);
  EXPECT_EQ(failure_of(R"({"type":"register","roomId":"r","standalone":"yes"})"), Failure::invalid_json);
  EXPECT_EQ(failure_of(R"({"type":"register","roomId":"\udc00"})"), Failure::invalid_json);
  EXPECT_EQ(failure_of(R"({"type":"register","roomId":")" + std::string(256, 'r') + "\"}"),
            Failure::field_too_large);
  EXPECT_EQ(
      failure_of(R"({"type":"register","roomId":"r","authnMetadata":")" + std::string(9000, 'm') + "\"}"),
      Failure::field_too_large);
}

TEST(AyameProtocol, OtherClientMessages) {
  EXPECT_TRUE(std::holds_alternative<msg::Pong>(parse(R"({"type":"pong"})")));
  EXPECT_TRUE(std::holds_alternative<msg::Connected>(parse(R"({"type":"connected"})")));
  EXPECT_EQ(std::get<msg::Forward>(parse(R"({"type":"offer","sdp":"v=0\r\n"})")).type,
            msg::ForwardType::offer);
  EXPECT_EQ(std::get<msg::Forward>(parse(R"({"type":"answer","sdp":"v=0\r\n"})")).type,
            msg::ForwardType::answer);
  EXPECT_EQ(
      std::get<msg::Forward>(
          parse(
              R"({"type":"candidate","ice":{"candidate":"candidate:1 1 udp 1 1.2.3.4 5 typ host","sdpMid":"0","sdpMLineIndex":0}})"))
          .type,
      msg::ForwardType::candidate);
  // Register members on another type are not looked at (Go decodes only `type` there).
  EXPECT_TRUE(std::holds_alternative<msg::Forward>(parse(R"({"type":"offer","roomId":5})")));
}

TEST(AyameProtocol, WhatEndsAConnection) {
  EXPECT_EQ(failure_of("not json"), Failure::invalid_json);
  EXPECT_EQ(failure_of("[]"), Failure::invalid_json);
  EXPECT_EQ(failure_of("\"register\""), Failure::invalid_json);
  EXPECT_EQ(failure_of("null"), Failure::unexpected_json);
  EXPECT_EQ(failure_of("{}"), Failure::invalid_message_type);
  EXPECT_EQ(failure_of(R"({"type":null})"), Failure::invalid_message_type);
  EXPECT_EQ(failure_of(R"({"type":1})"), Failure::invalid_json);
  EXPECT_EQ(failure_of(R"({"type":"ping"})"), Failure::invalid_message_type);
  EXPECT_EQ(failure_of(R"({"type":"bye"})"), Failure::invalid_message_type);
  EXPECT_EQ(failure_of(R"({"type":"Offer"})"), Failure::invalid_message_type);
  EXPECT_EQ(to_string(Failure::missing_room_id), "MissingRoomID");
  EXPECT_EQ(to_string(Failure::already_registered), "InternalServerError");
}

TEST(AyameProtocol, AcceptInAyamesFieldOrder) {
  msg::Accept a{"01HZZZZZZZZZZZZZZZZZZZZZZZ", std::nullopt, std::nullopt, false};
  EXPECT_EQ(
      serialize(a),
      R"({"type":"accept","connectionId":"01HZZZZZZZZZZZZZZZZZZZZZZZ","isExistClient":false,"isExistUser":false})");
  a.is_exist_client = true;
  a.authz_metadata = R"({"plan":"pro"})";
  a.ice_servers =
      std::vector<IceServer>{{{"stun:192.0.2.2:3478"}, std::nullopt, std::nullopt},
                             {{"turn:192.0.2.2:3478?transport=udp", "turn:192.0.2.2:3478?transport=tcp"},
                              "1700000000:x",
                              "c2VjcmV0"}};
  EXPECT_EQ(serialize(a),
            R"({"type":"accept","connectionId":"01HZZZZZZZZZZZZZZZZZZZZZZZ","authzMetadata":{"plan":"pro"},)"
            R"("iceServers":[{"urls":["stun:192.0.2.2:3478"]},{"urls":["turn:192.0.2.2:3478?transport=udp",)"
            R"("turn:192.0.2.2:3478?transport=tcp"],"username":"1700000000:x","credential":"c2VjcmV0"}],)"
            R"("isExistClient":true,"isExistUser":true})");
  auto back = parse_server_message(serialize(a), Limits{});
  ASSERT_TRUE(back);
  EXPECT_EQ(std::get<msg::Accept>(*back), a);
}

TEST(AyameProtocol, OtherServerMessages) {
  EXPECT_EQ(serialize(msg::Reject{"full"}), R"({"type":"reject","reason":"full"})");
  EXPECT_EQ(serialize(msg::Ping{}), R"({"type":"ping"})");
  EXPECT_EQ(serialize(msg::Bye{}), R"({"type":"bye"})");
  const std::string offer = R"({"type":"offer","sdp":"v=0"})";
  EXPECT_EQ(serialize(msg::Forwarded{msg::ForwardType::offer, offer}), offer);
  for (const ServerMessage& m :
       {ServerMessage{msg::Reject{"full"}}, ServerMessage{msg::Ping{}}, ServerMessage{msg::Bye{}},
        ServerMessage{msg::Forwarded{msg::ForwardType::offer, offer}}}) {
    auto back = parse_server_message(serialize(m), Limits{});
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, m);
  }
  EXPECT_FALSE(parse_server_message(R"({"type":"accept"})", Limits{}));
  EXPECT_FALSE(parse_server_message(R"({"type":"pong"})", Limits{}));
}

TEST(AyameProtocol, ConnectionIdsAreUlids) {
  const std::uint8_t zero[10] = {};
  EXPECT_EQ(connection_id(0, zero), std::string(26, '0'));
  const std::uint8_t ones[10] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  // The largest ULID is 7ZZZZZZZZZZZZZZZZZZZZZZZZZ (the top two of 130 bits are zero).
  EXPECT_EQ(connection_id(0xFFFFFFFFFFFFull, ones), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
  // The ULID specification's example: 1469918176385 ms is "01ARYZ6S41".
  EXPECT_EQ(connection_id(1469918176385ull, zero).substr(0, 10), "01ARYZ6S41");
  EXPECT_EQ(connection_id(1469918176385ull, zero).substr(10), std::string(16, '0'));
  const std::uint8_t one[10] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(connection_id(0, one), std::string(25, '0') + "1");
}

}  // namespace
}  // namespace sb::signaling::ayame
