// Long-term credential authentication for TURN (RFC 8489 §9.2, RFC 8656 §5): where keys come from
// (CredentialSource: static users, TURN REST API ephemeral credentials), stateless nonces, and minting
// ephemeral credentials for the signaling server's `joined` message.
//
// Keys are the 16-byte long-term key MD5(username ":" realm ":" password) (RFC 8489 §9.2.2); both
// MESSAGE-INTEGRITY and MESSAGE-INTEGRITY-SHA256 are keyed with it. Every class here is immutable after
// construction and safe to call from several worker threads at once.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "stun/address.hpp"
#include "turn/types.hpp"

namespace sb::turn {

using LongTermKey = std::array<std::uint8_t, 16>;

// What a credential source knows about one username: up to kMaxKeys candidate keys (REST secrets in
// rotation give one each; the request's MESSAGE-INTEGRITY picks which), and the user name that quotas
// count (the REST username without its expiry).
struct KeyLookup {
  static constexpr std::size_t kMaxKeys = 4;
  AuthFailure failure = AuthFailure::kNone;  // kUnknownUser or kExpired when no key
  // A TURN REST username whose expiry has passed: the keys are there (failure is kExpired), for the one use
  // they still have, requests on the allocation they created (the core decides).
  bool expired = false;
  std::array<LongTermKey, kMaxKeys> keys{};
  std::size_t key_count = 0;
  std::string_view quota_user;  // points into the username passed to lookup()
};

class CredentialSource {
 public:
  virtual ~CredentialSource() = default;
  // Keys for `username` in `realm` at wall-clock time `unix_now`. Thread-safe, allocation-free is not
  // required (control path).
  virtual KeyLookup lookup(std::string_view username, std::string_view realm, std::int64_t unix_now) const = 0;
};

// Users from the configuration: user → password, or user → precomputed key (32 hex chars, as coturn's
// `turnadmin -k` prints). The realm is fixed at construction (keys depend on it).
class StaticCredentials final : public CredentialSource {
 public:
  explicit StaticCredentials(std::string realm) : realm_(std::move(realm)) {}
  void add_password(std::string user, std::string_view password);
  // false when `hex_key` is not 32 hex digits.
  bool add_key(std::string user, std::string_view hex_key);
  KeyLookup lookup(std::string_view username, std::string_view realm, std::int64_t unix_now) const override;

 private:
  std::string realm_;
  std::unordered_map<std::string, LongTermKey> keys_;
};

// Ephemeral credentials handed to clients (RTCIceServer username/credential).
struct RestCredential {
  std::string username;
  std::string password;
  std::int64_t expires_unix = 0;
};

// TURN REST API ephemeral credentials: username "<expiry>:<user>" (or just "<expiry>"), password
// base64(HMAC-SHA1(secret, username)). Several secrets are accepted at once so they can rotate.
// An expiry in the past → kExpired (401).
class RestCredentials final : public CredentialSource {
 public:
  RestCredentials(std::vector<std::string> secrets, char separator = ':');
  KeyLookup lookup(std::string_view username, std::string_view realm, std::int64_t unix_now) const override;
  // Fresh credentials signed with the first (current) secret: what `joined` hands to every peer.
  RestCredential mint(std::string_view user, std::int64_t unix_now, std::int64_t ttl_seconds) const;
  bool empty() const { return secrets_.empty(); }

 private:
  std::vector<std::string> secrets_;
  char separator_;
};

// Tries sources in order; the first with keys wins, else the most specific failure.
class ChainedCredentials final : public CredentialSource {
 public:
  void add(std::shared_ptr<const CredentialSource> s) { sources_.push_back(std::move(s)); }
  KeyLookup lookup(std::string_view username, std::string_view realm, std::int64_t unix_now) const override;

 private:
  std::vector<std::shared_ptr<const CredentialSource>> sources_;
};

// username = "<unix_now + ttl_seconds><sep><user>", password = base64(HMAC-SHA1(secret, username)).
RestCredential mint_rest_credential(std::string_view secret, std::string_view user, std::int64_t unix_now,
                                    std::int64_t ttl_seconds, char separator = ':');

// Standard base64 (RFC 4648 §4) with padding.
std::string base64_encode(std::span<const std::uint8_t> bytes);

// Stateless nonces (RFC 8489 §9.2.4 leaves the format to the server): 16 hex digits of the mint time
// (unix seconds) followed by 32 hex digits of HMAC-SHA256(secret, time || client IP || client port).
// Nothing is stored per client; a nonce is valid for `lifetime` seconds for the client it was issued to.
class NonceCodec {
 public:
  static constexpr std::size_t kNonceSize = 48;
  // `secret` empty → a random 32-byte secret from the CSPRNG.
  NonceCodec(std::vector<std::uint8_t> secret, std::int64_t lifetime_seconds);

  // Writes the nonce into `out` (exactly kNonceSize characters).
  void mint(const TransportAddress& client, std::int64_t unix_now, std::span<char, kNonceSize> out) const;
  std::string mint(const TransportAddress& client, std::int64_t unix_now) const;

  enum class Check : std::uint8_t { kValid, kStale, kInvalid };
  Check check(std::string_view nonce, const TransportAddress& client, std::int64_t unix_now) const;

 private:
  void mac(const TransportAddress& client, std::uint64_t ts, std::span<char, 32> out_hex) const;
  std::vector<std::uint8_t> secret_;
  std::int64_t lifetime_;
};

}  // namespace sb::turn
