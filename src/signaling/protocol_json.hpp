// Internal helpers shared by the two halves of the codec (protocol.cpp, protocol_server.cpp).
// Not part of the public API: nlohmann::json stays out of protocol.hpp.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "signaling/protocol.hpp"

// Field<T> → T, or return its error from the enclosing function (which returns Parsed<...> or Field<...>).
#define SB_TRY_FIELD(var, expr)                                         \
  auto var##_field = (expr);                                            \
  if (auto* e = std::get_if<ProtocolError>(&var##_field)) return *e;    \
  auto var = std::move(std::get<0>(var##_field))

namespace sb::signaling::detail {

using nlohmann::json;

// A field that was read, or why not.
template <class T>
using Field = std::variant<T, ProtocolError>;

ProtocolError make_error(ErrorCode code, std::string field, std::string message);

// Required string member, at most `max_bytes` long (0 = no limit besides the frame size).
Field<std::string> required_string(const json& obj, const char* name, std::size_t max_bytes);
// Optional string member: absent or null → nullopt.
Field<std::optional<std::string>> optional_string(const json& obj, const char* name, std::size_t max_bytes);
// Required peer id (32 lowercase hex).
Field<std::string> required_peer_id(const json& obj, const char* name);
// Required 128-bit hex value (32 lowercase hex): a resume session id or secret.
Field<std::string> required_hex128(const json& obj, const char* name);
// Required integer 0..2^53 (a sequence number or a count; exact in every JSON implementation).
Field<std::uint64_t> required_count(const json& obj, const char* name);
// `candidate` member: an RTCIceCandidateInit object or null.
Field<std::optional<IceCandidate>> candidate_field(const json& obj, const Limits& limits);

json candidate_to_json(const std::optional<IceCandidate>& c);
// Compact UTF-8 output; invalid UTF-8 cannot come from parsed input but is replaced rather than thrown.
std::string dump(const json& j);

// Parses `frame` into a JSON object or returns invalid-json; reads `type` into `type_out`.
Field<json> parse_object(std::string_view frame, std::string* type_out);

}  // namespace sb::signaling::detail
