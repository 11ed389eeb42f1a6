// Server → client half of the protocol v1 codec (see protocol.hpp).
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

#include "signaling/protocol.hpp"
#include "signaling/protocol_json.hpp"

namespace sb::signaling {
namespace {

using detail::Field;
using detail::json;

json ice_server_to_json(const IceServer& s) {
  json j = {{"urls", s.urls}};
  if (s.username) j["username"] = *s.username;
  if (s.credential) j["credential"] = *s.credential;
  return j;
}

// {id, name} plus identity and meta when access control gave them (docs/auth.md).
json peer_to_json(const std::string& id, const std::string& name, const std::string& identity,
                  const std::string& meta) {
  json p = {{"id", id}, {"name", name}};
  if (!identity.empty()) p["identity"] = identity;
  if (!meta.empty()) p["meta"] = json::parse(meta, nullptr, false);
  return p;
}

json ice_servers_to_json(const std::vector<IceServer>& servers) {
  json ice = json::array();
  for (const auto& s : servers) ice.push_back(ice_server_to_json(s));
  return ice;
}

json ticket_to_json(const ResumeTicket& t) {
  json window = t.window_s;
  if (t.window_s == std::floor(t.window_s) && t.window_s < 1e9) window = static_cast<std::uint64_t>(t.window_s);
  return {{"session", t.session}, {"secret", t.secret}, {"window", std::move(window)}};
}

struct ServerSerializer {
  json operator()(const msg::Joined& m) const {
    json peers = json::array();
    for (const auto& p : m.peers) peers.push_back(peer_to_json(p.id, p.name, p.identity, p.meta));
    json j = {{"type", "joined"}, {"id", m.id}, {"room", m.room}, {"peers", std::move(peers)},
              {"iceServers", ice_servers_to_json(m.ice_servers)}};
    if (m.resume) j["resume"] = ticket_to_json(*m.resume);
    return j;
  }
  json operator()(const msg::Resumed& m) const {
    return {{"type", "resumed"}, {"id", m.id}, {"room", m.room}, {"resume", ticket_to_json(m.resume)},
            {"received", m.received}, {"iceServers", ice_servers_to_json(m.ice_servers)}};
  }
  json operator()(const msg::PeerReconnecting& m) const { return {{"type", "peer-reconnecting"}, {"id", m.id}}; }
  json operator()(const msg::PeerResumed& m) const { return {{"type", "peer-resumed"}, {"id", m.id}}; }
  json operator()(const msg::PeerJoined& m) const {
    json j = peer_to_json(m.id, m.name, m.identity, m.meta);
    j["type"] = "peer-joined";
    if (!m.ice_servers.empty()) j["iceServers"] = ice_servers_to_json(m.ice_servers);
    return j;
  }
  json operator()(const msg::PeerLeft& m) const {
    return {{"type", "peer-left"}, {"id", m.id}, {"reason", to_string(m.reason)}};
  }
  json operator()(const msg::RelayedOffer& m) const {
    return {{"type", "offer"}, {"from", m.from}, {"sdp", m.sdp}};
  }
  json operator()(const msg::RelayedAnswer& m) const {
    return {{"type", "answer"}, {"from", m.from}, {"sdp", m.sdp}};
  }
  json operator()(const msg::RelayedCandidate& m) const {
    return {{"type", "candidate"}, {"from", m.from}, {"candidate", detail::candidate_to_json(m.candidate)}};
  }
  json operator()(const msg::Pong&) const { return {{"type", "pong"}}; }
  json operator()(const msg::Drain&) const { return {{"type", "drain"}}; }
  json operator()(const msg::Error& m) const {
    json j = {{"type", "error"}, {"code", to_string(m.code)}, {"message", m.message}};
    if (!m.field.empty()) j["field"] = m.field;
    if (!m.ref.empty()) j["ref"] = m.ref;
    if (!m.reason.empty()) j["reason"] = m.reason;
    return j;
  }
};

Field<PeerInfo> peer_info(const json& j, const Limits& limits) {
  if (!j.is_object()) return detail::make_error(ErrorCode::invalid_message, "peers", "peers[] must be objects");
  SB_TRY_FIELD(id, detail::required_peer_id(j, "id"));
  SB_TRY_FIELD(name, detail::optional_string(j, "name", limits.max_name_bytes));
  SB_TRY_FIELD(identity, detail::optional_string(j, "identity", 0));
  auto meta = j.find("meta");
  return PeerInfo{std::move(id), name.value_or(""), identity.value_or(""),
                  meta == j.end() || meta->is_null() ? std::string() : detail::dump(*meta)};
}

Field<IceServer> ice_server(const json& j) {
  if (!j.is_object()) return detail::make_error(ErrorCode::invalid_message, "iceServers", "must be objects");
  IceServer s;
  auto urls = j.find("urls");
  if (urls != j.end() && urls->is_string()) {
    s.urls.push_back(urls->get<std::string>());  // RTCIceServer allows a single string
  } else if (urls != j.end() && urls->is_array()) {
    for (const auto& u : *urls) {
      if (!u.is_string()) return detail::make_error(ErrorCode::invalid_message, "urls", "urls must be strings");
      s.urls.push_back(u.get<std::string>());
    }
  } else {
    return detail::make_error(ErrorCode::invalid_message, "urls", "missing field urls");
  }
  SB_TRY_FIELD(user, detail::optional_string(j, "username", 0));
  SB_TRY_FIELD(cred, detail::optional_string(j, "credential", 0));
  s.username = std::move(user);
  s.credential = std::move(cred);
  return s;
}

template <class T, class F>
Field<std::vector<T>> array_of(const json& j, const char* name, F&& each) {
  auto it = j.find(name);
  if (it == j.end() || !it->is_array()) {
    return detail::make_error(ErrorCode::invalid_message, name, std::string("field ") + name + " must be an array");
  }
  std::vector<T> out;
  for (const auto& e : *it) {
    SB_TRY_FIELD(v, each(e));
    out.push_back(std::move(v));
  }
  return out;
}

Field<ResumeTicket> resume_ticket(const json& j) {
  auto it = j.find("resume");
  if (it == j.end() || !it->is_object()) {
    return detail::make_error(ErrorCode::invalid_message, "resume", "field resume must be an object");
  }
  SB_TRY_FIELD(session, detail::required_hex128(*it, "session"));
  SB_TRY_FIELD(secret, detail::required_hex128(*it, "secret"));
  auto window = it->find("window");
  if (window == it->end() || !window->is_number() || window->get<double>() < 0) {
    return detail::make_error(ErrorCode::invalid_message, "window", "field window must be a number of seconds");
  }
  return ResumeTicket{std::move(session), std::move(secret), window->get<double>()};
}

Parsed<ServerMessage> parse_joined(const json& j, const Limits& limits) {
  SB_TRY_FIELD(id, detail::required_peer_id(j, "id"));
  SB_TRY_FIELD(room, detail::required_string(j, "room", limits.max_room_bytes));
  SB_TRY_FIELD(peers, array_of<PeerInfo>(j, "peers", [&](const json& e) { return peer_info(e, limits); }));
  SB_TRY_FIELD(ice, array_of<IceServer>(j, "iceServers", [](const json& e) { return ice_server(e); }));
  msg::Joined joined{std::move(id), std::move(room), std::move(peers), std::move(ice)};
  if (j.contains("resume")) {
    SB_TRY_FIELD(ticket, resume_ticket(j));
    joined.resume = std::move(ticket);
  }
  return ServerMessage{std::move(joined)};
}

Parsed<ServerMessage> parse_resumed(const json& j, const Limits& limits) {
  SB_TRY_FIELD(id, detail::required_peer_id(j, "id"));
  SB_TRY_FIELD(room, detail::required_string(j, "room", limits.max_room_bytes));
  SB_TRY_FIELD(ticket, resume_ticket(j));
  SB_TRY_FIELD(received, detail::required_count(j, "received"));
  SB_TRY_FIELD(ice, array_of<IceServer>(j, "iceServers", [](const json& e) { return ice_server(e); }));
  return ServerMessage{msg::Resumed{std::move(id), std::move(room), std::move(ticket), received, std::move(ice)}};
}

Parsed<ServerMessage> parse_presence(const json& j, const std::string& type, const Limits& limits) {
  SB_TRY_FIELD(id, detail::required_peer_id(j, "id"));
  if (type == "peer-joined") {
    SB_TRY_FIELD(peer, peer_info(j, limits));
    std::vector<IceServer> ice;
    if (j.contains("iceServers")) {
      SB_TRY_FIELD(servers, array_of<IceServer>(j, "iceServers", [](const json& e) { return ice_server(e); }));
      ice = std::move(servers);
    }
    return ServerMessage{msg::PeerJoined{std::move(peer.id), std::move(peer.name), std::move(peer.identity),
                                         std::move(peer.meta), std::move(ice)}};
  }
  SB_TRY_FIELD(reason_s, detail::required_string(j, "reason", 0));
  auto reason = leave_reason_from_string(reason_s);
  if (!reason) return detail::make_error(ErrorCode::invalid_message, "reason", "unknown peer-left reason");
  return ServerMessage{msg::PeerLeft{std::move(id), *reason}};
}

Parsed<ServerMessage> parse_relayed(const json& j, const std::string& type, const Limits& limits) {
  SB_TRY_FIELD(from, detail::required_peer_id(j, "from"));
  if (type == "candidate") {
    SB_TRY_FIELD(candidate, detail::candidate_field(j, limits));
    return ServerMessage{msg::RelayedCandidate{std::move(from), std::move(candidate)}};
  }
  SB_TRY_FIELD(sdp, detail::required_string(j, "sdp", limits.max_sdp_bytes));
  if (type == "offer") return ServerMessage{msg::RelayedOffer{std::move(from), std::move(sdp)}};
  return ServerMessage{msg::RelayedAnswer{std::move(from), std::move(sdp)}};
}

Parsed<ServerMessage> parse_error(const json& j) {
  SB_TRY_FIELD(code_s, detail::required_string(j, "code", 0));
  auto code = error_code_from_string(code_s);
  if (!code) return detail::make_error(ErrorCode::invalid_message, "code", "unknown error code");
  SB_TRY_FIELD(message, detail::required_string(j, "message", 0));
  SB_TRY_FIELD(field, detail::optional_string(j, "field", 0));
  SB_TRY_FIELD(ref, detail::optional_string(j, "ref", 0));
  SB_TRY_FIELD(reason, detail::optional_string(j, "reason", 0));
  return ServerMessage{msg::Error{*code, std::move(message), field.value_or(""), ref.value_or(""), reason.value_or("")}};
}

}  // namespace

Parsed<ServerMessage> parse_server_message(std::string_view frame, const Limits& limits, std::uint64_t* seq) {
  std::string type;
  SB_TRY_FIELD(j, detail::parse_object(frame, &type));
  if (seq != nullptr) {
    *seq = 0;
    if (j.contains("seq")) {
      SB_TRY_FIELD(n, detail::required_count(j, "seq"));
      *seq = n;
    }
  }
  if (type == "joined") return parse_joined(j, limits);
  if (type == "peer-joined" || type == "peer-left") return parse_presence(j, type, limits);
  if (type == "offer" || type == "answer" || type == "candidate") return parse_relayed(j, type, limits);
  if (type == "pong") return ServerMessage{msg::Pong{}};
  if (type == "drain") return ServerMessage{msg::Drain{}};
  if (type == "error") return parse_error(j);
  if (type == "resumed") return parse_resumed(j, limits);
  if (type == "peer-reconnecting" || type == "peer-resumed") {
    SB_TRY_FIELD(id, detail::required_peer_id(j, "id"));
    if (type == "peer-resumed") return ServerMessage{msg::PeerResumed{std::move(id)}};
    return ServerMessage{msg::PeerReconnecting{std::move(id)}};
  }
  return detail::make_error(ErrorCode::unknown_type, "type", "unknown message type");
}

std::string serialize(const ServerMessage& m) { return detail::dump(std::visit(ServerSerializer{}, m)); }

std::string_view type_name(const ServerMessage& m) {
  static constexpr std::array<std::string_view, 12> kNames = {
      "joined", "peer-joined", "peer-left", "offer",   "answer",            "candidate",
      "pong",   "error",       "drain",     "resumed", "peer-reconnecting", "peer-resumed"};
  return kNames.at(m.index());
}

SeqPrefix::SeqPrefix(std::uint64_t seq) {
  constexpr std::string_view kHead = R"({"seq":)";
  std::copy(kHead.begin(), kHead.end(), buf_.begin());
  auto [end, ec] = std::to_chars(buf_.data() + kHead.size(), buf_.data() + buf_.size() - 1, seq);
  (void)ec;  // 20 digits always fit
  *end++ = ',';
  size_ = static_cast<std::size_t>(end - buf_.data());
}

std::string with_seq(std::string_view frame, std::uint64_t seq) {
  const SeqPrefix prefix(seq);
  std::string out;
  out.reserve(prefix.view().size() + frame.size());
  out += prefix.view();
  out += after_brace(frame);
  return out;
}

}  // namespace sb::signaling
