#include "auth/mint.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "auth/jws.hpp"

namespace sb::auth {

Minted mint_token(const MintRequest& r, std::int64_t unix_now) {
  using nlohmann::json;
  Minted out;
  if (r.kid.empty() || r.secret.empty()) {
    out.error = "no signing key: configure --jwt-secret KID:SECRET";
    return out;
  }
  if (r.identity.empty() || r.room.empty()) {
    out.error = "--identity and --room are required";
    return out;
  }
  json payload = {{"sub", r.identity}, {"room", r.room}, {"iat", unix_now}, {"exp", unix_now + r.ttl_s}};
  if (r.turn) payload["turn"] = true;
  if (!r.name.empty()) payload["name"] = r.name;
  if (r.max_peers != 0) payload["max_peers"] = r.max_peers;
  if (!r.audience.empty()) payload["aud"] = r.audience;
  if (!r.issuer.empty()) payload["iss"] = r.issuer;
  if (!r.meta_json.empty()) {
    json meta = json::parse(r.meta_json, nullptr, false);
    if (meta.is_discarded()) {
      out.error = "--meta must be JSON, e.g. '{\"role\":\"host\"}'";
      return out;
    }
    payload["meta"] = std::move(meta);
  }
  const json header = {{"alg", "HS256"}, {"typ", "JWT"}, {"kid", r.kid}};
  out.token = sign_hs256(header.dump(), payload.dump(), r.secret);
  return out;
}

std::optional<std::int64_t> parse_duration(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end == text.data()) return std::nullopt;
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  std::int64_t scale = 0;
  if (unit.empty() || unit == "s") scale = 1;
  else if (unit == "m") scale = 60;
  else if (unit == "h") scale = 3600;
  else if (unit == "d") scale = 86400;
  else return std::nullopt;
  constexpr std::int64_t kTenYears = 10LL * 366 * 86400;
  if (value <= 0 || value > kTenYears / scale) return std::nullopt;
  return value * scale;
}

}  // namespace sb::auth
