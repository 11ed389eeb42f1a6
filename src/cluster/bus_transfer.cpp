// The Transfer bus message (cluster/bus.hpp): a resumable session handed from one node to another, as JSON after
// "T\n". Everything read back is checked: a node takes no session it cannot hold.
#include <nlohmann/json.hpp>
#include <type_traits>

#include "cluster/bus.hpp"

namespace sb::cluster {
namespace {

using nlohmann::json;

json peer_to_json(const signaling::PeerInfo& p) {
  return {{"id", p.id}, {"name", p.name}, {"identity", p.identity}, {"meta", p.meta}};
}

json grant_to_json(const signaling::Grant& g) {
  json j = {{"identity", g.identity},   {"name", g.name},
            {"meta", g.meta},           {"max_peers", g.max_peers},
            {"turn", g.turn},           {"token_room", g.token_room},
            {"token_room_prefix", g.token_room_prefix}, {"token_expires", g.token_expires}};
  if (g.ice_servers) {
    json servers = json::array();
    for (const auto& s : *g.ice_servers) {
      json one = {{"urls", s.urls}};
      if (s.username) one["username"] = *s.username;
      if (s.credential) one["credential"] = *s.credential;
      servers.push_back(std::move(one));
    }
    j["ice_servers"] = std::move(servers);
  }
  return j;
}

// Reads `key` of `j` into `out` when it has `out`'s type; false when it is missing or of another type.
template <class T>
bool read(const json& j, const char* key, T& out) {
  auto it = j.find(key);
  if (it == j.end()) return false;
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return false;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) return false;
  } else if constexpr (std::is_unsigned_v<T>) {
    if (!it->is_number_unsigned()) return false;
  } else {
    if (!it->is_number_integer()) return false;
  }
  out = it->get<T>();
  return true;
}

std::optional<signaling::PeerInfo> peer_from(const json& j) {
  signaling::PeerInfo p;
  if (!j.is_object() || !read(j, "id", p.id) || !valid_field(p.id) || !read(j, "name", p.name) ||
      !read(j, "identity", p.identity) || !read(j, "meta", p.meta)) {
    return std::nullopt;
  }
  return p;
}

std::optional<std::vector<signaling::IceServer>> ice_servers_from(const json& j) {
  if (!j.is_array()) return std::nullopt;
  std::vector<signaling::IceServer> out;
  for (const auto& s : j) {
    signaling::IceServer server;
    auto urls = s.is_object() ? s.find("urls") : s.end();
    if (!s.is_object() || urls == s.end() || !urls->is_array()) return std::nullopt;
    for (const auto& u : *urls) {
      if (!u.is_string()) return std::nullopt;
      server.urls.push_back(u.get<std::string>());
    }
    std::string text;
    if (read(s, "username", text)) server.username = text;
    if (read(s, "credential", text)) server.credential = text;
    out.push_back(std::move(server));
  }
  return out;
}

std::optional<signaling::Grant> grant_from(const json& j) {
  signaling::Grant g;
  if (!j.is_object() || !read(j, "identity", g.identity) || !read(j, "name", g.name) || !read(j, "meta", g.meta) ||
      !read(j, "max_peers", g.max_peers) || !read(j, "turn", g.turn) || !read(j, "token_room", g.token_room) ||
      !read(j, "token_room_prefix", g.token_room_prefix) || !read(j, "token_expires", g.token_expires)) {
    return std::nullopt;
  }
  if (auto it = j.find("ice_servers"); it != j.end()) {
    g.ice_servers = ice_servers_from(*it);
    if (!g.ice_servers) return std::nullopt;
  }
  return g;
}

bool hashes_from(const json& j, std::vector<signaling::SecretHash>& out) {
  if (!j.is_array()) return false;
  for (const auto& h : j) {
    auto hash = h.is_string() ? parse_hash_hex(h.get<std::string>()) : std::nullopt;
    if (!hash) return false;
    out.push_back(*hash);
  }
  return true;
}

// The kept frames: [seq, text] pairs, contiguous and below next_seq.
bool frames_from(const json& j, std::uint64_t next_seq, std::vector<signaling::KeptFrame>& out) {
  if (!j.is_array()) return false;
  for (const auto& f : j) {
    if (!f.is_array() || f.size() != 2 || !f[0].is_number_unsigned() || !f[1].is_string()) return false;
    const auto seq = f[0].get<std::uint64_t>();
    if (seq >= next_seq || (!out.empty() && seq != out.back().seq + 1)) return false;
    out.push_back({seq, std::make_shared<const std::string>(f[1].get<std::string>())});
  }
  return out.empty() || out.back().seq + 1 == next_seq;
}

bool roster_from(const json& j, std::vector<bus::RosterEntry>& out) {
  if (!j.is_array()) return false;
  for (const auto& e : j) {
    bus::RosterEntry r;
    auto peer = e.is_object() ? peer_from(e.value("peer", json())) : std::nullopt;
    if (!peer || !read(e, "node", r.node) || !valid_field(r.node) || !read(e, "seq", r.seq) ||
        !read(e, "announced", r.announced)) {
      return false;
    }
    r.peer = std::move(*peer);
    out.push_back(std::move(r));
  }
  return true;
}

}  // namespace

std::string encode_transfer(const bus::Transfer& t) {
  const auto& s = t.session;
  json old = json::array();
  for (const auto& h : s.old_hashes) old.push_back(hash_hex(h));
  json frames = json::array();
  for (const auto& f : s.frames) frames.push_back(json::array({f.seq, *f.frame}));
  json roster = json::array();
  for (const auto& r : t.roster) {
    roster.push_back(json{{"node", r.node}, {"seq", r.seq}, {"announced", r.announced}, {"peer", peer_to_json(r.peer)}});
  }
  json j = {{"session", s.session}, {"room", s.room},          {"peer", peer_to_json(t.peer)},
            {"seq", t.seq},         {"presence", t.presence},  {"grant", grant_to_json(s.grant)},
            {"hash", hash_hex(s.secret_hash)}, {"old", std::move(old)}, {"next", s.next_seq},
            {"received", s.received}, {"told", s.told_reconnecting}, {"frames", std::move(frames)},
            {"roster", std::move(roster)}};
  return "T\n" + j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<bus::Transfer> parse_transfer(std::string_view body) {
  if (body.size() > kMaxBodyBytes) return std::nullopt;
  auto j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  bus::Transfer t;
  auto& s = t.session;
  std::string hash;
  if (!read(j, "session", s.session) || !valid_field(s.session) || !read(j, "room", s.room) ||
      !valid_field(s.room) || !read(j, "seq", t.seq) || !read(j, "presence", t.presence) ||
      !read(j, "hash", hash) || !read(j, "next", s.next_seq) || s.next_seq == 0 ||
      !read(j, "received", s.received) || !read(j, "told", s.told_reconnecting)) {
    return std::nullopt;
  }
  auto peer = peer_from(j.value("peer", json()));
  auto grant = grant_from(j.value("grant", json()));
  auto secret = parse_hash_hex(hash);
  if (!peer || !grant || !secret || !hashes_from(j.value("old", json()), s.old_hashes) ||
      !frames_from(j.value("frames", json()), s.next_seq, s.frames) ||
      !roster_from(j.value("roster", json()), t.roster)) {
    return std::nullopt;
  }
  t.peer = std::move(*peer);
  s.peer_id = t.peer.id;
  s.grant = std::move(*grant);
  s.secret_hash = *secret;
  return t;
}

}  // namespace sb::cluster
