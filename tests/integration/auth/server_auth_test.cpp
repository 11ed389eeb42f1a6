// signalbox with JWT access control, end to end: admitted peers see each other's identity, each refusal has
// its code and closes the connection, the token may come in the handshake (and in the query only when
// allowed), the pre-admission limits, the per-IP limits, and the refusal to run open on a public address.
#include <chrono>

#include "auth_harness.hpp"

namespace sb::itest {
namespace {

class AuthServer : public SignalingTest {
 protected:
  void start_jwt(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--jwt-secret", kSecretOption, "--jwt-leeway", "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    start_server(args);
  }
  std::string join_with(WsClient& c, const std::string& room, const std::string& token) {
    EXPECT_TRUE(c.send_json({{"type", "join"}, {"room", room}, {"token", token}}));
    auto m = expect_message(c, "joined");
    return m.is_null() ? "" : str_field(m, "id");
  }
};

TEST_F(AuthServer, AdmittedPeersSeeEachOthersIdentity) {
  start_jwt();
  auto a = connect();
  const std::string a_id = join_with(*a, "demo", token({"alice", "demo", 600, unix_now(), false, "Alice A.",
                                                        R"({"role":"host"})"}));
  ASSERT_FALSE(a_id.empty());
  auto b = connect();
  ASSERT_TRUE(b->send_json({{"type", "join"}, {"room", "demo"}, {"name", "typed"}, {"token", token({"bob"})}}));
  const auto joined = expect_message(*b, "joined");
  ASSERT_EQ(joined["peers"].size(), 1u) << joined.dump();
  EXPECT_EQ(joined["peers"][0]["id"], a_id);
  EXPECT_EQ(joined["peers"][0]["identity"], "alice");
  EXPECT_EQ(joined["peers"][0]["name"], "Alice A.");  // the token's name wins over the join's
  EXPECT_EQ(joined["peers"][0]["meta"]["role"], "host");
  const auto pj = expect_message(*a, "peer-joined");
  EXPECT_EQ(pj["identity"], "bob");
  EXPECT_EQ(pj["name"], "typed");  // no name in bob's token: the join's
  // Admitted, they talk as before.
  ASSERT_TRUE(a->send_json({{"type", "offer"}, {"to", str_field(joined, "id")}, {"sdp", "v=0"}}));
  EXPECT_EQ(str_field(expect_message(*b, "offer"), "from"), a_id);
}

TEST_F(AuthServer, EachRefusalHasItsCodeAndClosesTheConnection) {
  start_jwt({"--auth-max-failures-per-ip", "1000"});
  const std::string good = token();
  // {"alg":"none","kid":"k1"}, the valid token's claims, no signature.
  const std::string claims = good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1);
  const std::string none = "eyJhbGciOiJub25lIiwia2lkIjoiazEifQ." + claims + ".";
  const struct {
    std::string token, room, code;
  } cases[] = {
      {"", "demo", "token-required"},
      {"not-a-jwt", "demo", "token-malformed"},
      {token({"alice", "demo", 600, unix_now(), false, "", "", kKid, "another-secret-0123456789abcdef-0"}), "demo",
       "token-bad-signature"},
      {none, "demo", "token-bad-algorithm"},
      {token({"alice", "demo", 600, unix_now(), false, "", "", "k9"}), "demo", "token-unknown-kid"},
      {token({"alice", "demo", 60, unix_now() - 120}), "demo", "token-expired"},
      {token({"alice", "demo", 600, unix_now() + 300}), "demo", "token-not-yet-valid"},
      {good, "elsewhere", "token-wrong-room"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.code);
    auto client = connect();
    expect_refused(*client, c.room, c.token, c.code);
  }
  const auto m = metrics();
  for (const auto& c : cases) {
    EXPECT_EQ(metric(m, "signalbox_errors_total", {{"code", c.code}}), std::optional<double>(1)) << c.code;
  }
  // Refused peers never reached the room: an admitted one is alone there.
  auto ok = connect();
  ASSERT_FALSE(join_with(*ok, "demo", good).empty());
  expect_silence(*ok);
}

TEST_F(AuthServer, TheTokenMayComeInTheHandshake) {
  start_jwt();
  WsOptions o;
  o.subprotocols = "signalbox, signalbox-token." + token({"carol"});
  auto c = connect(o);
  EXPECT_EQ(c->subprotocol(), "signalbox") << "the answer names the protocol, never the token";
  ASSERT_TRUE(c->send_json({{"type", "join"}, {"room", "demo"}}));
  EXPECT_TRUE(expect_message(*c, "joined").is_object());
  // A bad token there is refused before any WebSocket exists.
  o.subprotocols = "signalbox, signalbox-token." + token({"carol", "demo", 60, unix_now() - 120});
  expect_upgrade_refused([&] { connect(o); }, "HTTP 401 token-expired");
  EXPECT_EQ(metric(metrics(), "signalbox_auth_refused_upgrades_total", {{"reason", "token"}}),
            std::optional<double>(1));
}

TEST_F(AuthServer, TheQueryCarriesATokenOnlyWhenAllowed) {
  start_jwt();
  WsOptions o;
  o.target = "/ws?room=demo&token=" + token();
  auto c = connect(o);
  expect_refused(*c, "demo", "", "token-required");
  server_->stop();
  server_.reset();
  start_jwt({"--token-in-query"});
  auto d = connect(o);
  ASSERT_TRUE(d->send_json({{"type", "join"}, {"room", "demo"}}));
  EXPECT_TRUE(expect_message(*d, "joined").is_object());
}

TEST_F(AuthServer, AConnectionMustBeAdmittedInTime) {
  start_jwt({"--auth-deadline", "1", "--auth-max-message-bytes", "1024"});
  const auto start = std::chrono::steady_clock::now();
  auto idle = connect();
  auto m = idle->receive_json(kWait);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(str_field(*m, "code"), "auth-timeout") << m->dump();
  ASSERT_TRUE(idle->wait_closed(kWait));
  EXPECT_EQ(idle->close_code(), std::optional<std::uint16_t>(4003));
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(1000));
  // Before admission a frame over --auth-max-message-bytes ends the connection (1009)...
  auto big = connect();
  big->send(std::string(1500, ' '));
  ASSERT_TRUE(big->wait_closed(kWait));
  EXPECT_EQ(big->close_code(), std::optional<std::uint16_t>(1009));
  // ...after admission the usual limit applies, and the deadline no longer does.
  auto ok = connect();
  const std::string id = join_with(*ok, "demo", token());
  ASSERT_FALSE(id.empty());
  auto other = connect();
  const std::string other_id = join_with(*other, "demo", token({"bob"}));
  expect_message(*ok, "peer-joined");
  ASSERT_TRUE(ok->send_json({{"type", "offer"}, {"to", other_id}, {"sdp", std::string(1500, 's')}}));
  EXPECT_EQ(str_field(expect_message(*other, "offer"), "sdp").size(), 1500u);
  EXPECT_FALSE(ok->wait_closed(milliseconds(1500))) << "closed after admission: " << ok->last_error();
}

TEST_F(AuthServer, AddressesThatFailRepeatedlyAreRefused) {
  start_jwt({"--auth-max-failures-per-ip", "3", "--auth-failure-window", "60"});
  for (int i = 0; i < 3; ++i) {
    auto c = connect();
    expect_refused(*c, "demo", token({"x", "other"}), "token-wrong-room");
  }
  expect_upgrade_refused([&] { connect(); }, "HTTP 429 auth-blocked");
  EXPECT_EQ(metric(metrics(), "signalbox_auth_refused_upgrades_total", {{"reason", "blocked"}}),
            std::optional<double>(1));
}

TEST_F(AuthServer, ConnectionsWaitingForAdmissionAreLimitedPerAddress) {
  start_jwt({"--auth-max-pending-per-ip", "2"});
  auto a = connect();
  auto b = connect();
  expect_upgrade_refused([&] { connect(); }, "HTTP 429 too-many-pending");
  ASSERT_FALSE(join_with(*a, "demo", token()).empty());  // admitted: it no longer waits
  auto c = connect();
  ASSERT_FALSE(join_with(*c, "demo", token({"bob"})).empty());
}

// A server on an address others can reach must not be open by accident.
TEST(AuthStartup, RefusesToRunOpenOnAPublicAddress) {
  ServerOptions o;
  o.args = {"--listen", "0.0.0.0:0", "--log-level", "warn"};
  o.env = {{"SIGNALBOX_NO_STUN", "true"}, {"SIGNALBOX_NO_TURN", "true"}};
  try {
    ServerProcess open(o);
    ADD_FAILURE() << "signalbox started open on 0.0.0.0";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("refusing to run open on 0.0.0.0:0"), std::string::npos) << what;
    EXPECT_NE(what.find("--jwt-secret"), std::string::npos) << what;
    EXPECT_NE(what.find("--auth none"), std::string::npos) << what;
  }
  o.args.insert(o.args.end(), {"--auth", "none"});
  ServerProcess on_purpose(o);  // asked for: it starts
  WsClient c("127.0.0.1", on_purpose.port());
  EXPECT_TRUE(join(c, "open").size() == 32);
  o.args = {"--listen", "0.0.0.0:0", "--log-level", "warn", "--jwt-secret", kSecretOption};
  ServerProcess keyed(o);  // a key: it starts, and admits only token holders
  WsClient d("127.0.0.1", keyed.port());
  expect_refused(d, "demo", "", "token-required");
}

}  // namespace
}  // namespace sb::itest
