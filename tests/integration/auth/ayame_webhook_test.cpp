// Ayame clients on a server with `--auth webhook`: each register goes to the webhook in Ayame's field names,
// and the answer decides accept (with the webhook's authzMetadata) or reject (with its reason); a webhook
// that cannot be asked rejects with Ayame's InternalServerError.
#include "auth_harness.hpp"
#include "common/hook_server.hpp"

namespace sb::itest {
namespace {

using nlohmann::json;

// The webhook's script, keyed by the signalingKey: "deny" is refused with a reason, "broken" answers 500;
// anything else is allowed with authzMetadata.
HookResponse ayame_script(const HookRequest& r) {
  const json body = json::parse(r.body, nullptr, false);
  const std::string key = body.is_object() ? body.value("signalingKey", "") : "";
  if (key == "deny") return {200, R"({"allowed":false,"reason":"InvalidSignalingKey"})"};
  if (key == "broken") return {500, "oops"};
  return {200, R"({"allowed":true,"authzMetadata":{"role":"host"}})"};
}

class AyameWebhook : public SignalingTest {
 protected:
  void start(const std::string& hook_url) {
    start_server({"--ayame-path", "/signaling", "--auth-webhook", hook_url, "--auth-webhook-timeout", "2",
                  "--auth-max-failures-per-ip", "1000"});
  }
  std::unique_ptr<WsClient> ayame() {
    WsOptions o;
    o.target = "/signaling";
    return connect(o);
  }
  // Sends a register and returns the server's first answer to it.
  json registered(WsClient& c, const std::string& key) {
    json reg = {{"type", "register"},
                {"roomId", "room-1"},
                {"clientId", "client-1"},
                {"signalingKey", key},
                {"authnMetadata", {{"user", "u1"}}},
                {"ayameClient", "itest"}};
    EXPECT_TRUE(c.send_json(reg));
    for (;;) {
      auto m = c.receive_json(kWait);
      if (!m) return nullptr;
      if (str_field(*m, "type") != "ping") return *m;
    }
  }
  HookServer hook_{ayame_script};
};

TEST_F(AyameWebhook, AnAllowedRegisterIsAcceptedWithTheWebhooksAuthzMetadata) {
  start(hook_.url("/authn"));
  auto c = ayame();
  const auto accept = registered(*c, "good");
  EXPECT_EQ(str_field(accept, "type"), "accept") << accept.dump();
  EXPECT_EQ(accept["authzMetadata"], (json{{"role", "host"}}));
  EXPECT_EQ(accept["isExistClient"], false);
  ASSERT_EQ(hook_.requests().size(), 1u);
  const auto req = hook_.requests()[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/authn");
  const json body = json::parse(req.body);
  EXPECT_EQ(body["roomId"], "room-1");
  EXPECT_EQ(body["clientId"], "client-1");
  EXPECT_EQ(body["connectionId"], accept["connectionId"]);
  EXPECT_EQ(body["signalingKey"], "good");
  EXPECT_EQ(body["authnMetadata"], (json{{"user", "u1"}}));
  EXPECT_EQ(body["ayameClient"], "itest");
  EXPECT_FALSE(body.contains("room")) << "Ayame's field names, not protocol v1's";
  // The second member is asked about too, and accepted into the same room.
  auto d = ayame();
  const auto second = registered(*d, "good");
  EXPECT_EQ(second["isExistClient"], true) << second.dump();
}

TEST_F(AyameWebhook, ADeniedRegisterIsRejectedWithTheWebhooksReason) {
  start(hook_.url("/authn"));
  auto c = ayame();
  const auto reject = registered(*c, "deny");
  EXPECT_EQ(reject, (json{{"type", "reject"}, {"reason", "InvalidSignalingKey"}}));
  ASSERT_TRUE(c->wait_closed(kWait));
  auto e = ayame();
  EXPECT_EQ(registered(*e, "broken"), (json{{"type", "reject"}, {"reason", "InternalServerError"}}));
  ASSERT_TRUE(e->wait_closed(kWait));
}

TEST_F(AyameWebhook, AWebhookThatIsDownRejectsWithInternalServerError) {
  std::string url;
  {
    HookServer gone{ayame_script};
    url = gone.url("/authn");
  }  // stopped: its port refuses connections now
  start(url);
  auto c = ayame();
  EXPECT_EQ(registered(*c, "good"), (json{{"type", "reject"}, {"reason", "InternalServerError"}}));
  ASSERT_TRUE(c->wait_closed(kWait));
}

}  // namespace
}  // namespace sb::itest
