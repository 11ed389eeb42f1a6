#include "auth/webhook.hpp"

#include <nlohmann/json.hpp>

namespace sb::auth {
namespace {

using nlohmann::json;
using signaling::ErrorCode;

json json_or_null(const std::string& text) {
  if (text.empty()) return nullptr;
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? json(nullptr) : j;
}

Refusal invalid(std::string why) {
  return Refusal{ErrorCode::auth_webhook_invalid, "the auth webhook's answer is not valid: " + std::move(why)};
}

std::optional<signaling::IceServer> ice_server(const json& j) {
  if (!j.is_object()) return std::nullopt;
  signaling::IceServer s;
  auto urls = j.find("urls");
  if (urls == j.end()) return std::nullopt;
  if (urls->is_string()) {
    s.urls.push_back(urls->get<std::string>());
  } else if (urls->is_array() && !urls->empty()) {
    for (const auto& u : *urls) {
      if (!u.is_string()) return std::nullopt;
      s.urls.push_back(u.get<std::string>());
    }
  } else {
    return std::nullopt;
  }
  for (const char* member : {"username", "credential"}) {
    auto it = j.find(member);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_string()) return std::nullopt;
    (std::string_view(member) == "username" ? s.username : s.credential) = it->get<std::string>();
  }
  return s;
}

std::variant<std::vector<signaling::IceServer>, Refusal> ice_servers(const json& j, const WebhookLimits& limits) {
  if (!j.is_array() || j.size() > limits.max_ice_servers) {
    return invalid("iceServers must be an array of at most " + std::to_string(limits.max_ice_servers) + " servers");
  }
  std::vector<signaling::IceServer> out;
  for (const auto& e : j) {
    auto s = ice_server(e);
    if (!s) return invalid("iceServers[] must be {urls, username?, credential?}");
    out.push_back(std::move(*s));
  }
  return out;
}

// maxPeers, meta and iceServers of an allowing answer.
std::optional<Refusal> read_grant(const json& j, const WebhookLimits& limits, WebhookGrant& g) {
  if (auto it = j.find("maxPeers"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 1 || it->get<std::int64_t>() > 1'000'000) {
      return invalid("maxPeers must be an integer from 1 to 1000000");
    }
    g.max_peers = static_cast<std::uint32_t>(it->get<std::int64_t>());
  }
  if (auto it = j.find("meta"); it != j.end() && !it->is_null()) {
    g.meta = it->dump(-1, ' ', false, json::error_handler_t::replace);
    if (g.meta->size() > limits.max_meta_bytes) {
      return invalid("meta exceeds " + std::to_string(limits.max_meta_bytes) + " bytes");
    }
  }
  if (auto it = j.find("iceServers"); it != j.end() && !it->is_null()) {
    auto servers = ice_servers(*it, limits);
    if (auto* r = std::get_if<Refusal>(&servers)) return std::move(*r);
    g.ice_servers = std::move(std::get<0>(servers));
  }
  return std::nullopt;
}

}  // namespace

std::string webhook_body(const WebhookRequest& r) {
  const json body = {{"room", r.room},         {"identity", r.identity},   {"name", r.name},
                     {"peerId", r.peer_id},    {"ip", r.ip},               {"userAgent", r.user_agent},
                     {"claims", json_or_null(r.claims)}, {"metadata", json_or_null(r.metadata)}};
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

WebhookOutcome read_webhook_answer(unsigned status, std::string_view body, const WebhookLimits& limits) {
  if (status < 200 || status > 299) {
    return Refusal{ErrorCode::auth_webhook_failed, "the auth webhook answered HTTP " + std::to_string(status)};
  }
  if (body.size() > limits.max_body_bytes) return invalid("the body is too large");
  const json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid("the body is not a JSON object");
  auto allowed = j.find("allowed");
  if (allowed == j.end() || !allowed->is_boolean()) return invalid("allowed must be true or false");
  if (!allowed->get<bool>()) {
    std::string reason = "the auth webhook denied the join";
    if (auto it = j.find("reason"); it != j.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
      reason = it->get<std::string>().substr(0, limits.max_reason_bytes);
    }
    return Refusal{ErrorCode::auth_denied, std::move(reason)};
  }
  WebhookGrant g;
  if (auto r = read_grant(j, limits, g)) return std::move(*r);
  return g;
}

WebhookOutcome read_webhook_reply(const WebhookReply& reply, const WebhookLimits& limits) {
  switch (reply.kind) {
    case WebhookReply::Kind::answered:
      return read_webhook_answer(reply.status, reply.body, limits);
    case WebhookReply::Kind::timeout:
      return Refusal{ErrorCode::auth_webhook_timeout, "the auth webhook did not answer in time"};
    case WebhookReply::Kind::garbled:
      return invalid("it is not an HTTP response of acceptable size");
    case WebhookReply::Kind::unreachable:
      break;
  }
  return Refusal{ErrorCode::auth_webhook_failed, "the auth webhook could not be reached"};
}

}  // namespace sb::auth
