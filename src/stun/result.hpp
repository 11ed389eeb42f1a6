// Error codes and a small result type for the STUN codec. Decoding never throws: bad input from the
// network is an ordinary outcome, reported as an Error the caller counts or answers with 400.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>

namespace sb::stun {

enum class Error : std::uint8_t {
  kOk = 0,
  kTooShort,                  // fewer than 20 bytes, or a value shorter than its attribute needs
  kNotStun,                   // first two bits not zero (RFC 8489 §5)
  kBadMagicCookie,            // bytes 4..7 are not 0x2112A442 (RFC 8489 §5)
  kBadLength,                 // header length not a multiple of 4 or not matching the datagram
  kTooLarge,                  // exceeds ParseLimits::max_message_size
  kTruncatedAttribute,        // an attribute runs past the end of the message
  kTooManyAttributes,         // more than ParseLimits::max_attributes
  kAttributeAfterFingerprint, // FINGERPRINT must be last (RFC 8489 §14.7)
  kBadAttributeValue,         // value has the wrong size or an invalid field
  kMissingAttribute,          // get<A>() on a message without A
  kBufferFull,                // building would exceed 65535 bytes of attributes
};

std::string_view to_string(Error e);

// Either a value or an Error. T must be default-constructible (all attribute types are).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : error_(error) {}          // NOLINT(google-explicit-constructor)

  bool ok() const { return error_ == Error::kOk; }
  explicit operator bool() const { return ok(); }
  Error error() const { return error_; }
  const T& value() const { return value_; }
  T& value() { return value_; }
  const T& operator*() const { return value_; }
  const T* operator->() const { return &value_; }

 private:
  T value_{};
  Error error_ = Error::kOk;
};

}  // namespace sb::stun
