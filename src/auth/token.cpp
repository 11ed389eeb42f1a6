#include "auth/token.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "auth/base64url.hpp"

namespace sb::auth {
namespace {

using nlohmann::json;
using signaling::ErrorCode;

constexpr double kMaxNumericDate = 1e11;  // year 5138: anything later is not a date but garbage

// Reads claims from a JSON object; the first problem found is kept, and later reads are then no-ops.
class ClaimReader {
 public:
  explicit ClaimReader(const json& obj) : obj_(obj) {}

  std::optional<Refusal> error;

  const json* find(const char* name) const {
    if (error) return nullptr;
    auto it = obj_.find(name);
    return it == obj_.end() ? nullptr : &*it;
  }
  void fail(std::string message) {
    if (!error) error = Refusal{ErrorCode::token_malformed, std::move(message)};
  }
  // A NumericDate (RFC 7519 §2): a JSON number of seconds, possibly with a fraction.
  std::optional<double> date(const char* name, bool required) {
    const json* v = find(name);
    if (v == nullptr) {
      if (required) fail(std::string("the token has no `") + name + "` claim");
      return std::nullopt;
    }
    if (!v->is_number() || !std::isfinite(v->get<double>()) || v->get<double>() < 0 ||
        v->get<double>() > kMaxNumericDate) {
      fail(std::string("the token's `") + name + "` claim is not a date (seconds since 1970)");
      return std::nullopt;
    }
    return v->get<double>();
  }
  std::optional<std::string> string(const char* name, bool required, std::size_t max_bytes) {
    const json* v = find(name);
    if (v == nullptr) {
      if (required) fail(std::string("the token has no `") + name + "` claim");
      return std::nullopt;
    }
    if (!v->is_string() || v->get_ref<const std::string&>().size() > max_bytes) {
      fail(std::string("the token's `") + name + "` claim must be a string of at most " +
           std::to_string(max_bytes) + " bytes");
      return std::nullopt;
    }
    return v->get<std::string>();
  }

 private:
  const json& obj_;
};

bool printable(std::string_view s) {
  for (const unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

std::optional<json> parse_object(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

// The key named by the header's `kid`, if the header's `alg` is that key's algorithm.
std::variant<const Key*, Refusal> pick_key(const json& header, const KeySet& keys) {
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) return Refusal{ErrorCode::token_malformed, "the token header has no alg"};
  const auto& alg_name = alg->get_ref<const std::string&>();
  if (alg_name.size() == 4 && (alg_name[0] | 0x20) == 'n' && (alg_name[1] | 0x20) == 'o' &&
      (alg_name[2] | 0x20) == 'n' && (alg_name[3] | 0x20) == 'e') {
    return Refusal{ErrorCode::token_bad_algorithm, "unsigned tokens (alg none) are not accepted"};
  }
  // RFC 7515 §4.1.11: extensions we do not understand must not be ignored; we understand none.
  if (header.contains("crit")) return Refusal{ErrorCode::token_malformed, "the token has critical header extensions"};
  auto kid = header.find("kid");
  if (kid == header.end() || !kid->is_string()) {
    return Refusal{ErrorCode::token_unknown_kid, "the token names no key (kid header)"};
  }
  const Key* key = keys.find(kid->get_ref<const std::string&>());
  if (key == nullptr) return Refusal{ErrorCode::token_unknown_kid, "the token's key id is not configured"};
  if (alg_name != to_string(key->algorithm())) {
    return Refusal{ErrorCode::token_bad_algorithm, "key '" + key->kid() + "' is pinned to " +
                                                       std::string(to_string(key->algorithm())) + ", the token says " +
                                                       (alg_name.size() <= 16 ? alg_name : "something else")};
  }
  return key;
}

bool valid_room_pattern(std::string_view room, std::size_t max_room_bytes, bool* prefix) {
  *prefix = !room.empty() && room.back() == '*';
  if (*prefix) {
    room.remove_suffix(1);
    return room.empty() || signaling::is_valid_room_name(room, max_room_bytes);
  }
  return signaling::is_valid_room_name(room, max_room_bytes);
}

// sub, room, max_peers, turn, name, meta: their presence and types.
void read_grants(ClaimReader& r, const TokenPolicy& policy, Claims& c) {
  if (auto sub = r.string("sub", true, policy.max_identity_bytes)) {
    if (sub->empty() || !printable(*sub)) r.fail("the token's `sub` must be a non-empty printable string");
    c.identity = std::move(*sub);
  }
  if (auto room = r.string("room", true, policy.max_room_bytes + 1)) {
    if (!valid_room_pattern(*room, policy.max_room_bytes, &c.room_prefix)) {
      r.fail("the token's `room` must be a room name, a prefix ending in *, or *");
    }
    c.room = room->substr(0, room->size() - (c.room_prefix ? 1 : 0));
  }
  if (const json* v = r.find("max_peers")) {
    if (!v->is_number_integer() || v->get<std::int64_t>() < 1 || v->get<std::int64_t>() > 1'000'000) {
      r.fail("the token's `max_peers` must be an integer from 1 to 1000000");
    } else {
      c.max_peers = static_cast<std::uint32_t>(v->get<std::int64_t>());
    }
  }
  if (const json* v = r.find("turn")) {
    if (!v->is_boolean()) r.fail("the token's `turn` must be true or false");
    else c.turn = v->get<bool>();
  }
  c.name = r.string("name", false, policy.max_name_bytes);
  if (const json* v = r.find("meta"); v != nullptr && !v->is_null()) {
    c.meta = v->dump(-1, ' ', false, json::error_handler_t::replace);
    if (c.meta.size() > policy.max_meta_bytes) {
      r.fail("the token's `meta` exceeds " + std::to_string(policy.max_meta_bytes) + " bytes");
    }
  }
}

// exp, nbf, iat against `now` with the policy's leeway (RFC 7519 §4.1.4-4.1.6).
std::optional<Refusal> check_times(ClaimReader& r, const TokenPolicy& policy, std::int64_t now, Claims& c) {
  const auto exp = r.date("exp", true);
  const auto nbf = r.date("nbf", false);
  const auto iat = r.date("iat", false);
  if (r.error) return r.error;
  const double t = static_cast<double>(now);
  const double leeway = static_cast<double>(policy.leeway_s);
  c.expires = static_cast<std::int64_t>(std::floor(*exp));
  if (t >= *exp + leeway) return Refusal{ErrorCode::token_expired, "the token has expired"};
  if (nbf && *nbf > t + leeway) return Refusal{ErrorCode::token_not_yet_valid, "the token is not valid yet (nbf)"};
  if (iat && *iat > t + leeway) {
    return Refusal{ErrorCode::token_not_yet_valid, "the token was issued in the future (iat); check the clocks"};
  }
  return std::nullopt;
}

bool names_audience(const json& aud, const std::string& audience) {
  if (aud.is_string()) return aud.get_ref<const std::string&>() == audience;
  if (!aud.is_array()) return false;
  for (const auto& a : aud) {
    if (a.is_string() && a.get_ref<const std::string&>() == audience) return true;
  }
  return false;
}

std::optional<Refusal> check_issuer_audience(const json& payload, const TokenPolicy& policy) {
  if (!policy.issuer.empty()) {
    auto iss = payload.find("iss");
    if (iss == payload.end() || !iss->is_string() || iss->get_ref<const std::string&>() != policy.issuer) {
      return Refusal{ErrorCode::token_wrong_issuer, "the token is not from the expected issuer"};
    }
  }
  auto aud = payload.find("aud");
  if (policy.audience.empty()) {
    if (aud != payload.end()) {
      return Refusal{ErrorCode::token_wrong_audience, "the token is meant for an audience this server is not"};
    }
  } else if (aud == payload.end() || !names_audience(*aud, policy.audience)) {
    return Refusal{ErrorCode::token_wrong_audience, "the token is not meant for this server's audience"};
  }
  return std::nullopt;
}

}  // namespace

std::string kid_for_log(std::string_view token) {
  const auto dot = token.find('.');
  auto header = base64url_decode(token.substr(0, dot == std::string_view::npos ? 0 : dot));
  if (!header) return "?";
  auto h = parse_object(*header);
  if (!h) return "?";
  auto kid = h->find("kid");
  if (kid == h->end() || !kid->is_string()) return "?";
  const auto& k = kid->get_ref<const std::string&>();
  const bool plain = !k.empty() && k.size() <= 64 && k.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == std::string::npos;
  return plain ? k : "?";
}

bool Claims::allows_room(std::string_view room_name) const {
  return room_prefix ? room_name.starts_with(room) : room_name == room;
}

std::optional<Refusal> check_room(const Claims& claims, std::string_view room) {
  if (claims.allows_room(room)) return std::nullopt;
  return Refusal{ErrorCode::token_wrong_room, "the token does not allow room " + std::string(room)};
}

TokenResult verify_token(std::string_view token, const KeySet& keys, const TokenPolicy& policy,
                         std::int64_t unix_now) {
  if (token.size() > policy.max_token_bytes) {
    return Refusal{ErrorCode::token_malformed, "the token exceeds " + std::to_string(policy.max_token_bytes) + " bytes"};
  }
  auto jws = split_compact(token);
  if (!jws) return Refusal{ErrorCode::token_malformed, "the token is not a JWT (three base64url parts)"};
  auto header = parse_object(jws->header);
  if (!header) return Refusal{ErrorCode::token_malformed, "the token header is not a JSON object"};
  auto picked = pick_key(*header, keys);
  if (auto* refusal = std::get_if<Refusal>(&picked)) return std::move(*refusal);
  const Key& key = *std::get<const Key*>(picked);
  if (!key.verify(jws->signing_input, jws->signature)) {
    return Refusal{ErrorCode::token_bad_signature, "the token's signature does not verify with key '" + key.kid() + "'"};
  }
  // Only a payload that carries a valid signature is parsed.
  auto payload = parse_object(jws->payload);
  if (!payload) return Refusal{ErrorCode::token_malformed, "the token payload is not a JSON object"};
  Claims c;
  c.kid = key.kid();
  c.payload = std::move(jws->payload);
  ClaimReader reader(*payload);
  read_grants(reader, policy, c);
  if (auto refusal = check_times(reader, policy, unix_now, c)) return std::move(*refusal);
  if (auto refusal = check_issuer_audience(*payload, policy)) return std::move(*refusal);
  return c;
}

}  // namespace sb::auth
