// base64url without padding (RFC 4648 §5), as JWS compact serialization uses it (RFC 7515 §2).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sb::auth {

std::string base64url_encode(std::span<const std::uint8_t> bytes);
std::string base64url_encode(std::string_view bytes);

// Strict decoding: only [A-Za-z0-9-_], no padding, no whitespace, and the unused low bits of the last
// character must be zero, so every byte string has exactly one accepted encoding. nullopt otherwise.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace sb::auth
