#include "auth/admission.hpp"

#include <algorithm>

namespace sb::auth {
namespace {

std::uint32_t narrower(std::uint32_t a, std::uint32_t b) {
  if (a == 0) return b;
  if (b == 0) return a;
  return std::min(a, b);
}

}  // namespace

std::optional<Mode> parse_mode(std::string_view text) {
  if (text == "none") return Mode::none;
  if (text == "jwt") return Mode::jwt;
  if (text == "webhook") return Mode::webhook;
  if (text == "jwt+webhook") return Mode::jwt_webhook;
  return std::nullopt;
}

std::string_view to_string(Mode mode) {
  switch (mode) {
    case Mode::none: return "none";
    case Mode::jwt: return "jwt";
    case Mode::webhook: return "webhook";
    case Mode::jwt_webhook: return "jwt+webhook";
  }
  return "?";
}

Decision check_join(const AuthSettings& settings, std::string_view room, std::string_view name,
                    std::string_view token, std::int64_t unix_now, std::string* claims_json) {
  Grant g;
  g.name = std::string(name);
  if (!uses_jwt(settings.mode)) return g;
  if (token.empty()) {
    return Refusal{signaling::ErrorCode::token_required, "this server admits only joins with a valid token"};
  }
  auto verified = verify_token(token, settings.keys, settings.token, unix_now);
  if (auto* r = std::get_if<Refusal>(&verified)) return std::move(*r);
  auto& claims = std::get<Claims>(verified);
  if (auto r = check_room(claims, room)) return std::move(*r);
  g.identity = claims.identity;
  if (claims.name) g.name = *claims.name;
  g.meta = claims.meta;
  g.max_peers = claims.max_peers;
  g.turn = claims.turn;
  g.token_room = claims.room;
  g.token_room_prefix = claims.room_prefix;
  g.token_expires = claims.expires;
  if (claims_json != nullptr) *claims_json = std::move(claims.payload);
  return g;
}

Decision apply_webhook(Grant grant, WebhookOutcome outcome) {
  if (auto* r = std::get_if<Refusal>(&outcome)) return std::move(*r);
  auto& answer = std::get<WebhookGrant>(outcome);
  grant.max_peers = narrower(grant.max_peers, answer.max_peers);
  if (answer.meta) grant.meta = std::move(*answer.meta);
  if (answer.ice_servers) grant.ice_servers = std::move(answer.ice_servers);
  return grant;
}

}  // namespace sb::auth
