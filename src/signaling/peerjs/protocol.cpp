#include "signaling/peerjs/protocol.hpp"

#include <array>

#include "signaling/json_scan.hpp"

namespace sb::signaling::peerjs {
namespace {

constexpr std::array<std::string_view, 9> kTypeNames = {"OPEN",   "LEAVE",     "CANDIDATE", "OFFER", "ANSWER",
                                                        "EXPIRE", "HEARTBEAT", "ID-TAKEN",  "ERROR"};

bool is_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding: %XX is a byte, a '%' not followed by two hex digits stays as it is. For a query
// (application/x-www-form-urlencoded, WHATWG URL §5.1) '+' is a space too; in a path segment
// (decodeURIComponent, as Express decodes route parameters) it is itself.
std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 && hex_digit(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

void append_member(std::string& out, std::string_view name, std::string_view value_text) {
  out += ",\"";
  out += name;
  out += "\":";
  json::append_string(out, value_text);
}

}  // namespace

std::string_view to_string(Type t) {
  return kTypeNames[static_cast<std::size_t>(t)];
}

std::optional<Type> type_from_string(std::string_view s) {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
    if (kTypeNames[i] == s) return static_cast<Type>(i);
  }
  return std::nullopt;
}

bool is_held_when_absent(Type t) {
  return t == Type::offer || t == Type::answer || t == Type::candidate;
}

std::string_view to_string(ErrorText e) {
  switch (e) {
    case ErrorText::invalid_key:
      return "Invalid key provided";
    case ErrorText::missing_parameters:
      return "No id, token, or key supplied to websocket server";
    case ErrorText::concurrent_limit:
      return "Server has reached its concurrent user limit";
    case ErrorText::invalid_id:
      return "Invalid id: use letters and digits, joined by single spaces, '_' or '-'";
  }
  return "";
}

std::string_view to_string(DropReason r) {
  switch (r) {
    case DropReason::invalid_json:
      return "invalid-json";
    case DropReason::not_an_object:
      return "not-an-object";
    case DropReason::unknown_type:
      return "unknown-type";
    case DropReason::invalid_dst:
      return "invalid-dst";
  }
  return "";
}

bool is_valid_id(std::string_view id, std::size_t max_bytes) {
  if (id.empty() || id.size() > max_bytes) return false;
  bool after_separator = true;  // the first character must be alphanumeric
  for (const char c : id) {
    if (is_alnum(c)) {
      after_separator = false;
    } else if ((c == ' ' || c == '_' || c == '-') && !after_separator) {
      after_separator = true;
    } else {
      return false;
    }
  }
  return !after_separator;
}

std::variant<ConnectParams, ErrorText> connect_params(std::string_view query, const Limits& limits) {
  ConnectParams p;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const auto eq = pair.find('=');
    const std::string name = percent_decode(pair.substr(0, eq), true);
    std::string value =
        eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true);
    if (name == "key")
      p.key = std::move(value);
    else if (name == "id")
      p.id = std::move(value);
    else if (name == "token")
      p.token = std::move(value);
  }
  if (p.key.empty() || p.id.empty() || p.token.empty()) return ErrorText::missing_parameters;
  if (p.key.size() > limits.max_key_bytes) return ErrorText::invalid_key;
  if (!is_valid_id(p.id, limits.max_id_bytes) || p.token.size() > limits.max_token_bytes) {
    return ErrorText::invalid_id;
  }
  return p;
}

ClientMessage parse_client_message(std::string_view frame, const Limits& limits) {
  std::optional<json::Value> type, dst, payload;
  json::Scanner scanner(frame, limits.max_depth);
  // Duplicate members: the last one counts, as with JSON.parse.
  const bool ok = scanner.object([&](std::string_view key, const json::Value& v) {
    if (key == "type")
      type = v;
    else if (key == "dst")
      dst = v;
    else if (key == "payload")
      payload = v;
    return true;
  });
  if (!ok) {
    const bool valid = json::Scanner(frame, limits.max_depth).document().has_value();
    return Dropped{valid ? DropReason::not_an_object : DropReason::invalid_json};
  }
  std::optional<Type> t;
  if (type && type->kind == json::Kind::string) {
    if (auto name = json::decode_string(type->raw)) t = type_from_string(*name);
  }
  if (!t || *t == Type::open || *t == Type::error || *t == Type::id_taken)
    return Dropped{DropReason::unknown_type};
  if (*t == Type::heartbeat) return msg::Heartbeat{};

  msg::Relay relay;
  relay.type = *t;
  if (dst && dst->kind == json::Kind::string) {
    auto d = json::decode_string(dst->raw);
    if (!d) return Dropped{DropReason::invalid_dst};
    relay.dst = std::move(*d);
  } else if (dst && dst->kind != json::Kind::null) {
    return Dropped{DropReason::invalid_dst};
  }
  if (payload) relay.payload = payload->raw;
  return relay;
}

std::string relay_frame(Type type, std::string_view src, std::string_view dst, std::string_view payload) {
  std::string out;
  out.reserve(40 + src.size() + dst.size() + payload.size());
  out += R"({"type":")";
  out += to_string(type);
  out += '"';
  append_member(out, "src", src);
  append_member(out, "dst", dst);
  if (!payload.empty()) {
    out += ",\"payload\":";
    out += payload;
  }
  out += '}';
  return out;
}

std::string error_frame(ErrorText e) {
  return serialize(msg::Error{std::string(to_string(e))});
}

std::string serialize(const ServerMessage& m) {
  struct Visitor {
    std::string operator()(const msg::Open&) const { return R"({"type":"OPEN"})"; }
    std::string operator()(const msg::IdTaken&) const {
      return R"({"type":"ID-TAKEN","payload":{"msg":"ID is taken"}})";
    }
    std::string operator()(const msg::Error& e) const {
      std::string out = R"({"type":"ERROR","payload":{"msg":)";
      json::append_string(out, e.msg);
      out += "}}";
      return out;
    }
    std::string operator()(const msg::Relayed& r) const {
      return relay_frame(r.type, r.src, r.dst, r.payload ? std::string_view(*r.payload) : std::string_view{});
    }
  };
  return std::visit(Visitor{}, m);
}

std::optional<ServerMessage> parse_server_message(std::string_view frame, const Limits& limits) {
  std::optional<json::Value> type, src, dst, payload;
  json::Scanner scanner(frame, limits.max_depth);
  const bool ok = scanner.object([&](std::string_view key, const json::Value& v) {
    if (key == "type")
      type = v;
    else if (key == "src")
      src = v;
    else if (key == "dst")
      dst = v;
    else if (key == "payload")
      payload = v;
    return true;
  });
  if (!ok || !type || type->kind != json::Kind::string) return std::nullopt;
  const auto name = json::decode_string(type->raw);
  const auto t = name ? type_from_string(*name) : std::nullopt;
  if (!t || *t == Type::heartbeat) return std::nullopt;
  if (*t == Type::open) return msg::Open{};
  if (*t == Type::id_taken) return msg::IdTaken{};
  if (*t == Type::error) {
    std::optional<std::string> text;
    if (payload && payload->kind == json::Kind::object) {
      json::Scanner inner(payload->raw, limits.max_depth);
      inner.object([&](std::string_view key, const json::Value& v) {
        if (key == "msg" && v.kind == json::Kind::string) text = json::decode_string(v.raw);
        return true;
      });
    }
    if (!text) return std::nullopt;
    return msg::Error{std::move(*text)};
  }
  msg::Relayed r;
  r.type = *t;
  const auto text_of = [](const std::optional<json::Value>& v) {
    return v && v->kind == json::Kind::string ? json::decode_string(v->raw).value_or("") : std::string();
  };
  r.src = text_of(src);
  r.dst = text_of(dst);
  if (payload) r.payload = std::string(payload->raw);
  return r;
}

std::string uuid_v4(const std::uint8_t (&random)[16]) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < 16; ++i) {
    std::uint8_t b = random[i];
    if (i == 6) b = static_cast<std::uint8_t>((b & 0x0F) | 0x40);  // version 4
    if (i == 8) b = static_cast<std::uint8_t>((b & 0x3F) | 0x80);  // variant 10
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xF]);
  }
  return out;
}

std::string normalize_path(std::string_view path) {
  std::string p(path);
  if (p.empty() || p.front() != '/') p.insert(p.begin(), '/');
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string websocket_path(std::string_view path) {
  const std::string p = normalize_path(path);
  return p == "/" ? "/peerjs" : p + "/peerjs";
}

HttpRoute http_route(std::string_view target, std::string_view path) {
  const std::string base = normalize_path(path);
  std::string_view rest = target.substr(0, target.find_first_of("?#"));
  // Express matches its mount path without regard to case.
  if (base != "/") {
    if (rest.size() < base.size() || !iequals(rest.substr(0, base.size()), base)) return {};
    rest.remove_prefix(base.size());
    if (!rest.empty() && rest.front() != '/') return {};
  }
  if (!rest.empty()) rest.remove_prefix(1);                        // the '/' after the mount path
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);  // non-strict routing: one trailing '/'
  if (rest.empty()) return {HttpEndpoint::info, {}};
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0) return {};
  const std::string_view action = rest.substr(slash + 1);
  HttpRoute r;
  r.key = percent_decode(rest.substr(0, slash), false);
  if (iequals(action, "id"))
    r.endpoint = HttpEndpoint::id;
  else if (iequals(action, "peers"))
    r.endpoint = HttpEndpoint::peers;
  else
    return {};
  return r;
}

}  // namespace sb::signaling::peerjs
