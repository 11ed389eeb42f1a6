// Tokens minted by PyJWT at build time (make_tokens.py) through signalbox's verifier: every refusal of
// docs/auth.md with its own code, rotation across two kids, the leeway edges, RS256 and ES256.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "auth/token.hpp"

namespace sb::auth {
namespace {

using nlohmann::json;

const json& vectors() {
  static const json v = [] {
    std::ifstream in(SB_TOKEN_VECTORS);
    return json::parse(in);
  }();
  return v;
}

KeySet keyset(const std::string& name) {
  KeySet keys;
  const auto& wanted = vectors()["keysets"][name];
  for (const auto& k : vectors()["keys"]) {
    const std::string kid = k["kid"];
    if (std::find(wanted.begin(), wanted.end(), kid) == wanted.end()) continue;
    const std::string err = k.contains("secret") ? keys.add_secret(kid, k["secret"])
                                                 : keys.add_public_key_pem(kid, k["pem"].get<std::string>());
    EXPECT_EQ(err, "") << kid;
  }
  return keys;
}

TokenPolicy policy(const std::string& name) {
  const auto& p = vectors()["policies"][name];
  TokenPolicy out;
  out.leeway_s = p["leeway"];
  out.audience = p.value("audience", "");
  out.issuer = p.value("issuer", "");
  return out;
}

// The outcome of one case: "ok" or an error code; the room is checked when the case names one.
std::string outcome(const json& c, Claims* claims, std::string* message) {
  const auto result = verify_token(c["token"].get<std::string>(), keyset(c["keyset"]), policy(c["policy"]),
                                   vectors()["now"]);
  if (const auto* r = std::get_if<Refusal>(&result)) {
    *message = r->message;
    return std::string(signaling::to_string(r->code));
  }
  *claims = std::get<Claims>(result);
  if (c["room"].is_string()) {
    if (auto r = check_room(*claims, c["room"].get<std::string>())) {
      *message = r->message;
      return std::string(signaling::to_string(r->code));
    }
  }
  return "ok";
}

void expect_claims(const json& want, const Claims& got) {
  if (want.contains("identity")) {
    EXPECT_EQ(got.identity, want["identity"]);
  }
  if (want.contains("kid")) {
    EXPECT_EQ(got.kid, want["kid"]);
  }
  if (want.contains("room")) {
    EXPECT_EQ(got.room, want["room"]);
  }
  if (want.contains("prefix")) {
    EXPECT_EQ(got.room_prefix, want["prefix"]);
  }
  if (want.contains("turn")) {
    EXPECT_EQ(got.turn, want["turn"]);
  }
  if (want.contains("max_peers")) {
    EXPECT_EQ(got.max_peers, want["max_peers"]);
  }
  if (want.contains("expires")) {
    EXPECT_EQ(got.expires, want["expires"]);
  }
  if (want.contains("name")) {
    if (want["name"].is_null()) {
      EXPECT_FALSE(got.name.has_value());
    } else {
      EXPECT_EQ(got.name, want["name"].get<std::string>());
    }
  }
  if (want.contains("meta")) {
    if (want["meta"].is_null()) {
      EXPECT_EQ(got.meta, "");
    } else {
      EXPECT_EQ(json::parse(got.meta), want["meta"]);
    }
  }
}

TEST(TokenVectors, MadeByAnIndependentImplementation) {
  EXPECT_EQ(vectors()["generator"].get<std::string>().rfind("PyJWT ", 0), 0u);
  EXPECT_GE(vectors()["cases"].size(), 60u);
}

TEST(TokenVectors, EveryCaseHasItsExpectedOutcome) {
  for (const auto& c : vectors()["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    Claims claims;
    std::string message;
    EXPECT_EQ(outcome(c, &claims, &message), c["expect"].get<std::string>()) << message;
    if (c["expect"] == "ok" && c["claims"].is_object()) expect_claims(c["claims"], claims);
  }
}

TEST(TokenVectors, EveryTokenRefusalIsCovered) {
  std::set<std::string> seen;
  for (const auto& c : vectors()["cases"]) seen.insert(c["expect"].get<std::string>());
  for (const char* code : {"token-malformed", "token-bad-signature", "token-bad-algorithm", "token-unknown-kid",
                           "token-expired", "token-not-yet-valid", "token-wrong-room", "token-wrong-audience",
                           "token-wrong-issuer"}) {
    EXPECT_TRUE(seen.count(code)) << code;
  }
}

TEST(TokenVectors, RefusalMessagesNeverQuoteTheToken) {
  for (const auto& c : vectors()["cases"]) {
    Claims claims;
    std::string message;
    const std::string token = c["token"];
    if (outcome(c, &claims, &message) == "ok" || token.size() < 16) continue;
    for (const auto& part : {token.substr(0, token.find('.')), token.substr(token.rfind('.') + 1)}) {
      if (part.size() >= 8) {
        EXPECT_EQ(message.find(part), std::string::npos) << c["name"];
      }
    }
  }
}

TEST(TokenKeys, RefusesKeysItCannotPin) {
  for (const auto& k : vectors()["bad_keys"]) {
    KeySet keys;
    EXPECT_NE(keys.add_public_key_pem("k", k["pem"].get<std::string>()), "") << k["why"];
    EXPECT_TRUE(keys.empty());
  }
  KeySet keys;
  EXPECT_NE(keys.add_public_key_pem("k", "not a pem"), "");
  EXPECT_NE(keys.add_secret("short", "0123456789abcdef0123456789abcde"), "");  // 31 bytes
  EXPECT_EQ(keys.add_secret("ok", "0123456789abcdef0123456789abcdef"), "");
  EXPECT_NE(keys.add_secret("ok", "another-secret-0123456789abcdef-xyz"), "") << "duplicate kid";
  EXPECT_NE(keys.add_secret("", "another-secret-0123456789abcdef-xyz"), "") << "empty kid";
  EXPECT_EQ(keys.size(), 1u);
}

TEST(TokenKeys, PinsTheAlgorithmOfEachKey) {
  const KeySet keys = keyset("all");
  EXPECT_EQ(keys.find("hs-a")->algorithm(), Algorithm::hs256);
  EXPECT_EQ(keys.find("rsa")->algorithm(), Algorithm::rs256);
  EXPECT_EQ(keys.find("ec")->algorithm(), Algorithm::es256);
  EXPECT_EQ(keys.find("none"), nullptr);
}

}  // namespace
}  // namespace sb::auth
