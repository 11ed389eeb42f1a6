// Error responses: ERROR-CODE (RFC 8489 §14.8), UNKNOWN-ATTRIBUTES (RFC 8489 §14.13), the error codes of
// RFC 8489 §14.8 and RFC 8656 §19, and helpers that start a response to a request.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "stun/attributes.hpp"
#include "stun/message.hpp"

namespace sb::stun {

namespace code {
inline constexpr std::uint16_t kTryAlternate = 300;
inline constexpr std::uint16_t kBadRequest = 400;
inline constexpr std::uint16_t kUnauthorized = 401;
inline constexpr std::uint16_t kForbidden = 403;
inline constexpr std::uint16_t kMobilityForbidden = 405;
inline constexpr std::uint16_t kUnknownAttribute = 420;
inline constexpr std::uint16_t kAllocationMismatch = 437;
inline constexpr std::uint16_t kStaleNonce = 438;
inline constexpr std::uint16_t kAddressFamilyNotSupported = 440;
inline constexpr std::uint16_t kWrongCredentials = 441;
inline constexpr std::uint16_t kUnsupportedTransportProtocol = 442;
inline constexpr std::uint16_t kPeerAddressFamilyMismatch = 443;
inline constexpr std::uint16_t kConnectionAlreadyExists = 446;  // RFC 6062
inline constexpr std::uint16_t kConnectionTimeoutOrFailure = 447;  // RFC 6062
inline constexpr std::uint16_t kAllocationQuotaReached = 486;
inline constexpr std::uint16_t kRoleConflict = 487;  // RFC 8445
inline constexpr std::uint16_t kServerError = 500;
inline constexpr std::uint16_t kInsufficientCapacity = 508;
}  // namespace code

// The RFCs' reason phrase for `code`, or "Error".
std::string_view default_reason(std::uint16_t code);

// ERROR-CODE (RFC 8489 §14.8): class*100 + number, 300..699, and a UTF-8 reason (< 763 bytes).
struct ErrorCode {
  static constexpr std::uint16_t kType = attr::kErrorCode;
  std::uint16_t code = 0;
  std::string_view reason;  // empty → default_reason(code) on encode

  void encode(Message& m) const;
  static Result<ErrorCode> decode(const MessageView& m, AttributeView a);
};

// UNKNOWN-ATTRIBUTES (RFC 8489 §14.13): the comprehension-required types a request carried that the
// server does not understand. At most kMaxTypes are kept (a longer list is truncated, which is allowed:
// the client only needs to learn at least one).
struct UnknownAttributes {
  static constexpr std::uint16_t kType = attr::kUnknownAttributes;
  static constexpr std::size_t kMaxTypes = 16;
  std::array<std::uint16_t, kMaxTypes> types{};
  std::size_t count = 0;

  bool push(std::uint16_t type);  // false when full
  void encode(Message& m) const;
  static Result<UnknownAttributes> decode(const MessageView& m, AttributeView a);
};

// Collects the comprehension-required attributes of `request` for which `known(type)` is false
// (RFC 8489 §6.3.1: a request with any → 420 listing them). Returns the number found.
using KnownPredicate = bool (*)(std::uint16_t type);
std::size_t find_unknown_comprehension_required(const MessageView& request, UnknownAttributes& out,
                                                KnownPredicate known = &attr::is_known);

// Starts `out` as the success response to `request` (same method, same transaction id).
Message& start_success_response(Message& out, const MessageView& request);
// Starts `out` as an error response to `request` carrying ERROR-CODE `code` (default reason when empty).
Message& start_error_response(Message& out, const MessageView& request, std::uint16_t code,
                              std::string_view reason = {});

}  // namespace sb::stun
