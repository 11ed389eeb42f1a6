// The Ayame auth webhook's contract: Ayame's request fields, and its answers read as the Ayame server reads
// them.
#include "auth/ayame_webhook.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace sb::auth {
namespace {

using nlohmann::json;
using signaling::Denial;
using signaling::ErrorCode;
using signaling::Grant;

WebhookReply answered(unsigned status, std::string body) {
  return WebhookReply{WebhookReply::Kind::answered, status, std::move(body), ""};
}

Denial denied(const signaling::AdmissionDecision& d) {
  EXPECT_TRUE(std::holds_alternative<Denial>(d));
  return std::holds_alternative<Denial>(d) ? std::get<Denial>(d) : Denial{};
}

TEST(AyameWebhook, TheRequestHasAyamesFieldNamesAndLeavesOutWhatTheRegisterLacked) {
  signaling::ayame::msg::Register r;
  r.room_id = "room";
  r.signaling_key = "key";
  r.authn_metadata = R"({"user":"u1"})";
  r.ayame_client = "ayame-web-sdk 2022.1";
  const json body = json::parse(ayame_authn_body(r, "client", "01ARZ3NDEKTSV4RRFFQ69G5FAV"));
  EXPECT_EQ(body, (json{{"roomId", "room"},
                        {"clientId", "client"},
                        {"connectionId", "01ARZ3NDEKTSV4RRFFQ69G5FAV"},
                        {"signalingKey", "key"},
                        {"authnMetadata", {{"user", "u1"}}},
                        {"ayameClient", "ayame-web-sdk 2022.1"}}));
  signaling::ayame::msg::Register bare;
  bare.room_id = "room";
  EXPECT_EQ(json::parse(ayame_authn_body(bare, "c", "id")),
            (json{{"roomId", "room"}, {"clientId", "c"}, {"connectionId", "id"}}));
}

TEST(AyameWebhook, AllowedGrantsWithTheAnswersIceServersAndAuthzMetadata) {
  const WebhookLimits limits;
  auto d = read_ayame_authn_reply(
      answered(
          200,
          R"({"allowed":true,"authzMetadata":{"role":"viewer"},"iceServers":[{"urls":["turn:192.0.2.9"],"username":"u","credential":"p"}]})"),
      limits);
  ASSERT_TRUE(std::holds_alternative<Grant>(d));
  const auto& g = std::get<Grant>(d);
  EXPECT_EQ(g.meta, R"({"role":"viewer"})");
  ASSERT_TRUE(g.ice_servers);
  EXPECT_EQ(g.ice_servers->at(0).urls, std::vector<std::string>{"turn:192.0.2.9"});
  auto plain = read_ayame_authn_reply(answered(200, R"({"allowed":true})"), limits);
  ASSERT_TRUE(std::holds_alternative<Grant>(plain));
  EXPECT_EQ(std::get<Grant>(plain).meta, "");
  EXPECT_FALSE(std::get<Grant>(plain).ice_servers);
}

TEST(AyameWebhook, DeniedWithAReasonRejectsWithIt) {
  auto d = denied(
      read_ayame_authn_reply(answered(200, R"({"allowed":false,"reason":"InvalidSignalingKey"})"), {}));
  EXPECT_EQ(d.code, ErrorCode::auth_denied);
  EXPECT_EQ(d.message, "InvalidSignalingKey");
}

TEST(AyameWebhook, WhatAyameCannotReadIsInternalServerError) {
  const WebhookLimits limits;
  const std::pair<WebhookReply, ErrorCode> cases[] = {
      {answered(200, R"({"allowed":false})"), ErrorCode::auth_webhook_invalid},  // no reason
      {answered(201, R"({"allowed":true})"), ErrorCode::auth_webhook_failed},    // only 200 counts
      {answered(500, "oops"), ErrorCode::auth_webhook_failed},
      {answered(200, "not json"), ErrorCode::auth_webhook_invalid},
      {answered(200, R"({"reason":"x"})"), ErrorCode::auth_webhook_invalid},  // no allowed
      {answered(200, R"({"allowed":true,"authzMetadata":")" + std::string(2000, 'x') + R"("})"),
       ErrorCode::auth_webhook_invalid},
      {WebhookReply{WebhookReply::Kind::timeout}, ErrorCode::auth_webhook_timeout},
      {WebhookReply{WebhookReply::Kind::unreachable}, ErrorCode::auth_webhook_failed},
      {WebhookReply{WebhookReply::Kind::garbled}, ErrorCode::auth_webhook_invalid},
  };
  for (const auto& [reply, code] : cases) {
    auto d = denied(read_ayame_authn_reply(reply, limits));
    EXPECT_EQ(d.code, code) << reply.body;
    EXPECT_EQ(d.message, "InternalServerError") << reply.body;
  }
}

}  // namespace
}  // namespace sb::auth
