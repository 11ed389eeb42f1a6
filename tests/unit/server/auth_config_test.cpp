// The access-control options: modes, the refusal to run open on a public address, key formats, and
// `signalbox token`.
#include <gtest/gtest.h>

#include <sstream>

#include "auth/token.hpp"
#include "server/config.hpp"
#include "server/token_command.hpp"

using namespace sb::server;

namespace {

const std::string kSecret = "k1:0123456789abcdef0123456789abcdef";

std::string validate_with(const std::string& listen, AuthConfig a) {
  Config cfg;
  cfg.http.listen = listen;
  cfg.auth = std::move(a);
  return cfg.validate();
}

int mint(std::vector<std::string> args, std::string* out, std::string* err) {
  args.insert(args.begin(), "token");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  std::ostringstream o, e;
  const int rc = run_token_command(static_cast<int>(argv.size()), argv.data(), o, e);
  *out = o.str();
  *err = e.str();
  return rc;
}

}  // namespace

TEST(AuthConfig, OpenOnLoopbackByDefault) {
  EXPECT_EQ(validate_with("127.0.0.1:8080", {}), "");
  EXPECT_EQ(validate_with("[::1]:8080", {}), "");
  EXPECT_EQ(validate_with("localhost:8080", {}), "");
  EXPECT_EQ(effective_auth_mode(AuthConfig{}), sb::auth::Mode::none);
}

TEST(AuthConfig, RefusesToRunOpenOnAPublicAddress) {
  for (const char* listen : {"0.0.0.0:8443", "[::]:8443", "192.0.2.2:8080", "example.org:80"}) {
    const std::string e = validate_with(listen, {});
    EXPECT_NE(e.find("refusing to run open"), std::string::npos) << listen << ": " << e;
    EXPECT_NE(e.find("--jwt-secret"), std::string::npos) << e;
    EXPECT_NE(e.find("--auth none"), std::string::npos) << e;
  }
  AuthConfig on_purpose;
  on_purpose.mode = "none";
  EXPECT_EQ(validate_with("0.0.0.0:8443", on_purpose), "");
  AuthConfig keyed;
  keyed.jwt_secrets = {kSecret};
  EXPECT_EQ(validate_with("0.0.0.0:8443", keyed), "");
  EXPECT_EQ(effective_auth_mode(keyed), sb::auth::Mode::jwt);
  AuthConfig hooked;
  hooked.webhook_url = "https://auth.example.org/join";
  EXPECT_EQ(validate_with("0.0.0.0:8443", hooked), "");
  EXPECT_EQ(effective_auth_mode(hooked), sb::auth::Mode::webhook);
  hooked.jwt_secrets = {kSecret};
  EXPECT_EQ(effective_auth_mode(hooked), sb::auth::Mode::jwt_webhook);
}

TEST(AuthConfig, ModesMustMatchWhatIsConfigured) {
  AuthConfig a;
  a.mode = "jwt";
  EXPECT_NE(validate_with("127.0.0.1:1", a).find("needs --jwt-secret"), std::string::npos);
  a.mode = "webhook";
  EXPECT_NE(validate_with("127.0.0.1:1", a).find("needs --auth-webhook"), std::string::npos);
  a.mode = "none";
  a.jwt_secrets = {kSecret};
  EXPECT_NE(validate_with("127.0.0.1:1", a).find("does not use the configured JWT keys"), std::string::npos);
  a.mode = "jwt";
  a.webhook_url = "http://127.0.0.1:9/hook";
  EXPECT_NE(validate_with("127.0.0.1:1", a).find("does not call"), std::string::npos);
  a.mode = "jwt+webhook";
  EXPECT_EQ(validate_with("127.0.0.1:1", a), "");
  a.mode = "sometimes";
  EXPECT_NE(validate_with("127.0.0.1:1", a).find("--auth must be"), std::string::npos);
}

// PeerJS and Ayame clients send no join token: with access control on, their endpoints would bypass it (and
// Ayame's accept would hand out TURN credentials), so the server refuses to start with them.
TEST(AuthConfig, CompatEndpointsAreRefusedWhereAccessControlCannotGateThem) {
  const auto validate_compat = [](AuthConfig a, std::string peerjs, std::string ayame) {
    Config cfg;
    cfg.http.listen = "127.0.0.1:1";
    cfg.auth = std::move(a);
    cfg.compat.peerjs_path = std::move(peerjs);
    cfg.compat.ayame_path = std::move(ayame);
    return cfg.validate();
  };
  AuthConfig open;
  EXPECT_EQ(validate_compat(open, "/myapp", "/signaling"), "") << "no access control: both are served";
  open.mode = "none";
  EXPECT_EQ(validate_compat(open, "/myapp", "/signaling"), "");

  AuthConfig jwt;
  jwt.jwt_secrets = {kSecret};  // --auth auto with a key: jwt
  std::string e = validate_compat(jwt, "/myapp", "");
  EXPECT_NE(e.find("--peerjs-path is not served with access control on (--auth jwt)"), std::string::npos) << e;
  EXPECT_EQ(e.find("--ayame-path"), std::string::npos) << e;
  e = validate_compat(jwt, "", "/signaling");
  EXPECT_NE(e.find("--ayame-path is not served with access control on (--auth jwt)"), std::string::npos) << e;
  EXPECT_EQ(validate_compat(jwt, "", ""), "") << "without the endpoints, access control starts";

  AuthConfig hook;
  hook.webhook_url = "http://127.0.0.1:9/hook";
  e = validate_compat(hook, "/myapp", "/signaling");
  EXPECT_NE(e.find("--peerjs-path is not served with access control on (--auth webhook)"), std::string::npos) << e;
  EXPECT_EQ(e.find("--ayame-path"), std::string::npos) << "Ayame's register goes to the webhook: " << e;
  EXPECT_EQ(validate_compat(hook, "", "/signaling"), "");
  hook.jwt_secrets = {kSecret};
  hook.mode = "jwt+webhook";
  e = validate_compat(hook, "", "/signaling");
  EXPECT_NE(e.find("--ayame-path is not served with access control on (--auth jwt+webhook)"), std::string::npos) << e;
}

TEST(AuthConfig, KeyAndWebhookFormats) {
  AuthConfig a;
  a.jwt_secrets = {"nocolon", "k:short"};
  a.jwt_public_keys = {":file.pem"};
  a.webhook_url = "ftp://x";
  a.webhook_timeout_s = 12;  // not below the deadline
  const std::string e = validate_with("127.0.0.1:1", a);
  EXPECT_NE(e.find("--jwt-secret must be KID:SECRET"), std::string::npos) << e;
  EXPECT_NE(e.find("at least 32 bytes"), std::string::npos) << e;
  EXPECT_NE(e.find("--jwt-public-key must be KID:PEMFILE"), std::string::npos) << e;
  EXPECT_NE(e.find("--auth-webhook must be an http"), std::string::npos) << e;
  EXPECT_NE(e.find("--auth-deadline must be longer"), std::string::npos) << e;
}

TEST(TokenCommand, MintsATokenTheServerAccepts) {
  std::string out, err;
  ASSERT_EQ(mint({"--jwt-secret", kSecret, "--room", "demo", "--identity", "alice", "--ttl", "15m", "--turn",
                  "--name", "Alice", "--max-peers", "3"},
                 &out, &err),
            0)
      << err;
  ASSERT_FALSE(out.empty());
  const std::string token = out.substr(0, out.find('\n'));
  sb::auth::KeySet keys;
  ASSERT_EQ(keys.add_secret("k1", "0123456789abcdef0123456789abcdef"), "");
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  const auto r = sb::auth::verify_token(token, keys, sb::auth::TokenPolicy{}, now);
  ASSERT_TRUE(std::holds_alternative<sb::auth::Claims>(r)) << std::get<sb::auth::Refusal>(r).message;
  const auto& c = std::get<sb::auth::Claims>(r);
  EXPECT_EQ(c.identity, "alice");
  EXPECT_TRUE(c.turn);
  EXPECT_EQ(c.max_peers, 3u);
  EXPECT_NEAR(static_cast<double>(c.expires - now), 900.0, 5.0);
}

TEST(TokenCommand, PrintsALinkAndExplainsMistakes) {
  std::string out, err;
  ASSERT_EQ(mint({"--jwt-secret", kSecret, "--room", "demo", "--identity", "a", "--link", "https://h:8443/"}, &out,
                 &err),
            0)
      << err;
  EXPECT_EQ(out.rfind("https://h:8443/?room=demo&token=", 0), 0u) << out;
  EXPECT_EQ(mint({"--room", "demo", "--identity", "a"}, &out, &err), 2);
  EXPECT_NE(err.find("no --jwt-secret"), std::string::npos) << err;
  EXPECT_EQ(mint({"--jwt-secret", kSecret, "--room", "demo", "--identity", "a", "--ttl", "soon"}, &out, &err), 2);
  EXPECT_NE(err.find("--ttl"), std::string::npos) << err;
  EXPECT_EQ(mint({"--jwt-secret", kSecret, "--room", "demo", "--identity", "a", "--kid", "k9"}, &out, &err), 2);
  EXPECT_EQ(mint({"--jwt-secret", kSecret, "--room", "team-*", "--identity", "a", "--link", "http://h/"}, &out, &err),
            2);
  EXPECT_NE(mint({"--jwt-secret", kSecret, "--identity", "a"}, &out, &err), 0);  // --room is required
}
