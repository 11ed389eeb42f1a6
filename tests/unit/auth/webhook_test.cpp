// The auth webhook's contract: the request body, and every kind of answer.
#include "auth/webhook.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace sb::auth {
namespace {

using nlohmann::json;
using signaling::ErrorCode;

ErrorCode refused(const WebhookOutcome& o) {
  EXPECT_TRUE(std::holds_alternative<Refusal>(o));
  return std::holds_alternative<Refusal>(o) ? std::get<Refusal>(o).code : ErrorCode::invalid_json;
}

WebhookGrant granted(const WebhookOutcome& o) {
  if (auto* r = std::get_if<Refusal>(&o)) {
    ADD_FAILURE() << r->message;
  }
  return std::holds_alternative<WebhookGrant>(o) ? std::get<WebhookGrant>(o) : WebhookGrant{};
}

TEST(WebhookRequest, CarriesEverythingTheContractNames) {
  WebhookRequest r{"demo", "alice", "Alice", "0123456789abcdef0123456789abcdef", "192.0.2.7", "Chromium/120",
                   R"({"sub":"alice","room":"demo","exp":1})", R"({"plan":"pro"})"};
  const json body = json::parse(webhook_body(r));
  EXPECT_EQ(body["room"], "demo");
  EXPECT_EQ(body["identity"], "alice");
  EXPECT_EQ(body["name"], "Alice");
  EXPECT_EQ(body["peerId"], "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(body["ip"], "192.0.2.7");
  EXPECT_EQ(body["userAgent"], "Chromium/120");
  EXPECT_EQ(body["claims"]["sub"], "alice");
  EXPECT_EQ(body["metadata"]["plan"], "pro");
  WebhookRequest minimal;
  minimal.room = "demo";
  const json bare = json::parse(webhook_body(minimal));
  EXPECT_TRUE(bare["claims"].is_null());
  EXPECT_TRUE(bare["metadata"].is_null());
  EXPECT_EQ(bare["identity"], "");
}

TEST(WebhookAnswer, AllowedWithAndWithoutExtras) {
  const WebhookLimits limits;
  const auto plain = granted(read_webhook_answer(200, R"({"allowed":true})", limits));
  EXPECT_FALSE(plain.ice_servers.has_value());
  EXPECT_EQ(plain.max_peers, 0u);
  EXPECT_FALSE(plain.meta.has_value());
  const auto full = granted(read_webhook_answer(
      201,
      R"({"allowed":true,"maxPeers":3,"meta":{"seat":2},"iceServers":[{"urls":"stun:stun.example.org"},)"
      R"({"urls":["turn:t.example.org?transport=udp"],"username":"u","credential":"c"}]})",
      limits));
  EXPECT_EQ(full.max_peers, 3u);
  EXPECT_EQ(json::parse(*full.meta), json::parse(R"({"seat":2})"));
  ASSERT_TRUE(full.ice_servers.has_value());
  ASSERT_EQ(full.ice_servers->size(), 2u);
  EXPECT_EQ((*full.ice_servers)[0].urls, std::vector<std::string>{"stun:stun.example.org"});
  EXPECT_EQ((*full.ice_servers)[1].username, "u");
  EXPECT_EQ((*full.ice_servers)[1].credential, "c");
}

TEST(WebhookAnswer, DeniedCarriesTheReason) {
  const auto o = read_webhook_answer(200, R"({"allowed":false,"reason":"the meeting has not started"})", {});
  ASSERT_EQ(refused(o), ErrorCode::auth_denied);
  EXPECT_EQ(std::get<Refusal>(o).message, "the meeting has not started");
  const auto bare = read_webhook_answer(200, R"({"allowed":false})", {});
  ASSERT_EQ(refused(bare), ErrorCode::auth_denied);
  EXPECT_FALSE(std::get<Refusal>(bare).message.empty());
}

TEST(WebhookAnswer, NonSuccessStatusIsAFailure) {
  for (unsigned status : {199u, 301u, 400u, 403u, 500u, 503u}) {
    EXPECT_EQ(refused(read_webhook_answer(status, R"({"allowed":true})", {})), ErrorCode::auth_webhook_failed)
        << status;
  }
}

TEST(WebhookAnswer, GarbageIsInvalid) {
  for (const char* body : {"", "allowed", "[true]", "{}", R"({"allowed":"yes"})", R"({"allowed":1})",
                           R"({"allowed":true,"maxPeers":0})", R"({"allowed":true,"maxPeers":"2"})",
                           R"({"allowed":true,"iceServers":{}})", R"({"allowed":true,"iceServers":[{}]})",
                           R"({"allowed":true,"iceServers":[{"urls":[]}]})",
                           R"({"allowed":true,"iceServers":[{"urls":"stun:x","username":5}]})"}) {
    EXPECT_EQ(refused(read_webhook_answer(200, body, {})), ErrorCode::auth_webhook_invalid) << body;
  }
  WebhookLimits small;
  small.max_meta_bytes = 8;
  small.max_ice_servers = 1;
  EXPECT_EQ(refused(read_webhook_answer(200, R"({"allowed":true,"meta":"0123456789"})", small)),
            ErrorCode::auth_webhook_invalid);
  EXPECT_EQ(refused(read_webhook_answer(200, R"({"allowed":true,"iceServers":[{"urls":"a"},{"urls":"b"}]})", small)),
            ErrorCode::auth_webhook_invalid);
}

TEST(WebhookReply, EachFailureHasItsOwnCode) {
  const WebhookLimits limits;
  EXPECT_EQ(refused(read_webhook_reply({WebhookReply::Kind::timeout}, limits)), ErrorCode::auth_webhook_timeout);
  EXPECT_EQ(refused(read_webhook_reply({WebhookReply::Kind::unreachable}, limits)), ErrorCode::auth_webhook_failed);
  EXPECT_EQ(refused(read_webhook_reply({WebhookReply::Kind::garbled}, limits)), ErrorCode::auth_webhook_invalid);
  EXPECT_EQ(refused(read_webhook_reply({WebhookReply::Kind::answered, 500, "{}"}, limits)),
            ErrorCode::auth_webhook_failed);
  EXPECT_TRUE(std::holds_alternative<WebhookGrant>(
      read_webhook_reply({WebhookReply::Kind::answered, 200, R"({"allowed":true})"}, limits)));
}

}  // namespace
}  // namespace sb::auth
