#include "stun/integrity.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

namespace sb::stun {

namespace {

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = make_crc_table();

std::uint32_t crc32_update(std::uint32_t crc, std::span<const std::uint8_t> data) {
  for (const std::uint8_t b : data) crc = kCrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
  return crc;
}

// The HMAC algorithm is fetched once per process: fetching is the slow part of OpenSSL 3's EVP_MAC.
EVP_MAC* hmac_algorithm() {
  static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

// HMAC-<digest> over `header` (the first 20 bytes with the adjusted length) then `body`.
bool hmac(const char* digest, std::span<const std::uint8_t> key, std::span<const std::uint8_t> header,
          std::span<const std::uint8_t> body, std::uint8_t* out, std::size_t out_size) {
  EVP_MAC* mac = hmac_algorithm();
  if (mac == nullptr) return false;
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(mac));
  if (!ctx) return false;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
      OSSL_PARAM_construct_end()};
  static constexpr std::uint8_t kNoKey = 0;  // OpenSSL wants a non-null pointer even for an empty key
  const std::uint8_t* key_ptr = key.empty() ? &kNoKey : key.data();
  std::size_t written = 0;
  return EVP_MAC_init(ctx.get(), key_ptr, key.size(), params) == 1 &&
         EVP_MAC_update(ctx.get(), header.data(), header.size()) == 1 &&
         EVP_MAC_update(ctx.get(), body.data(), body.size()) == 1 &&
         EVP_MAC_final(ctx.get(), out, &written, out_size) == 1 && written == out_size;
}

// The header with its length field pointing at the end of an attribute that starts at `attr_offset` and
// has `attr_length` value bytes (RFC 8489 §14.5-§14.7: the length covers up to and including it).
std::array<std::uint8_t, kHeaderSize> adjusted_header(std::span<const std::uint8_t> msg, std::size_t attr_offset,
                                                      std::size_t attr_length) {
  std::array<std::uint8_t, kHeaderSize> h{};
  std::memcpy(h.data(), msg.data(), kHeaderSize);
  store_u16(h.data() + 2, static_cast<std::uint16_t>(attr_offset + kAttributeHeaderSize + attr_length -
                                                     kHeaderSize));
  return h;
}

bool compute_mac(const char* digest, std::span<const std::uint8_t> msg, std::size_t attr_offset,
                 std::size_t mac_size, std::span<const std::uint8_t> key, std::uint8_t* out) {
  const auto header = adjusted_header(msg, attr_offset, mac_size);
  std::array<std::uint8_t, 32> full{};
  const std::size_t digest_size = std::strcmp(digest, "SHA1") == 0 ? 20 : 32;
  if (!hmac(digest, key, header, msg.subspan(kHeaderSize, attr_offset - kHeaderSize), full.data(),
            digest_size)) {
    return false;
  }
  std::memcpy(out, full.data(), mac_size);
  return true;
}

bool verify_mac(const char* digest, const MessageView& m, std::optional<AttributeView> a,
                std::span<const std::uint8_t> key) {
  if (!a) return false;
  std::array<std::uint8_t, 32> expected{};
  if (!compute_mac(digest, m.bytes(), a->offset, a->value.size(), key, expected.data())) return false;
  return CRYPTO_memcmp(expected.data(), a->value.data(), a->value.size()) == 0;
}

template <std::size_t N>
std::array<std::uint8_t, N> digest_of(const EVP_MD* md, std::string_view text) {
  std::array<std::uint8_t, N> out{};
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), out.data(), &len, md, nullptr) != 1 || len != N) {
    throw std::runtime_error("OpenSSL digest failed");
  }
  return out;
}

std::string credential_string(std::string_view a, std::string_view b, std::string_view c) {
  std::string s;
  s.reserve(a.size() + b.size() + c.size() + 2);
  s.append(a).append(":").append(b).append(":").append(c);
  return s;
}

}  // namespace

std::uint32_t crc32(std::span<const std::uint8_t> data) { return crc32_update(0xFFFFFFFFu, data) ^ 0xFFFFFFFFu; }

std::array<std::uint8_t, 16> long_term_key_md5(std::string_view username, std::string_view realm,
                                               std::string_view password) {
  return digest_of<16>(EVP_md5(), credential_string(username, realm, password));
}

std::array<std::uint8_t, 32> long_term_key_sha256(std::string_view username, std::string_view realm,
                                                  std::string_view password) {
  return digest_of<32>(EVP_sha256(), credential_string(username, realm, password));
}

bool verify_message_integrity(const MessageView& m, std::span<const std::uint8_t> key) {
  const auto a = m.message_integrity();
  if (a && a->value.size() != kMessageIntegritySize) return false;
  return verify_mac("SHA1", m, a, key);
}

// RFC 8489 §14.6: the value may be truncated to 16 bytes or more, in steps of 4.
bool verify_message_integrity_sha256(const MessageView& m, std::span<const std::uint8_t> key) {
  const auto a = m.message_integrity_sha256();
  if (a && (a->value.size() < 16 || a->value.size() > 32 || a->value.size() % 4 != 0)) return false;
  return verify_mac("SHA256", m, a, key);
}

bool verify_fingerprint(const MessageView& m) {
  const auto a = m.fingerprint();
  if (!a || a->value.size() != 4) return false;
  const auto header = adjusted_header(m.bytes(), a->offset, 4);
  std::uint32_t crc = crc32_update(0xFFFFFFFFu, header);
  crc = crc32_update(crc, m.bytes().subspan(kHeaderSize, a->offset - kHeaderSize)) ^ 0xFFFFFFFFu;
  return (crc ^ kFingerprintXor) == load_u32(a->value.data());
}

// The three "add last" operations of Message. Each appends its attribute first, so the header length
// already covers it, then computes over everything before it.
Message& Message::add_message_integrity(std::span<const std::uint8_t> key) {
  const std::size_t offset = size();
  if (append_attribute(attr::kMessageIntegrity, kMessageIntegritySize).empty()) return *this;
  if (!compute_mac("SHA1", buffer_, offset, kMessageIntegritySize, key,
                   buffer_.data() + offset + kAttributeHeaderSize)) {
    fail(Error::kBadAttributeValue);
  }
  return *this;
}

Message& Message::add_message_integrity_sha256(std::span<const std::uint8_t> key) {
  const std::size_t offset = size();
  if (append_attribute(attr::kMessageIntegritySha256, kMessageIntegritySha256Size).empty()) return *this;
  if (!compute_mac("SHA256", buffer_, offset, kMessageIntegritySha256Size, key,
                   buffer_.data() + offset + kAttributeHeaderSize)) {
    fail(Error::kBadAttributeValue);
  }
  return *this;
}

Message& Message::add_fingerprint() {
  const std::size_t offset = size();
  if (append_attribute(attr::kFingerprint, 4).empty()) return *this;
  const std::uint32_t crc = crc32(std::span<const std::uint8_t>(buffer_).first(offset));
  store_u32(buffer_.data() + offset + kAttributeHeaderSize, crc ^ kFingerprintXor);
  return *this;
}

Userhash Userhash::compute(std::string_view username, std::string_view realm) {
  std::string s;
  s.append(username).append(":").append(realm);
  return Userhash{digest_of<32>(EVP_sha256(), s)};
}

Result<Userhash> Userhash::decode(const MessageView&, AttributeView a) {
  if (a.value.size() != 32) return Error::kBadAttributeValue;
  Userhash u;
  std::memcpy(u.hash.data(), a.value.data(), 32);
  return u;
}

// RFC 8489 §14.11, §14.12: algorithm (16 bits), parameters length (16 bits), parameters padded to 4.
void PasswordAlgorithm::encode(Message& m) const {
  auto out = m.append_attribute(kType, 4);
  if (out.size() == 4) store_u16(out.data(), static_cast<std::uint16_t>(algorithm));
}

Result<PasswordAlgorithm> PasswordAlgorithm::decode(const MessageView&, AttributeView a) {
  if (a.value.size() < 4) return Error::kBadAttributeValue;
  return PasswordAlgorithm{static_cast<PasswordAlgorithmId>(load_u16(a.value.data()))};
}

void PasswordAlgorithms::encode(Message& m) const {
  auto out = m.append_attribute(kType, 4 * count);
  if (out.size() != 4 * count) return;
  for (std::size_t i = 0; i < count; ++i) store_u16(out.data() + 4 * i, static_cast<std::uint16_t>(algorithms[i]));
}

Result<PasswordAlgorithms> PasswordAlgorithms::decode(const MessageView&, AttributeView a) {
  PasswordAlgorithms p;
  std::size_t pos = 0;
  while (pos + 4 <= a.value.size()) {
    const std::uint16_t id = load_u16(a.value.data() + pos);
    const std::size_t params = load_u16(a.value.data() + pos + 2);
    pos += 4 + ((params + 3) & ~std::size_t{3});
    if (pos > a.value.size()) return Error::kBadAttributeValue;
    if (params == 0 && p.count < kMax) p.algorithms[p.count++] = static_cast<PasswordAlgorithmId>(id);
  }
  if (pos != a.value.size()) return Error::kBadAttributeValue;
  return p;
}

}  // namespace sb::stun
