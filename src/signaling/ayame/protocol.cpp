#include "signaling/ayame/protocol.hpp"

#include <array>
#include <nlohmann/json.hpp>

#include "signaling/json_scan.hpp"

namespace sb::signaling::ayame {
namespace {

using json::Kind;
using json::Value;

// The register members, as the Ayame server reads them (Go's encoding/json into its register struct: a
// member of the wrong JSON type fails the whole message, null is the same as absent).
struct RegisterFields {
  std::optional<Value> room_id, client_id, authn_metadata, signaling_key, key, ayame_client, libwebrtc,
      environment, standalone;
};

std::optional<Value>* register_slot(RegisterFields& f, std::string_view key) {
  if (key == "roomId") return &f.room_id;
  if (key == "clientId") return &f.client_id;
  if (key == "authnMetadata") return &f.authn_metadata;
  if (key == "signalingKey") return &f.signaling_key;
  if (key == "key") return &f.key;
  if (key == "ayameClient") return &f.ayame_client;
  if (key == "libwebrtc") return &f.libwebrtc;
  if (key == "environment") return &f.environment;
  if (key == "standalone") return &f.standalone;
  return nullptr;
}

// A string member: absent or null → nullopt; a string → its text; anything else → the failure.
using Text = std::variant<std::optional<std::string>, Failure>;
Text read_text(const std::optional<Value>& v, std::size_t max_bytes) {
  if (!v || v->kind == Kind::null) return std::optional<std::string>{};
  if (v->kind != Kind::string) return Failure::invalid_json;
  auto s = json::decode_string(v->raw);
  if (!s) return Failure::invalid_json;
  if (s->size() > max_bytes) return Failure::field_too_large;
  return std::optional<std::string>{std::move(*s)};
}

// Reads one optional string member into `out`; false (with `failure` set) when it is unusable.
bool take_text(const std::optional<Value>& v, std::size_t max_bytes, std::optional<std::string>& out,
               Failure& failure) {
  auto t = read_text(v, max_bytes);
  if (auto* f = std::get_if<Failure>(&t)) {
    failure = *f;
    return false;
  }
  out = std::move(std::get<0>(t));
  return true;
}

std::variant<msg::Register, Failure> read_register(const RegisterFields& f, const Limits& limits) {
  msg::Register r;
  Failure failure = Failure::invalid_json;
  std::optional<std::string> room, client, key, signaling_key;
  if (!take_text(f.room_id, limits.max_id_bytes, room, failure) ||
      !take_text(f.client_id, limits.max_id_bytes, client, failure) ||
      !take_text(f.key, limits.max_id_bytes, key, failure) ||
      !take_text(f.signaling_key, limits.max_id_bytes, signaling_key, failure) ||
      !take_text(f.ayame_client, limits.max_id_bytes, r.ayame_client, failure) ||
      !take_text(f.libwebrtc, limits.max_id_bytes, r.libwebrtc, failure) ||
      !take_text(f.environment, limits.max_id_bytes, r.environment, failure)) {
    return failure;
  }
  if (f.standalone && f.standalone->kind != Kind::null) {
    if (f.standalone->kind != Kind::boolean) return Failure::invalid_json;
    r.standalone = f.standalone->raw == "true";
  }
  if (f.authn_metadata && f.authn_metadata->kind != Kind::null) {
    if (f.authn_metadata->raw.size() > limits.max_metadata_bytes) return Failure::field_too_large;
    r.authn_metadata = std::string(f.authn_metadata->raw);
  }
  if (!room || room->empty()) return Failure::missing_room_id;
  r.room_id = std::move(*room);
  r.client_id = client.value_or("");
  // `signalingKey` wins over the older `key` when both are sent, as on the Ayame server.
  r.signaling_key = signaling_key ? std::move(signaling_key) : std::move(key);
  return r;
}

void append_ice_servers(std::string& out, const std::vector<IceServer>& servers) {
  out += '[';
  for (std::size_t i = 0; i < servers.size(); ++i) {
    const auto& s = servers[i];
    out += i == 0 ? "{\"urls\":[" : ",{\"urls\":[";
    for (std::size_t u = 0; u < s.urls.size(); ++u) {
      if (u != 0) out += ',';
      json::append_string(out, s.urls[u]);
    }
    out += ']';
    if (s.username) {
      out += ",\"username\":";
      json::append_string(out, *s.username);
    }
    if (s.credential) {
      out += ",\"credential\":";
      json::append_string(out, *s.credential);
    }
    out += '}';
  }
  out += ']';
}

std::string accept_frame(const msg::Accept& a) {
  std::string out = R"({"type":"accept","connectionId":)";
  json::append_string(out, a.connection_id);
  if (a.authz_metadata) {
    out += ",\"authzMetadata\":";
    out += *a.authz_metadata;
  }
  if (a.ice_servers) {
    out += ",\"iceServers\":";
    append_ice_servers(out, *a.ice_servers);
  }
  const char* b = a.is_exist_client ? "true" : "false";
  out += ",\"isExistClient\":";
  out += b;
  out += ",\"isExistUser\":";
  out += b;
  out += '}';
  return out;
}

std::optional<msg::ForwardType> forward_type(std::string_view type) {
  if (type == "offer") return msg::ForwardType::offer;
  if (type == "answer") return msg::ForwardType::answer;
  if (type == "candidate") return msg::ForwardType::candidate;
  return std::nullopt;
}

// Test-side reading of `iceServers` (clients only; the server never parses its own accept).
std::optional<std::vector<IceServer>> read_ice_servers(std::string_view raw) {
  const auto j = nlohmann::json::parse(raw, nullptr, false);
  if (!j.is_array()) return std::nullopt;
  std::vector<IceServer> out;
  for (const auto& e : j) {
    if (!e.is_object() || !e.contains("urls")) return std::nullopt;
    IceServer s;
    const auto& urls = e["urls"];
    if (urls.is_string())
      s.urls.push_back(urls.get<std::string>());
    else if (urls.is_array()) {
      for (const auto& u : urls) {
        if (!u.is_string()) return std::nullopt;
        s.urls.push_back(u.get<std::string>());
      }
    } else {
      return std::nullopt;
    }
    if (e.contains("username") && e["username"].is_string()) s.username = e["username"].get<std::string>();
    if (e.contains("credential") && e["credential"].is_string())
      s.credential = e["credential"].get<std::string>();
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

std::string_view to_string(Failure f) {
  switch (f) {
    case Failure::invalid_json:
      return "InvalidJSON";
    case Failure::unexpected_json:
      return "UnexpectedJSON";
    case Failure::invalid_message_type:
      return "InvalidMessageType";
    case Failure::missing_room_id:
      return "MissingRoomID";
    case Failure::field_too_large:
      return "FieldTooLarge";
    case Failure::registration_incomplete:
      return "RegistrationIncomplete";
    case Failure::already_registered:
      return "InternalServerError";
  }
  return "";
}

std::string_view to_string(msg::ForwardType t) {
  switch (t) {
    case msg::ForwardType::offer:
      return "offer";
    case msg::ForwardType::answer:
      return "answer";
    case msg::ForwardType::candidate:
      return "candidate";
  }
  return "";
}

ClientMessage parse_client_message(std::string_view frame, const Limits& limits) {
  std::optional<Value> type;
  RegisterFields fields;
  json::Scanner scanner(frame, limits.max_depth);
  const bool ok = scanner.object([&](std::string_view key, const Value& v) {
    if (key == "type")
      type = v;
    else if (auto* slot = register_slot(fields, key))
      *slot = v;
    return true;
  });
  if (!ok) {
    const auto doc = json::Scanner(frame, limits.max_depth).document();
    return doc && doc->kind == Kind::null ? Failure::unexpected_json : Failure::invalid_json;
  }
  auto name = read_text(type, frame.size());
  if (auto* f = std::get_if<Failure>(&name)) return *f;
  const std::string t = std::get<0>(name).value_or("");
  if (t == "pong") return msg::Pong{};
  if (t == "connected") return msg::Connected{};
  if (auto fwd = forward_type(t)) return msg::Forward{*fwd};
  if (t != "register") return Failure::invalid_message_type;
  auto r = read_register(fields, limits);
  if (auto* f = std::get_if<Failure>(&r)) return *f;
  return std::move(std::get<msg::Register>(r));
}

std::string serialize(const ServerMessage& m) {
  struct Visitor {
    std::string operator()(const msg::Accept& a) const { return accept_frame(a); }
    std::string operator()(const msg::Reject& r) const {
      std::string out = R"({"type":"reject","reason":)";
      json::append_string(out, r.reason);
      out += '}';
      return out;
    }
    std::string operator()(const msg::Ping&) const { return R"({"type":"ping"})"; }
    std::string operator()(const msg::Bye&) const { return R"({"type":"bye"})"; }
    std::string operator()(const msg::Forwarded& f) const { return f.frame; }
  };
  return std::visit(Visitor{}, m);
}

std::optional<ServerMessage> parse_server_message(std::string_view frame, const Limits& limits) {
  std::optional<Value> type, connection_id, authz, ice, exist, reason;
  json::Scanner scanner(frame, limits.max_depth);
  const bool ok = scanner.object([&](std::string_view key, const Value& v) {
    if (key == "type")
      type = v;
    else if (key == "connectionId")
      connection_id = v;
    else if (key == "authzMetadata")
      authz = v;
    else if (key == "iceServers")
      ice = v;
    else if (key == "isExistClient")
      exist = v;
    else if (key == "reason")
      reason = v;
    return true;
  });
  if (!ok || !type || type->kind != Kind::string) return std::nullopt;
  const std::string t = json::decode_string(type->raw).value_or("");
  if (t == "ping") return msg::Ping{};
  if (t == "bye") return msg::Bye{};
  if (auto fwd = forward_type(t)) return msg::Forwarded{*fwd, std::string(frame)};
  if (t == "reject") {
    if (!reason || reason->kind != Kind::string) return std::nullopt;
    return msg::Reject{json::decode_string(reason->raw).value_or("")};
  }
  if (t != "accept" || !connection_id || connection_id->kind != Kind::string || !exist ||
      exist->kind != Kind::boolean) {
    return std::nullopt;
  }
  msg::Accept a;
  a.connection_id = json::decode_string(connection_id->raw).value_or("");
  a.is_exist_client = exist->raw == "true";
  if (authz && authz->kind != Kind::null) a.authz_metadata = std::string(authz->raw);
  if (ice) {
    a.ice_servers = read_ice_servers(ice->raw);
    if (!a.ice_servers) return std::nullopt;
  }
  return a;
}

std::string connection_id(std::uint64_t unix_ms, const std::uint8_t (&random)[10]) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  // The 128-bit value: time in the top 48 bits, randomness below, written as 26 base32 digits (130 bits, the
  // top two always zero).
  std::array<std::uint8_t, 16> v{};
  for (int i = 0; i < 6; ++i)
    v[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(unix_ms >> (8 * (5 - i)));
  for (int i = 0; i < 10; ++i) v[static_cast<std::size_t>(6 + i)] = random[i];
  std::string out(kConnectionIdChars, '0');
  for (std::size_t digit = 0; digit < kConnectionIdChars; ++digit) {
    // Bits [bit, bit+5) of the 130-bit big-endian string; the first two bits lie above the 128.
    const int bit = static_cast<int>(digit) * 5 - 2;
    unsigned value = 0;
    for (int k = 0; k < 5; ++k) {
      const int b = bit + k;
      const unsigned set = b < 0 ? 0u : (v[static_cast<std::size_t>(b / 8)] >> (7 - b % 8)) & 1u;
      value = (value << 1) | set;
    }
    out[digit] = kAlphabet[value];
  }
  return out;
}

}  // namespace sb::signaling::ayame
