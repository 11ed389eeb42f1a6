#include "stun/attr_error.hpp"

#include <cstring>

namespace sb::stun {

std::string_view default_reason(std::uint16_t c) {
  switch (c) {
    case code::kTryAlternate: return "Try Alternate";
    case code::kBadRequest: return "Bad Request";
    case code::kUnauthorized: return "Unauthorized";
    case code::kForbidden: return "Forbidden";
    case code::kMobilityForbidden: return "Mobility Forbidden";
    case code::kUnknownAttribute: return "Unknown Attribute";
    case code::kAllocationMismatch: return "Allocation Mismatch";
    case code::kStaleNonce: return "Stale Nonce";
    case code::kAddressFamilyNotSupported: return "Address Family not Supported";
    case code::kWrongCredentials: return "Wrong Credentials";
    case code::kUnsupportedTransportProtocol: return "Unsupported Transport Protocol";
    case code::kPeerAddressFamilyMismatch: return "Peer Address Family Mismatch";
    case code::kConnectionAlreadyExists: return "Connection Already Exists";
    case code::kConnectionTimeoutOrFailure: return "Connection Timeout or Failure";
    case code::kAllocationQuotaReached: return "Allocation Quota Reached";
    case code::kRoleConflict: return "Role Conflict";
    case code::kServerError: return "Server Error";
    case code::kInsufficientCapacity: return "Insufficient Capacity";
    default: return "Error";
  }
}

namespace {
constexpr std::size_t kMaxReason = 762;  // RFC 8489 §14.8: < 128 characters, < 763 bytes
}

// RFC 8489 §14.8: 21 zero bits, 3-bit class (hundreds), 8-bit number (0..99), reason phrase.
void ErrorCode::encode(Message& m) const {
  std::string_view r = reason.empty() ? default_reason(code) : reason;
  if (r.size() > kMaxReason) r = r.substr(0, kMaxReason);
  auto out = m.append_attribute(kType, 4 + r.size());
  if (out.empty()) return;
  out[2] = static_cast<std::uint8_t>(code / 100);
  out[3] = static_cast<std::uint8_t>(code % 100);
  if (!r.empty()) std::memcpy(out.data() + 4, r.data(), r.size());
}

Result<ErrorCode> ErrorCode::decode(const MessageView&, AttributeView a) {
  if (a.value.size() < 4 || a.value.size() > 4 + kMaxReason) return Error::kBadAttributeValue;
  const unsigned cls = a.value[2] & 0x07;
  const unsigned number = a.value[3];
  if (cls < 3 || cls > 6 || number > 99) return Error::kBadAttributeValue;
  ErrorCode e;
  e.code = static_cast<std::uint16_t>(cls * 100 + number);
  e.reason = std::string_view(reinterpret_cast<const char*>(a.value.data() + 4), a.value.size() - 4);
  return e;
}

bool UnknownAttributes::push(std::uint16_t type) {
  if (count >= kMaxTypes) return false;
  types[count++] = type;
  return true;
}

void UnknownAttributes::encode(Message& m) const {
  auto out = m.append_attribute(kType, 2 * count);
  if (out.size() != 2 * count) return;
  for (std::size_t i = 0; i < count; ++i) store_u16(out.data() + 2 * i, types[i]);
}

Result<UnknownAttributes> UnknownAttributes::decode(const MessageView&, AttributeView a) {
  if (a.value.size() % 2 != 0) return Error::kBadAttributeValue;
  UnknownAttributes u;
  for (std::size_t i = 0; i + 1 < a.value.size() && u.push(load_u16(a.value.data() + i)); i += 2) {
  }
  return u;
}

std::size_t find_unknown_comprehension_required(const MessageView& request, UnknownAttributes& out,
                                                KnownPredicate known) {
  std::size_t found = 0;
  for (std::size_t i = 0; i < request.attribute_count(); ++i) {
    const std::uint16_t type = request.attribute(i).type;
    if (attr::is_comprehension_required(type) && !known(type)) {
      ++found;
      out.push(type);
    }
  }
  return found;
}

Message& start_success_response(Message& out, const MessageView& request) {
  return out.reset(MessageType{request.method(), Class::kSuccess}, request.transaction_id());
}

Message& start_error_response(Message& out, const MessageView& request, std::uint16_t code,
                              std::string_view reason) {
  out.reset(MessageType{request.method(), Class::kError}, request.transaction_id());
  return out.add(ErrorCode{code, reason});
}

}  // namespace sb::stun
