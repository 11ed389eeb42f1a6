#include "signaling/protocol.hpp"

#include <array>

#include "signaling/protocol_json.hpp"

namespace sb::signaling {
namespace detail {

ProtocolError make_error(ErrorCode code, std::string field, std::string message) {
  return ProtocolError{code, std::move(field), std::move(message)};
}

Field<std::string> required_string(const json& obj, const char* name, std::size_t max_bytes) {
  auto it = obj.find(name);
  if (it == obj.end()) return make_error(ErrorCode::invalid_message, name, std::string("missing field ") + name);
  if (!it->is_string()) {
    return make_error(ErrorCode::invalid_message, name, std::string("field ") + name + " must be a string");
  }
  const auto& s = it->get_ref<const std::string&>();
  if (max_bytes != 0 && s.size() > max_bytes) {
    return make_error(ErrorCode::field_too_large, name,
                      std::string("field ") + name + " exceeds " + std::to_string(max_bytes) + " bytes");
  }
  return s;
}

Field<std::optional<std::string>> optional_string(const json& obj, const char* name, std::size_t max_bytes) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>{};
  auto s = required_string(obj, name, max_bytes);
  if (auto* e = std::get_if<ProtocolError>(&s)) {
    if (e->code == ErrorCode::invalid_message) e->message = std::string("field ") + name + " must be a string or null";
    return *e;
  }
  return std::optional<std::string>{std::move(std::get<std::string>(s))};
}

Field<std::string> required_peer_id(const json& obj, const char* name) {
  auto s = required_string(obj, name, 0);
  if (auto* id = std::get_if<std::string>(&s); id && !is_valid_peer_id(*id)) {
    return make_error(ErrorCode::invalid_message, name,
                      std::string("field ") + name + " must be a peer id (32 lowercase hex characters)");
  }
  return s;
}

Field<std::string> required_hex128(const json& obj, const char* name) {
  auto s = required_string(obj, name, 0);
  if (auto* v = std::get_if<std::string>(&s); v && !is_valid_hex128(*v)) {
    return make_error(ErrorCode::invalid_message, name,
                      std::string("field ") + name + " must be 32 lowercase hex characters");
  }
  return s;
}

Field<std::uint64_t> required_count(const json& obj, const char* name) {
  constexpr std::uint64_t kMax = std::uint64_t{1} << 53;
  auto it = obj.find(name);
  if (it == obj.end()) return make_error(ErrorCode::invalid_message, name, std::string("missing field ") + name);
  if (!it->is_number_unsigned() || it->get<std::uint64_t>() > kMax) {
    return make_error(ErrorCode::invalid_message, name,
                      std::string("field ") + name + " must be an integer 0.." + std::to_string(kMax));
  }
  return it->get<std::uint64_t>();
}

namespace {

Field<std::optional<std::uint16_t>> mline_index(const json& obj) {
  auto it = obj.find("sdpMLineIndex");
  if (it == obj.end() || it->is_null()) return std::optional<std::uint16_t>{};
  // WebRTC declares sdpMLineIndex as `unsigned short`.
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0 || it->get<std::int64_t>() > 65535) {
    return make_error(ErrorCode::invalid_message, "sdpMLineIndex",
                      "field sdpMLineIndex must be an integer 0..65535 or null");
  }
  return std::optional<std::uint16_t>{static_cast<std::uint16_t>(it->get<std::int64_t>())};
}

}  // namespace

Field<std::optional<IceCandidate>> candidate_field(const json& obj, const Limits& limits) {
  auto it = obj.find("candidate");
  if (it == obj.end()) return make_error(ErrorCode::invalid_message, "candidate", "missing field candidate");
  if (it->is_null()) return std::optional<IceCandidate>{};
  if (!it->is_object()) {
    return make_error(ErrorCode::invalid_message, "candidate", "field candidate must be an object or null");
  }
  const json& c = *it;
  IceCandidate out;
  auto cand = required_string(c, "candidate", limits.max_candidate_bytes);
  if (auto* e = std::get_if<ProtocolError>(&cand)) return *e;
  out.candidate = std::move(std::get<std::string>(cand));
  auto mid = optional_string(c, "sdpMid", limits.max_candidate_bytes);
  if (auto* e = std::get_if<ProtocolError>(&mid)) return *e;
  out.sdp_mid = std::move(std::get<0>(mid));
  auto ufrag = optional_string(c, "usernameFragment", limits.max_candidate_bytes);
  if (auto* e = std::get_if<ProtocolError>(&ufrag)) return *e;
  out.username_fragment = std::move(std::get<0>(ufrag));
  auto idx = mline_index(c);
  if (auto* e = std::get_if<ProtocolError>(&idx)) return *e;
  out.sdp_mline_index = std::get<0>(idx);
  return std::optional<IceCandidate>{std::move(out)};
}

json candidate_to_json(const std::optional<IceCandidate>& c) {
  if (!c) return nullptr;
  json j = {{"candidate", c->candidate}};
  if (c->sdp_mid) j["sdpMid"] = *c->sdp_mid;
  if (c->sdp_mline_index) j["sdpMLineIndex"] = *c->sdp_mline_index;
  if (c->username_fragment) j["usernameFragment"] = *c->username_fragment;
  return j;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Field<json> parse_object(std::string_view frame, std::string* type_out) {
  json j = json::parse(frame, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return make_error(ErrorCode::invalid_json, "", "the frame is not a JSON object");
  }
  auto t = required_string(j, "type", 0);
  if (auto* e = std::get_if<ProtocolError>(&t)) return *e;
  if (type_out) *type_out = std::get<std::string>(t);
  return j;
}

}  // namespace detail

namespace {

using detail::Field;
using detail::json;

constexpr std::array<std::string_view, kErrorCodeCount> kErrorNames = {
    "invalid-json", "invalid-message", "unknown-type", "field-too-large", "not-joined",
    "already-joined", "unknown-peer", "room-full", "server-full", "rate-limited", "unavailable", "id-taken",
    "token-required", "token-malformed", "token-bad-signature", "token-bad-algorithm", "token-unknown-kid",
    "token-expired", "token-not-yet-valid", "token-wrong-room", "token-wrong-audience", "token-wrong-issuer",
    "auth-denied", "auth-webhook-failed", "auth-webhook-timeout", "auth-webhook-invalid", "auth-busy",
    "auth-timeout", "auth-blocked", "resume-refused"};
constexpr std::array<std::string_view, 5> kLeaveNames = {"bye", "disconnect", "timeout", "dropped", "node-lost"};


Parsed<ClientMessage> parse_join(const json& j, const Limits& limits) {
  SB_TRY_FIELD(room, detail::required_string(j, "room", limits.max_room_bytes));
  if (!is_valid_room_name(room, limits.max_room_bytes)) {
    return detail::make_error(ErrorCode::invalid_message, "room",
                              "room must be 1-" + std::to_string(limits.max_room_bytes) +
                                  " characters of A-Z a-z 0-9 _ . -");
  }
  SB_TRY_FIELD(name, detail::optional_string(j, "name", limits.max_name_bytes));
  SB_TRY_FIELD(token, detail::optional_string(j, "token", limits.max_token_bytes));
  std::string metadata;
  if (auto it = j.find("metadata"); it != j.end() && !it->is_null()) {
    metadata = detail::dump(*it);
    if (metadata.size() > limits.max_metadata_bytes) {
      return detail::make_error(ErrorCode::field_too_large, "metadata",
                                "field metadata exceeds " + std::to_string(limits.max_metadata_bytes) + " bytes");
    }
  }
  bool resume = false;
  if (auto it = j.find("resume"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) return detail::make_error(ErrorCode::invalid_message, "resume", "resume must be true or false");
    resume = it->get<bool>();
  }
  return ClientMessage{msg::Join{std::move(room), name.value_or(""), resume, token.value_or(""), std::move(metadata)}};
}

Parsed<ClientMessage> parse_resume(const json& j) {
  SB_TRY_FIELD(session, detail::required_hex128(j, "session"));
  SB_TRY_FIELD(secret, detail::required_hex128(j, "secret"));
  SB_TRY_FIELD(seq, detail::required_count(j, "seq"));
  return ClientMessage{msg::Resume{std::move(session), std::move(secret), seq}};
}

Parsed<ClientMessage> parse_ack(const json& j) {
  SB_TRY_FIELD(seq, detail::required_count(j, "seq"));
  return ClientMessage{msg::Ack{seq}};
}

template <class M>
Parsed<ClientMessage> parse_description(const json& j, const Limits& limits) {
  SB_TRY_FIELD(to, detail::required_peer_id(j, "to"));
  SB_TRY_FIELD(sdp, detail::required_string(j, "sdp", limits.max_sdp_bytes));
  return ClientMessage{M{std::move(to), std::move(sdp)}};
}

Parsed<ClientMessage> parse_candidate(const json& j, const Limits& limits) {
  SB_TRY_FIELD(to, detail::required_peer_id(j, "to"));
  SB_TRY_FIELD(candidate, detail::candidate_field(j, limits));
  return ClientMessage{msg::Candidate{std::move(to), std::move(candidate)}};
}

struct ClientSerializer {
  json operator()(const msg::Join& m) const {
    json j = {{"type", "join"}, {"room", m.room}};
    if (!m.name.empty()) j["name"] = m.name;
    if (m.resume) j["resume"] = true;
    if (!m.token.empty()) j["token"] = m.token;
    if (!m.metadata.empty()) j["metadata"] = json::parse(m.metadata, nullptr, false);
    return j;
  }
  json operator()(const msg::Offer& m) const { return {{"type", "offer"}, {"to", m.to}, {"sdp", m.sdp}}; }
  json operator()(const msg::Answer& m) const { return {{"type", "answer"}, {"to", m.to}, {"sdp", m.sdp}}; }
  json operator()(const msg::Candidate& m) const {
    return {{"type", "candidate"}, {"to", m.to}, {"candidate", detail::candidate_to_json(m.candidate)}};
  }
  json operator()(const msg::Bye&) const { return {{"type", "bye"}}; }
  json operator()(const msg::Ping&) const { return {{"type", "ping"}}; }
  json operator()(const msg::Resume& m) const {
    return {{"type", "resume"}, {"session", m.session}, {"secret", m.secret}, {"seq", m.seq}};
  }
  json operator()(const msg::Ack& m) const { return {{"type", "ack"}, {"seq", m.seq}}; }
};

constexpr std::array<std::string_view, kResumeRefusalCount> kRefusalNames = {"expired", "secret", "replayed", "lost"};

}  // namespace

std::string_view to_string(ErrorCode code) { return kErrorNames.at(static_cast<std::size_t>(code)); }

std::optional<ErrorCode> error_code_from_string(std::string_view s) {
  for (std::size_t i = 0; i < kErrorNames.size(); ++i) {
    if (kErrorNames[i] == s) return static_cast<ErrorCode>(i);
  }
  return std::nullopt;
}

std::string_view to_string(ResumeRefusal r) { return kRefusalNames.at(static_cast<std::size_t>(r)); }

std::string_view to_string(LeaveReason reason) { return kLeaveNames.at(static_cast<std::size_t>(reason)); }

std::optional<LeaveReason> leave_reason_from_string(std::string_view s) {
  for (std::size_t i = 0; i < kLeaveNames.size(); ++i) {
    if (kLeaveNames[i] == s) return static_cast<LeaveReason>(i);
  }
  return std::nullopt;
}

bool is_valid_peer_id(std::string_view id) {
  if (id.size() != kPeerIdChars) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool is_valid_room_name(std::string_view room, std::size_t max_room_bytes) {
  if (room.empty() || room.size() > max_room_bytes) return false;
  for (char c : room) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Parsed<ClientMessage> parse_client_message(std::string_view frame, const Limits& limits, std::string* ref_type) {
  std::string type;
  SB_TRY_FIELD(j, detail::parse_object(frame, &type));
  if (ref_type) *ref_type = type;
  if (type == "join") return parse_join(j, limits);
  if (type == "offer") return parse_description<msg::Offer>(j, limits);
  if (type == "answer") return parse_description<msg::Answer>(j, limits);
  if (type == "candidate") return parse_candidate(j, limits);
  if (type == "bye") return ClientMessage{msg::Bye{}};
  if (type == "ping") return ClientMessage{msg::Ping{}};
  if (type == "resume") return parse_resume(j);
  if (type == "ack") return parse_ack(j);
  return detail::make_error(ErrorCode::unknown_type, "type", "unknown message type");
}

std::string serialize(const ClientMessage& m) { return detail::dump(std::visit(ClientSerializer{}, m)); }

std::string_view type_name(const ClientMessage& m) {
  static constexpr std::array<std::string_view, 8> kNames = {"join", "offer",  "answer", "candidate",
                                                             "bye",  "ping",   "resume", "ack"};
  return kNames.at(m.index());
}

}  // namespace sb::signaling
