// JSON Web Signature, compact serialization (RFC 7515 §7.1), for the algorithms signalbox accepts (RFC 7518
// §3.2-3.4): HS256, RS256 and ES256.
//
// Each key is pinned to one algorithm when it is configured: an HMAC secret is HS256, an RSA public key
// RS256, a P-256 public key ES256. A token's `alg` header must name its key's algorithm and never chooses
// how the signature is checked, so neither `alg: none` nor an HS256 token "signed" with an RSA public key
// can pass. HMAC tags are compared in constant time (CRYPTO_memcmp).
#pragma once

#include <openssl/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sb::auth {

enum class Algorithm : std::uint8_t { hs256, rs256, es256 };
std::string_view to_string(Algorithm a);

// One verification key. Immutable once built; verify() is safe from several threads at once.
class Key {
 public:
  static Key secret(std::string kid, std::string secret);
  static Key public_key(std::string kid, Algorithm alg, std::shared_ptr<EVP_PKEY> pkey);

  const std::string& kid() const { return kid_; }
  Algorithm algorithm() const { return alg_; }
  // True when `signature` (raw bytes: the HMAC tag, the RSA signature, or ES256's 64-byte r||s) is valid for
  // `signing_input` under this key with its pinned algorithm.
  bool verify(std::string_view signing_input, std::string_view signature) const;

 private:
  Key(std::string kid, Algorithm alg) : kid_(std::move(kid)), alg_(alg) {}
  std::string kid_;
  Algorithm alg_;
  std::string secret_;              // hs256
  std::shared_ptr<EVP_PKEY> pkey_;  // rs256, es256
};

// The configured keys, found by `kid`. Several at once make rotation possible: a new key is added, tokens
// signed with the old one stay valid until they expire, then the old key is removed.
class KeySet {
 public:
  // Each returns "" on success, else a readable reason (for start-up errors). Kids are unique.
  // An HMAC secret must have at least 32 bytes (RFC 7518 §3.2: a key as large as the hash output).
  std::string add_secret(std::string kid, std::string secret);
  // A PEM "PUBLIC KEY" (SubjectPublicKeyInfo): RSA of at least 2048 bits (RS256) or EC P-256 (ES256).
  std::string add_public_key_pem(std::string kid, std::string_view pem);

  const Key* find(std::string_view kid) const;
  bool empty() const { return keys_.empty(); }
  std::size_t size() const { return keys_.size(); }

 private:
  std::string add(Key key);
  std::vector<Key> keys_;  // few; a linear search beats a map
};

// A compact JWS split into its parts and decoded. nullopt when it does not have exactly three
// base64url parts.
struct CompactJws {
  std::string header;              // JSON text
  std::string payload;             // JSON text (for a JWT)
  std::string signature;           // raw bytes
  std::string_view signing_input;  // "<header>.<payload>" exactly as sent: what the signature covers
};
std::optional<CompactJws> split_compact(std::string_view token);

// "<b64url(header)>.<b64url(payload)>.<b64url(HMAC-SHA256(secret, ...))>".
std::string sign_hs256(std::string_view header_json, std::string_view payload_json, std::string_view secret);

// The issuer's side of RS256 and ES256, for tools and tests (signalbox only verifies these): `claims` signed
// with `private_key` under header {"alg":..,"kid":..}; ES256's DER signature is turned into R||S. "" when
// OpenSSL refuses.
std::string sign_asymmetric(EVP_PKEY* private_key, Algorithm alg, std::string_view kid, std::string_view claims);
// The SubjectPublicKeyInfo PEM of a key ("-----BEGIN PUBLIC KEY-----"), as --jwt-public-key reads it.
std::string public_key_pem(EVP_PKEY* key);

}  // namespace sb::auth
