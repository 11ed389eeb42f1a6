#include "auth/ayame_webhook.hpp"

#include <nlohmann/json.hpp>

namespace sb::auth {
namespace {

using nlohmann::json;
using signaling::Denial;
using signaling::ErrorCode;

Denial failure(ErrorCode code) {
  return Denial{code, std::string(kAyameWebhookFailure)};
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::string ayame_authn_body(const signaling::ayame::msg::Register& r, std::string_view client_id,
                             std::string_view connection_id) {
  json body = {{"roomId", r.room_id}, {"clientId", client_id}, {"connectionId", connection_id}};
  if (r.signaling_key) body["signalingKey"] = *r.signaling_key;
  if (r.authn_metadata) {
    // Kept as the client wrote it (the register's parser bounded it); text that is not JSON cannot occur.
    json meta = json::parse(*r.authn_metadata, nullptr, false);
    if (!meta.is_discarded()) body["authnMetadata"] = std::move(meta);
  }
  if (r.ayame_client) body["ayameClient"] = *r.ayame_client;
  if (r.libwebrtc) body["libwebrtc"] = *r.libwebrtc;
  if (r.environment) body["environment"] = *r.environment;
  return dump(body);
}

signaling::AdmissionDecision read_ayame_authn_reply(const WebhookReply& reply, const WebhookLimits& limits) {
  switch (reply.kind) {
    case WebhookReply::Kind::answered:
      break;
    case WebhookReply::Kind::timeout:
      return failure(ErrorCode::auth_webhook_timeout);
    case WebhookReply::Kind::garbled:
      return failure(ErrorCode::auth_webhook_invalid);
    case WebhookReply::Kind::unreachable:
      return failure(ErrorCode::auth_webhook_failed);
  }
  if (reply.status != 200) return failure(ErrorCode::auth_webhook_failed);  // Ayame: only 200 is an answer
  // The shared reader checks `allowed` and the ICE servers, within the same limits as protocol v1's answers.
  auto outcome = read_webhook_answer(reply.status, reply.body, limits);
  if (auto* refusal = std::get_if<Refusal>(&outcome)) {
    if (refusal->code != ErrorCode::auth_denied) return failure(refusal->code);
    const json j = json::parse(reply.body, nullptr, false);
    auto reason = j.find("reason");
    if (reason == j.end() || !reason->is_string()) return failure(ErrorCode::auth_webhook_invalid);
    return Denial{ErrorCode::auth_denied, reason->get<std::string>().substr(0, limits.max_reason_bytes)};
  }
  signaling::Grant grant;
  grant.ice_servers = std::move(std::get<WebhookGrant>(outcome).ice_servers);
  const json j = json::parse(reply.body, nullptr, false);
  if (auto authz = j.find("authzMetadata"); authz != j.end() && !authz->is_null()) {
    grant.meta = dump(*authz);
    if (grant.meta.size() > limits.max_meta_bytes) return failure(ErrorCode::auth_webhook_invalid);
  }
  return grant;
}

}  // namespace sb::auth
