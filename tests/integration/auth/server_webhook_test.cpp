// signalbox with an auth webhook, end to end against a scripted HTTP server: what the webhook is told, each
// answer's outcome (allowed with extras, denied, 500, malformed, a timeout, busy), a slow answer while other
// joins proceed, one message at a time before admission; and TURN credentials only for grants that allow
// TURN, named after the identity.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <mutex>

#include "auth_harness.hpp"
#include "common/hook_server.hpp"
#include "common/http_get.hpp"
#include "turn/auth.hpp"

namespace sb::itest {
namespace {

using nlohmann::json;

// The webhook's script, keyed by the room asked for: "deny-*", "error-*", "garbage-*", "slow-*", "never-*",
// "extras-*"; anything else is allowed.
HookResponse script(const HookRequest& r) {
  const json body = json::parse(r.body, nullptr, false);
  const std::string room = body.is_object() ? body.value("room", "") : "";
  if (room.starts_with("deny")) return {200, R"({"allowed":false,"reason":"the meeting has not started"})"};
  if (room.starts_with("error")) return {500, R"({"allowed":true})"};
  if (room.starts_with("garbage")) return {200, "<html>not json</html>"};
  if (room.starts_with("slow")) return {200, R"({"allowed":true})", milliseconds(1500)};
  if (room.starts_with("never")) return {200, R"({"allowed":true})", milliseconds(4000)};
  if (room.starts_with("extras")) {
    return {200, R"({"allowed":true,"meta":{"seat":2},"iceServers":[{"urls":["turn:relay.example.org:3478"],)"
                 R"("username":"u","credential":"c"}]})"};
  }
  return {};
}

class WebhookServer : public SignalingTest {
 protected:
  void start_with_hook(std::vector<std::string> extra = {}, const std::string& timeout_s = "1") {
    std::vector<std::string> args = {"--auth-webhook", hook_.url("/join"), "--auth-webhook-timeout", timeout_s};
    args.insert(args.end(), extra.begin(), extra.end());
    start_server(args);
  }
  HookServer hook_{script};
};

TEST_F(WebhookServer, TheWebhookIsToldWhoJoinsAndAllows) {
  start_with_hook();
  auto c = connect();
  ASSERT_TRUE(c->send_json({{"type", "join"}, {"room", "demo"}, {"name", "dana"}, {"metadata", {{"plan", "pro"}}}}));
  const auto joined = expect_message(*c, "joined");
  ASSERT_EQ(hook_.requests().size(), 1u);
  const auto req = hook_.requests()[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/join");
  const json body = json::parse(req.body);
  EXPECT_EQ(body["room"], "demo");
  EXPECT_EQ(body["name"], "dana");
  EXPECT_EQ(body["peerId"], joined["id"]) << "the id the webhook is told is the one the peer gets";
  EXPECT_EQ(body["ip"], "127.0.0.1");
  EXPECT_EQ(body["userAgent"], "signalbox-itest");
  EXPECT_EQ(body["metadata"]["plan"], "pro");
  EXPECT_TRUE(body["claims"].is_null());
  EXPECT_EQ(body["identity"], "");
}

TEST_F(WebhookServer, WithJwtTheWebhookSeesTheVerifiedClaims) {
  start_with_hook({"--jwt-secret", kSecretOption});
  auto c = connect();
  ASSERT_TRUE(c->send_json({{"type", "join"}, {"room", "demo"}, {"token", token({"erin"})}}));
  expect_message(*c, "joined");
  ASSERT_EQ(hook_.requests().size(), 1u);
  const json body = json::parse(hook_.requests()[0].body);
  EXPECT_EQ(body["identity"], "erin");
  EXPECT_EQ(body["claims"]["sub"], "erin");
  EXPECT_EQ(body["claims"]["room"], "demo");
  // A token refused by the token step never reaches the webhook.
  auto d = connect();
  expect_refused(*d, "demo", "", "token-required");
  EXPECT_EQ(hook_.requests().size(), 1u);
}

TEST_F(WebhookServer, EachAnswerHasItsOutcome) {
  start_with_hook({"--auth-max-failures-per-ip", "1000"});
  const struct {
    std::string room, code;
  } refusals[] = {{"deny-1", "auth-denied"}, {"error-1", "auth-webhook-failed"},
                  {"garbage-1", "auth-webhook-invalid"}, {"never-1", "auth-webhook-timeout"}};
  for (const auto& r : refusals) {
    SCOPED_TRACE(r.code);
    auto c = connect();
    expect_refused(*c, r.room, "", r.code);
  }
  auto denied = connect();
  ASSERT_TRUE(denied->send_json({{"type", "join"}, {"room", "deny-2"}}));
  auto e = expect_message(*denied, "error");
  EXPECT_EQ(str_field(e, "message"), "the meeting has not started");
  // An allowing answer's extras: its iceServers replace the server's, its meta reaches the others.
  auto a = connect();
  ASSERT_TRUE(a->send_json({{"type", "join"}, {"room", "extras-1"}}));
  const auto ja = expect_message(*a, "joined");
  EXPECT_EQ(ja["iceServers"], json::parse(R"([{"urls":["turn:relay.example.org:3478"],"username":"u","credential":"c"}])"));
  auto b = connect();
  ASSERT_TRUE(b->send_json({{"type", "join"}, {"room", "extras-1"}}));
  const auto jb = expect_message(*b, "joined");
  EXPECT_EQ(jb["peers"][0]["meta"]["seat"], 2);
}

TEST_F(WebhookServer, ASlowAnswerDoesNotHoldUpOtherJoins) {
  start_with_hook({}, "5");
  auto slow = connect();
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(slow->send_json({{"type", "join"}, {"room", "slow-1"}}));
  // One message at a time before admission: this ping is read only once the join is decided.
  ASSERT_TRUE(slow->send_json({{"type", "ping"}}));
  ASSERT_TRUE(hook_.wait_requests(1, kWait));
  for (int i = 0; i < 3; ++i) {
    auto fast = connect();
    ASSERT_TRUE(fast->send_json({{"type", "join"}, {"room", "fast-" + std::to_string(i)}}));
    expect_message(*fast, "joined");
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1500)) << "fast joins waited for the slow one";
  expect_message(*slow, "joined", kWait);
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(1500));
  expect_message(*slow, "pong");
}

TEST_F(WebhookServer, JoinsBeyondTheCallsInFlightAreRefusedAtOnce) {
  start_with_hook({"--auth-webhook-max-in-flight", "1"}, "5");
  auto slow = connect();
  ASSERT_TRUE(slow->send_json({{"type", "join"}, {"room", "slow-2"}}));
  ASSERT_TRUE(hook_.wait_requests(1, kWait));
  auto busy = connect();
  expect_refused(*busy, "fast-9", "", "auth-busy");
  expect_message(*slow, "joined", kWait);
}

// TURN credentials: only when the grant allows TURN, and named after the identity (coturn's REST form).
class TurnGrant : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.args = {"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--log-level", "warn",
              "--jwt-secret", kSecretOption, "--turn-secret", kTurnSecret};
    server_ = std::make_unique<ServerProcess>(std::move(o));
  }
  json joined_with(const std::string& tok, const std::string& room) {
    WsClient c("127.0.0.1", server_->port());
    EXPECT_TRUE(c.send_json({{"type", "join"}, {"room", room}, {"token", tok}}));
    auto m = c.receive_json(kWait);
    EXPECT_TRUE(m && type_of(*m) == "joined") << (m ? m->dump() : "nothing");
    return m ? *m : json::object();
  }
  static const inline std::string kTurnSecret = "turn-rest-secret-for-the-test";
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(TurnGrant, CredentialsOnlyWhenTheTokenAllowsTurn) {
  const json with = joined_with(token({"alice", "t1", 600, unix_now(), true}), "t1");
  const json* turn = nullptr;
  for (const auto& s : with["iceServers"]) {
    if (s.contains("username")) turn = &s;
  }
  ASSERT_NE(turn, nullptr) << with.dump();
  const std::string user = (*turn)["username"];
  const auto colon = user.find(':');
  ASSERT_NE(colon, std::string::npos);
  EXPECT_EQ(user.substr(colon + 1), "alice");
  const std::int64_t expiry = std::stoll(user.substr(0, colon));
  EXPECT_NEAR(static_cast<double>(expiry - unix_now()), 600.0, 30.0) << "the default TTL is ten minutes";
  EXPECT_EQ((*turn)["credential"], turn::mint_rest_credential(kTurnSecret, "alice", expiry - 600, 600).password);

  const json without = joined_with(token({"bob", "t2"}), "t2");
  ASSERT_FALSE(without["iceServers"].empty()) << "STUN stays";
  for (const auto& s : without["iceServers"]) {
    EXPECT_FALSE(s.contains("username")) << s.dump();
    for (const auto& u : s["urls"]) EXPECT_FALSE(u.get<std::string>().starts_with("turn")) << s.dump();
  }
}

// The connectivity doctor's /doctor/config hands out TURN credentials too: with access control, only to a
// request whose bearer token allows TURN (any room); the others still learn the STUN URL.
TEST_F(TurnGrant, TheDoctorHandsOutTurnOnlyToABearerThatAllowsIt) {
  const auto get = [&](const std::string& authorization) {
    const auto r = http_get("127.0.0.1", server_->port(), "/doctor/config", false, kWait, authorization);
    EXPECT_EQ(r.status, 200) << r.error << r.body;
    return json::parse(r.body, nullptr, false);
  };
  const json anonymous = get("");
  EXPECT_TRUE(anonymous["turn"].is_null()) << anonymous.dump();
  EXPECT_TRUE(anonymous["stun"].is_string()) << anonymous.dump();
  EXPECT_TRUE(get("Bearer " + token({"bob", "t3"}))["turn"].is_null()) << "a token without the turn claim";
  EXPECT_TRUE(get("Bearer " + token({"eve", "t3", 60, unix_now() - 120, true}))["turn"].is_null()) << "expired";
  const json allowed = get("bearer " + token({"alice", "anywhere", 600, unix_now(), true}));
  ASSERT_TRUE(allowed["turn"].is_object()) << allowed.dump();
  EXPECT_TRUE(allowed["turn"]["username"].get<std::string>().find(":doctor-") != std::string::npos)
      << allowed["turn"].dump();
}

}  // namespace
}  // namespace sb::itest
