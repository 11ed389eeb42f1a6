#include "turn/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <stdexcept>

#include "stun/integrity.hpp"
#include "util/random.hpp"

namespace sb::turn {
namespace {

constexpr char kHex[] = "0123456789abcdef";

std::array<std::uint8_t, 20> hmac_sha1(std::string_view key, std::string_view data) {
  std::array<std::uint8_t, 20> out{};
  unsigned len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out.data(), &len);
  return out;
}

std::optional<LongTermKey> parse_hex_key(std::string_view hex) {
  if (hex.size() != 32) return std::nullopt;
  LongTermKey k{};
  for (std::size_t i = 0; i < 16; ++i) {
    unsigned v = 0;
    const auto [p, ec] = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, v, 16);
    if (ec != std::errc{} || p != hex.data() + 2 * i + 2) return std::nullopt;
    k[i] = static_cast<std::uint8_t>(v);
  }
  return k;
}

// The expiry of a REST username "<expiry><sep><user>" or "<expiry>"; nullopt when not of that form.
std::optional<std::int64_t> rest_expiry(std::string_view username, char sep, std::string_view& user) {
  const auto pos = username.find(sep);
  const std::string_view digits = pos == std::string_view::npos ? username : username.substr(0, pos);
  user = pos == std::string_view::npos ? username : username.substr(pos + 1);
  std::int64_t expiry = 0;
  const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), expiry);
  if (digits.empty() || ec != std::errc{} || p != digits.data() + digits.size()) return std::nullopt;
  return expiry;
}

}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

void StaticCredentials::add_password(std::string user, std::string_view password) {
  const auto key = stun::long_term_key_md5(user, realm_, password);
  keys_[std::move(user)] = key;
}

bool StaticCredentials::add_key(std::string user, std::string_view hex_key) {
  const auto key = parse_hex_key(hex_key);
  if (!key) return false;
  keys_[std::move(user)] = *key;
  return true;
}

KeyLookup StaticCredentials::lookup(std::string_view username, std::string_view realm, std::int64_t) const {
  KeyLookup r;
  const auto it = keys_.find(std::string(username));
  if (realm != realm_ || it == keys_.end()) {
    r.failure = AuthFailure::kUnknownUser;
    return r;
  }
  r.keys[0] = it->second;
  r.key_count = 1;
  r.quota_user = username;
  return r;
}

RestCredentials::RestCredentials(std::vector<std::string> secrets, char separator)
    : secrets_(std::move(secrets)), separator_(separator) {
  if (secrets_.size() > KeyLookup::kMaxKeys) throw std::invalid_argument("too many TURN REST secrets (max 4)");
}

KeyLookup RestCredentials::lookup(std::string_view username, std::string_view realm, std::int64_t unix_now) const {
  KeyLookup r;
  std::string_view user;
  const auto expiry = rest_expiry(username, separator_, user);
  if (!expiry || secrets_.empty()) {
    r.failure = AuthFailure::kUnknownUser;
    return r;
  }
  if (*expiry < unix_now) {
    r.failure = AuthFailure::kExpired;
    r.expired = true;
  }
  for (const auto& secret : secrets_) {
    const std::string password = base64_encode(hmac_sha1(secret, username));
    r.keys[r.key_count++] = stun::long_term_key_md5(username, realm, password);
  }
  r.quota_user = user;
  return r;
}

KeyLookup ChainedCredentials::lookup(std::string_view username, std::string_view realm,
                                     std::int64_t unix_now) const {
  KeyLookup best;
  best.failure = AuthFailure::kUnknownUser;
  for (const auto& s : sources_) {
    KeyLookup r = s->lookup(username, realm, unix_now);
    if (r.key_count > 0) return r;
    if (r.failure == AuthFailure::kExpired) best = r;
  }
  return best;
}

RestCredential mint_rest_credential(std::string_view secret, std::string_view user, std::int64_t unix_now,
                                    std::int64_t ttl_seconds, char separator) {
  RestCredential c;
  c.expires_unix = unix_now + ttl_seconds;
  c.username = std::to_string(c.expires_unix);
  if (!user.empty()) {
    c.username += separator;
    c.username += user;
  }
  c.password = base64_encode(hmac_sha1(secret, c.username));
  return c;
}

RestCredential RestCredentials::mint(std::string_view user, std::int64_t unix_now, std::int64_t ttl_seconds) const {
  if (secrets_.empty()) throw std::logic_error("RestCredentials::mint needs a secret");
  return mint_rest_credential(secrets_.front(), user, unix_now, ttl_seconds, separator_);
}

NonceCodec::NonceCodec(std::vector<std::uint8_t> secret, std::int64_t lifetime_seconds)
    : secret_(std::move(secret)), lifetime_(lifetime_seconds) {
  if (secret_.empty()) {
    secret_.resize(32);
    util::random_bytes(secret_);
  }
}

void NonceCodec::mac(const TransportAddress& client, std::uint64_t ts, std::span<char, 32> out_hex) const {
  std::array<std::uint8_t, 8 + 1 + 16 + 2> msg{};
  for (int i = 0; i < 8; ++i) msg[i] = static_cast<std::uint8_t>(ts >> (56 - 8 * i));
  msg[8] = static_cast<std::uint8_t>(client.family());
  const auto ip = client.ip_bytes();
  std::copy(ip.begin(), ip.end(), msg.begin() + 9);
  msg[25] = static_cast<std::uint8_t>(client.port >> 8);
  msg[26] = static_cast<std::uint8_t>(client.port);
  std::array<std::uint8_t, 32> digest{};
  unsigned len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()), msg.data(), msg.size(), digest.data(), &len);
  for (std::size_t i = 0; i < 16; ++i) {
    out_hex[2 * i] = kHex[digest[i] >> 4];
    out_hex[2 * i + 1] = kHex[digest[i] & 0xF];
  }
}

void NonceCodec::mint(const TransportAddress& client, std::int64_t unix_now, std::span<char, kNonceSize> out) const {
  const auto ts = static_cast<std::uint64_t>(unix_now);
  for (int i = 0; i < 16; ++i) out[i] = kHex[(ts >> (60 - 4 * i)) & 0xF];
  mac(client, ts, out.subspan<16, 32>());
}

std::string NonceCodec::mint(const TransportAddress& client, std::int64_t unix_now) const {
  std::string s(kNonceSize, '\0');
  mint(client, unix_now, std::span<char, kNonceSize>(s.data(), kNonceSize));
  return s;
}

NonceCodec::Check NonceCodec::check(std::string_view nonce, const TransportAddress& client,
                                    std::int64_t unix_now) const {
  if (nonce.size() != kNonceSize) return Check::kInvalid;
  std::uint64_t ts = 0;
  const auto [p, ec] = std::from_chars(nonce.data(), nonce.data() + 16, ts, 16);
  if (ec != std::errc{} || p != nonce.data() + 16) return Check::kInvalid;
  std::array<char, 32> expected{};
  mac(client, ts, expected);
  if (CRYPTO_memcmp(expected.data(), nonce.data() + 16, 32) != 0) return Check::kInvalid;
  const auto t = static_cast<std::int64_t>(ts);
  if (t > unix_now + 5) return Check::kInvalid;  // minted in the future: not ours
  if (unix_now - t >= lifetime_) return Check::kStale;
  return Check::kValid;
}

}  // namespace sb::turn
