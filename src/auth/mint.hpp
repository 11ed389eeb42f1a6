// Minting join tokens with an HS256 secret: what `signalbox token` prints (docs/auth.md). The same claims
// any other issuer (PyJWT, jose in Node) would write.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sb::auth {

struct MintRequest {
  std::string kid;
  std::string secret;
  std::string identity;   // sub
  std::string room;       // an exact name, "prefix*" or "*"
  std::int64_t ttl_s = 3600;
  bool turn = false;
  std::string name = {};       // "" = no name claim
  std::string meta_json = {};  // "" = no meta claim; else a JSON value
  std::uint32_t max_peers = 0;  // 0 = no claim
  std::string audience = {};   // "" = no aud claim
  std::string issuer = {};     // "" = no iss claim
};

struct Minted {
  std::string token;  // empty when `error` is set
  std::string error;
};

// Signs the claims at `unix_now` (iat) with exp = iat + ttl.
Minted mint_token(const MintRequest& request, std::int64_t unix_now);

// "90", "90s", "15m", "2h", "7d" → seconds; nullopt for anything else, zero or more than ten years.
std::optional<std::int64_t> parse_duration(std::string_view text);

}  // namespace sb::auth
