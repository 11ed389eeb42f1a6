// Credential sources, REST minting, base64 and stateless nonces.
#include <gtest/gtest.h>

#include "stun/integrity.hpp"
#include "turn/auth.hpp"

namespace sb::turn {
namespace {

TEST(Base64, Rfc4648Vectors) {
  auto enc = [](std::string_view s) {
    return base64_encode(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
  };
  EXPECT_EQ(enc(""), "");
  EXPECT_EQ(enc("f"), "Zg==");
  EXPECT_EQ(enc("fo"), "Zm8=");
  EXPECT_EQ(enc("foo"), "Zm9v");
  EXPECT_EQ(enc("foobar"), "Zm9vYmFy");
}

TEST(RestCredentials, MintMatchesTheTurnRestFormula) {
  // base64(HMAC-SHA1("secret", "1700003600:alice")), computed independently with
  // `printf %s 1700003600:alice | openssl dgst -sha1 -hmac secret -binary | base64`.
  const auto c = mint_rest_credential("secret", "alice", 1'700'000'000, 3600);
  EXPECT_EQ(c.username, "1700003600:alice");
  EXPECT_EQ(c.expires_unix, 1'700'003'600);
  EXPECT_EQ(c.password, "LLPLO4qjdVL2qZhwr3eImhn7J20=");
  EXPECT_EQ(mint_rest_credential("secret", "", 1'700'000'000, 3600).username, "1700003600");
}

TEST(RestCredentials, LookupChecksExpiryAndGivesOneKeyPerSecret) {
  RestCredentials rest({"a", "b"});
  const auto c = mint_rest_credential("b", "bob", 1000, 100);
  auto k = rest.lookup(c.username, "realm", 1050);
  ASSERT_EQ(k.key_count, 2u);
  EXPECT_EQ(k.quota_user, "bob");
  EXPECT_EQ(k.keys[1], stun::long_term_key_md5(c.username, "realm", c.password));
  EXPECT_NE(k.keys[0], k.keys[1]);
  EXPECT_EQ(rest.lookup(c.username, "realm", 1101).failure, AuthFailure::kExpired);
  EXPECT_TRUE(rest.lookup(c.username, "realm", 1101).expired);  // keys still given: the core decides
  EXPECT_FALSE(rest.lookup(c.username, "realm", 1050).expired);
  EXPECT_EQ(rest.lookup("bob", "realm", 0).failure, AuthFailure::kUnknownUser);
  EXPECT_EQ(rest.lookup("12x:bob", "realm", 0).failure, AuthFailure::kUnknownUser);
  // mint() signs with the first secret, and lookup accepts it.
  const auto fresh = rest.mint("eve", 5000, 60);
  EXPECT_EQ(fresh.password, mint_rest_credential("a", "eve", 5000, 60).password);
  auto k2 = rest.lookup(fresh.username, "realm", 5000);
  ASSERT_EQ(k2.key_count, 2u);
  EXPECT_EQ(k2.keys[0], stun::long_term_key_md5(fresh.username, "realm", fresh.password));
}

TEST(StaticCredentials, PasswordsAndHexKeys) {
  StaticCredentials s("example.org");
  s.add_password("u1", "pw");
  EXPECT_TRUE(s.add_key("u2", "0123456789abcdef0123456789ABCDEF"));
  EXPECT_FALSE(s.add_key("u3", "xyz"));
  auto k1 = s.lookup("u1", "example.org", 0);
  ASSERT_EQ(k1.key_count, 1u);
  EXPECT_EQ(k1.keys[0], stun::long_term_key_md5("u1", "example.org", "pw"));
  auto k2 = s.lookup("u2", "example.org", 0);
  ASSERT_EQ(k2.key_count, 1u);
  EXPECT_EQ(k2.keys[0][0], 0x01);
  EXPECT_EQ(k2.keys[0][15], 0xEF);
  EXPECT_EQ(s.lookup("u1", "other", 0).key_count, 0u);
  EXPECT_EQ(s.lookup("nobody", "example.org", 0).failure, AuthFailure::kUnknownUser);
}

TEST(ChainedCredentials, FirstSourceWithKeysWinsAndExpiredIsReported) {
  auto st = std::make_shared<StaticCredentials>("r");
  st->add_password("alice", "pw");
  ChainedCredentials chain;
  chain.add(st);
  chain.add(std::make_shared<RestCredentials>(std::vector<std::string>{"s"}));
  EXPECT_EQ(chain.lookup("alice", "r", 0).key_count, 1u);
  const auto c = mint_rest_credential("s", "x", 100, 10);
  EXPECT_EQ(chain.lookup(c.username, "r", 105).key_count, 1u);
  EXPECT_EQ(chain.lookup(c.username, "r", 200).failure, AuthFailure::kExpired);
  EXPECT_EQ(chain.lookup("nobody", "r", 0).failure, AuthFailure::kUnknownUser);
}

TEST(NonceCodec, ValidStaleForeignAndForged) {
  const NonceCodec codec({1, 2, 3}, 600);
  const auto client = stun::TransportAddress::v4({192, 0, 2, 1}, 4000);
  const auto n = codec.mint(client, 10'000);
  EXPECT_EQ(n.size(), NonceCodec::kNonceSize);
  EXPECT_EQ(codec.check(n, client, 10'000), NonceCodec::Check::kValid);
  EXPECT_EQ(codec.check(n, client, 10'599), NonceCodec::Check::kValid);
  EXPECT_EQ(codec.check(n, client, 10'600), NonceCodec::Check::kStale);
  EXPECT_EQ(codec.check(n, stun::TransportAddress::v4({192, 0, 2, 1}, 4001), 10'000), NonceCodec::Check::kInvalid);
  std::string forged = n;
  forged[20] = forged[20] == 'a' ? 'b' : 'a';
  EXPECT_EQ(codec.check(forged, client, 10'000), NonceCodec::Check::kInvalid);
  EXPECT_EQ(codec.check("short", client, 10'000), NonceCodec::Check::kInvalid);
  // Another server secret does not accept it.
  const NonceCodec other({9, 9, 9}, 600);
  EXPECT_EQ(other.check(n, client, 10'000), NonceCodec::Check::kInvalid);
  // A nonce whose timestamp claims the future is not ours.
  EXPECT_EQ(codec.check(codec.mint(client, 20'000), client, 10'000), NonceCodec::Check::kInvalid);
}

}  // namespace
}  // namespace sb::turn
