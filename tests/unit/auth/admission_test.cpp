// The decision for one join in each --auth mode.
#include "auth/admission.hpp"

#include <gtest/gtest.h>

#include "auth/mint.hpp"

namespace sb::auth {
namespace {

using signaling::ErrorCode;

constexpr std::int64_t kNow = 1'700'000'000;
const std::string kSecret = "admission-test-secret-0123456789ab";

AuthSettings settings(Mode mode) {
  AuthSettings s;
  s.mode = mode;
  EXPECT_EQ(s.keys.add_secret("k", kSecret), "");
  return s;
}

std::string token(std::string room, bool turn = false, std::uint32_t max_peers = 0) {
  MintRequest r{"k", kSecret, "alice", std::move(room)};
  r.turn = turn;
  r.max_peers = max_peers;
  r.name = "Alice (token)";
  r.meta_json = R"({"from":"token"})";
  return mint_token(r, kNow).token;
}

Grant granted(const Decision& d) {
  if (auto* r = std::get_if<Refusal>(&d)) {
    ADD_FAILURE() << r->message;
  }
  return std::holds_alternative<Grant>(d) ? std::get<Grant>(d) : Grant{};
}

ErrorCode refused(const Decision& d) {
  EXPECT_TRUE(std::holds_alternative<Refusal>(d));
  return std::holds_alternative<Refusal>(d) ? std::get<Refusal>(d).code : ErrorCode::invalid_json;
}

TEST(AuthMode, ParsesTheFourModes) {
  for (auto m : {Mode::none, Mode::jwt, Mode::webhook, Mode::jwt_webhook}) EXPECT_EQ(parse_mode(to_string(m)), m);
  EXPECT_FALSE(parse_mode("JWT").has_value());
  EXPECT_FALSE(parse_mode("").has_value());
}

TEST(Admission, NoneAdmitsEveryoneWithTurn) {
  const Grant g = granted(check_join(settings(Mode::none), "demo", "bob", "", kNow));
  EXPECT_EQ(g.name, "bob");
  EXPECT_EQ(g.identity, "");
  EXPECT_TRUE(g.turn);
  EXPECT_EQ(g.token_expires, 0);
}

TEST(Admission, JwtNeedsAValidTokenForTheRoom) {
  const auto s = settings(Mode::jwt);
  EXPECT_EQ(refused(check_join(s, "demo", "bob", "", kNow)), ErrorCode::token_required);
  EXPECT_EQ(refused(check_join(s, "other", "bob", token("demo"), kNow)), ErrorCode::token_wrong_room);
  EXPECT_EQ(refused(check_join(s, "demo", "bob", "x.y.z", kNow)), ErrorCode::token_malformed);
  const Grant g = granted(check_join(s, "demo", "bob", token("demo", true, 3), kNow));
  EXPECT_EQ(g.identity, "alice");
  EXPECT_EQ(g.name, "Alice (token)");  // the token's name wins over the join's
  EXPECT_EQ(g.meta, R"({"from":"token"})");
  EXPECT_EQ(g.max_peers, 3u);
  EXPECT_TRUE(g.turn);
  EXPECT_EQ(g.token_room, "demo");
  EXPECT_FALSE(g.token_room_prefix);
  EXPECT_EQ(g.token_expires, kNow + 3600);
}

TEST(Admission, TurnOnlyWhenTheTokenAllowsIt) {
  EXPECT_FALSE(granted(check_join(settings(Mode::jwt), "demo", "", token("demo", false), kNow)).turn);
  EXPECT_TRUE(granted(check_join(settings(Mode::jwt), "demo", "", token("demo", true), kNow)).turn);
}

TEST(Admission, WebhookModeNeedsNoToken) {
  const Grant g = granted(check_join(settings(Mode::webhook), "demo", "bob", "", kNow));
  EXPECT_EQ(g.name, "bob");
  EXPECT_TRUE(g.turn);
}

TEST(Admission, WebhookAnswerNarrowsAndReplaces) {
  Grant g = granted(check_join(settings(Mode::jwt_webhook), "demo", "", token("demo", true, 4), kNow));
  WebhookGrant answer;
  answer.max_peers = 2;
  answer.meta = R"({"from":"webhook"})";
  answer.ice_servers = std::vector<signaling::IceServer>{{{"stun:stun.example.org"}, std::nullopt, std::nullopt}};
  const Grant after = granted(apply_webhook(g, answer));
  EXPECT_EQ(after.max_peers, 2u);
  EXPECT_EQ(after.meta, R"({"from":"webhook"})");
  ASSERT_TRUE(after.ice_servers.has_value());
  EXPECT_EQ(after.identity, "alice");
  answer.max_peers = 9;  // a webhook cannot widen what the token allows
  EXPECT_EQ(granted(apply_webhook(g, answer)).max_peers, 4u);
  EXPECT_EQ(refused(apply_webhook(g, Refusal{ErrorCode::auth_webhook_timeout, "slow"})),
            ErrorCode::auth_webhook_timeout);
}

}  // namespace
}  // namespace sb::auth
