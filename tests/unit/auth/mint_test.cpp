// `signalbox token`'s minting: what it signs verifies, with exactly the claims asked for.
#include "auth/mint.hpp"

#include <gtest/gtest.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <nlohmann/json.hpp>

#include "auth/token.hpp"

namespace sb::auth {
namespace {

constexpr std::int64_t kNow = 1'700'000'000;
const std::string kSecret = "mint-test-secret-0123456789abcdef";

TEST(Mint, MintedTokensVerifyWithTheirClaims) {
  MintRequest r;
  r.kid = "k1";
  r.secret = kSecret;
  r.identity = "alice@example.org";
  r.room = "team-*";
  r.ttl_s = 900;
  r.turn = true;
  r.name = "Alice";
  r.meta_json = R"({"role":"host"})";
  r.max_peers = 3;
  const Minted m = mint_token(r, kNow);
  ASSERT_EQ(m.error, "");
  KeySet keys;
  ASSERT_EQ(keys.add_secret("k1", kSecret), "");
  const auto result = verify_token(m.token, keys, TokenPolicy{}, kNow);
  ASSERT_TRUE(std::holds_alternative<Claims>(result)) << std::get<Refusal>(result).message;
  const Claims& c = std::get<Claims>(result);
  EXPECT_EQ(c.identity, "alice@example.org");
  EXPECT_EQ(c.room, "team-");
  EXPECT_TRUE(c.room_prefix);
  EXPECT_EQ(c.expires, kNow + 900);
  EXPECT_TRUE(c.turn);
  EXPECT_EQ(c.name, "Alice");
  EXPECT_EQ(nlohmann::json::parse(c.meta), nlohmann::json::parse(r.meta_json));
  EXPECT_EQ(c.max_peers, 3u);
  EXPECT_FALSE(check_room(c, "team-7").has_value());
  // Expired after its TTL plus the leeway.
  const auto later = verify_token(m.token, keys, TokenPolicy{}, kNow + 900 + TokenPolicy{}.leeway_s);
  ASSERT_TRUE(std::holds_alternative<Refusal>(later));
  EXPECT_EQ(std::get<Refusal>(later).code, signaling::ErrorCode::token_expired);
}

TEST(Mint, AudienceAndIssuerAreWrittenWhenGiven) {
  MintRequest r{"k1", kSecret, "bob", "demo"};
  r.audience = "signalbox.example";
  r.issuer = "ops";
  KeySet keys;
  ASSERT_EQ(keys.add_secret("k1", kSecret), "");
  TokenPolicy p;
  p.audience = "signalbox.example";
  p.issuer = "ops";
  EXPECT_TRUE(std::holds_alternative<Claims>(verify_token(mint_token(r, kNow).token, keys, p, kNow)));
}

TEST(Mint, RefusesWhatItCannotSign) {
  EXPECT_NE(mint_token(MintRequest{}, kNow).error, "");
  MintRequest r{"k1", kSecret, "bob", "demo"};
  r.meta_json = "{not json";
  EXPECT_NE(mint_token(r, kNow).error, "");
  r.meta_json.clear();
  r.identity.clear();
  EXPECT_NE(mint_token(r, kNow).error, "");
}

// The issuer's side of RS256 and ES256 (for tools, benchmarks and the fuzz target): what it signs verifies,
// and an ES256 signature is JWS's 64-byte R||S, not DER.
TEST(Mint, AsymmetricTokensVerify) {
  const std::string claims = R"({"sub":"a","room":"r","exp":1700003600})";
  for (auto alg : {Algorithm::rs256, Algorithm::es256}) {
    EVP_PKEY* key = alg == Algorithm::rs256 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
    ASSERT_NE(key, nullptr);
    KeySet keys;
    ASSERT_EQ(keys.add_public_key_pem("k", public_key_pem(key)), "");
    const std::string token = sign_asymmetric(key, alg, "k", claims);
    EVP_PKEY_free(key);
    const auto jws = split_compact(token);
    ASSERT_TRUE(jws.has_value()) << token;
    if (alg == Algorithm::es256) {
      EXPECT_EQ(jws->signature.size(), 64u);
    }
    EXPECT_TRUE(std::holds_alternative<Claims>(verify_token(token, keys, TokenPolicy{}, kNow))) << to_string(alg);
  }
}

TEST(Mint, ParsesDurations) {
  EXPECT_EQ(parse_duration("90"), 90);
  EXPECT_EQ(parse_duration("90s"), 90);
  EXPECT_EQ(parse_duration("15m"), 900);
  EXPECT_EQ(parse_duration("1h"), 3600);
  EXPECT_EQ(parse_duration("7d"), 7 * 86400);
  for (const char* bad : {"", "h", "0", "-5m", "1.5h", "10y", "1hh", "99999999999d"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace sb::auth
