// Message integrity and fingerprint (RFC 8489 §14.5, §14.6, §14.7, §9.2), and the credential attributes
// that go with them: USERHASH (§14.4), PASSWORD-ALGORITHM (§14.12), PASSWORD-ALGORITHMS (§14.11).
// Message::add_message_integrity / add_message_integrity_sha256 / add_fingerprint are implemented in
// integrity.cpp. HMAC, MD5 and SHA-256 use OpenSSL 3's EVP APIs.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "stun/attributes.hpp"
#include "stun/message.hpp"

namespace sb::stun {

inline constexpr std::uint32_t kFingerprintXor = 0x5354554E;  // RFC 8489 §14.7
inline constexpr std::size_t kMessageIntegritySize = 20;     // HMAC-SHA1
inline constexpr std::size_t kMessageIntegritySha256Size = 32;

// CRC-32 (ISO HDLC / IEEE 802.3, as in zlib) of `data`.
std::uint32_t crc32(std::span<const std::uint8_t> data);

// Long-term credential key (RFC 8489 §9.2.2): MD5(username ":" realm ":" password). The RFC asks for
// OpaqueString (RFC 8265) on realm and password; ASCII credentials are unchanged by it, and that is what
// is supported here.
std::array<std::uint8_t, 16> long_term_key_md5(std::string_view username, std::string_view realm,
                                               std::string_view password);
// PASSWORD-ALGORITHM SHA-256 variant of the long-term key (RFC 8489 §9.2.2, §18.5.1.2).
std::array<std::uint8_t, 32> long_term_key_sha256(std::string_view username, std::string_view realm,
                                                  std::string_view password);
// Short-term credential key (RFC 8489 §9.1.1) is the password bytes themselves: pass them directly.

// Verification (RFC 8489 §14.5, §14.6): recomputes the HMAC over the message up to the attribute, with
// the header length set to end at the attribute, and compares in constant time. False when the
// attribute is missing. MESSAGE-INTEGRITY-SHA256 may be truncated to 16..32 bytes (multiple of 4).
bool verify_message_integrity(const MessageView& m, std::span<const std::uint8_t> key);
bool verify_message_integrity_sha256(const MessageView& m, std::span<const std::uint8_t> key);
// FINGERPRINT (RFC 8489 §14.7): CRC-32 of the message up to the attribute, XOR 0x5354554E. False when
// missing.
bool verify_fingerprint(const MessageView& m);

// USERHASH (RFC 8489 §14.4): SHA-256(username ":" realm), 32 bytes.
struct Userhash {
  static constexpr std::uint16_t kType = attr::kUserhash;
  std::array<std::uint8_t, 32> hash{};

  static Userhash compute(std::string_view username, std::string_view realm);
  void encode(Message& m) const { m.add_raw(kType, hash); }
  static Result<Userhash> decode(const MessageView& m, AttributeView a);
};

// Password algorithm numbers (RFC 8489 §18.5).
enum class PasswordAlgorithmId : std::uint16_t { kMd5 = 0x0001, kSha256 = 0x0002 };

// PASSWORD-ALGORITHM (RFC 8489 §14.12): one algorithm with its (empty for both known ones) parameters.
struct PasswordAlgorithm {
  static constexpr std::uint16_t kType = attr::kPasswordAlgorithm;
  PasswordAlgorithmId algorithm = PasswordAlgorithmId::kMd5;

  void encode(Message& m) const;
  static Result<PasswordAlgorithm> decode(const MessageView& m, AttributeView a);
};

// PASSWORD-ALGORITHMS (RFC 8489 §14.11): the list a server offers. Entries with parameters are skipped on
// decode; at most kMax are kept.
struct PasswordAlgorithms {
  static constexpr std::uint16_t kType = attr::kPasswordAlgorithms;
  static constexpr std::size_t kMax = 8;
  std::array<PasswordAlgorithmId, kMax> algorithms{};
  std::size_t count = 0;

  void encode(Message& m) const;
  static Result<PasswordAlgorithms> decode(const MessageView& m, AttributeView a);
};

}  // namespace sb::stun
