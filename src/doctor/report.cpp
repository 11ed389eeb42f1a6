#include "doctor/report.hpp"

#include <array>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace sb::doctor {
namespace {

using json = nlohmann::json;

constexpr std::array<std::string_view, 3> kStatus = {"pass", "fail", "unknown"};
constexpr std::array<std::string_view, 5> kMapping = {"unknown", "none", "endpoint-independent", "address-dependent",
                                                      "address-and-port-dependent"};
constexpr std::array<std::string_view, 4> kFiltering = {"unknown", "endpoint-independent", "address-dependent",
                                                        "address-and-port-dependent"};
constexpr std::array<std::string_view, 7> kTurnError = {"none", "unreachable", "unauthorized", "forbidden",
                                                        "quota", "tls", "other"};
constexpr std::array<std::string_view, 3> kSeverity = {"ok", "warn", "bad"};

template <class E, std::size_t N>
E enum_from(const json& j, const char* field, const std::array<std::string_view, N>& names) {
  if (!j.is_string()) throw std::invalid_argument(std::string(field) + ": not a string");
  const auto& s = j.get_ref<const std::string&>();
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == s) return static_cast<E>(i);
  }
  throw std::invalid_argument(std::string(field) + ": unknown value '" + s.substr(0, 40) + "'");
}

json opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }
json opt(const std::optional<bool>& v) { return v ? json(*v) : json(nullptr); }

// Reads optional members of one JSON object with type and size checks; absent or null members keep
// the target's default.
class Reader {
 public:
  Reader(const json& j, std::string where, std::size_t max_string)
      : j_(j), where_(std::move(where)), max_(max_string) {
    if (!j_.is_object()) throw std::invalid_argument(where_ + ": not an object");
  }

  const json* find(const char* key) const {
    auto it = j_.find(key);
    return it == j_.end() || it->is_null() ? nullptr : &*it;
  }
  std::string name(const char* key) const { return where_ + "." + key; }

  void str(const char* key, std::string& out) const {
    if (const json* v = find(key)) {
      if (!v->is_string()) throw std::invalid_argument(name(key) + ": not a string");
      if (v->get_ref<const std::string&>().size() > max_) throw std::invalid_argument(name(key) + ": too long");
      out = v->get<std::string>();
    }
  }
  void num(const char* key, std::optional<double>& out) const {
    if (const json* v = find(key)) {
      if (!v->is_number()) throw std::invalid_argument(name(key) + ": not a number");
      out = v->get<double>();
    }
  }
  void flag(const char* key, bool& out) const {
    if (const json* v = find(key)) {
      if (!v->is_boolean()) throw std::invalid_argument(name(key) + ": not a boolean");
      out = v->get<bool>();
    }
  }
  void flag(const char* key, std::optional<bool>& out) const {
    bool b = false;
    if (find(key)) {
      flag(key, b);
      out = b;
    }
  }
  template <class Int>
  void integer(const char* key, Int& out, Int max) const {
    if (const json* v = find(key)) {
      if (!v->is_number_integer() || v->get<std::int64_t>() < 0 || v->get<std::int64_t>() > static_cast<std::int64_t>(max)) {
        throw std::invalid_argument(name(key) + ": not an integer in 0.." + std::to_string(max));
      }
      out = static_cast<Int>(v->get<std::int64_t>());
    }
  }
  template <class E, std::size_t N>
  void enumeration(const char* key, E& out, const std::array<std::string_view, N>& names) const {
    if (const json* v = find(key)) out = enum_from<E>(*v, name(key).c_str(), names);
  }
  Reader child(const char* key) const {
    const json* v = find(key);
    static const json empty = json::object();
    return Reader(v ? *v : empty, name(key), max_);
  }

 private:
  const json& j_;
  std::string where_;
  std::size_t max_;
};

json turn_json(const TurnCheck& t) {
  return {{"status", to_string(t.status)}, {"offered", t.offered}, {"port", t.port},
          {"error", to_string(t.error)},   {"code", t.code},       {"rttMs", opt(t.rtt_ms)},
          {"relayAddress", t.relay_address}, {"detail", t.detail}};
}

TurnCheck turn_from(const Reader& r) {
  TurnCheck t;
  r.enumeration("status", t.status, kStatus);
  r.flag("offered", t.offered);
  r.integer("port", t.port, std::uint16_t{65535});
  r.enumeration("error", t.error, kTurnError);
  r.integer("code", t.code, 699);
  r.num("rttMs", t.rtt_ms);
  r.str("relayAddress", t.relay_address);
  r.str("detail", t.detail);
  return t;
}

json media_json(const MediaCheck& m) {
  return {{"status", to_string(m.status)},   {"transport", m.transport}, {"path", m.path},
          {"error", to_string(m.error)},
          {"code", m.code},                   {"sent", m.sent},           {"received", m.received},
          {"lossPercent", opt(m.loss_percent)}, {"throughputKbps", opt(m.throughput_kbps)},
          {"rttMs", opt(m.rtt_ms)},           {"detail", m.detail}};
}

MediaCheck media_from(const Reader& r) {
  MediaCheck m;
  r.enumeration("status", m.status, kStatus);
  r.str("transport", m.transport);
  r.str("path", m.path);
  r.enumeration("error", m.error, kTurnError);
  r.integer("code", m.code, 699);
  r.integer("sent", m.sent, std::uint32_t{100'000'000});
  r.integer("received", m.received, std::uint32_t{100'000'000});
  r.num("lossPercent", m.loss_percent);
  r.num("throughputKbps", m.throughput_kbps);
  r.num("rttMs", m.rtt_ms);
  r.str("detail", m.detail);
  return m;
}

void read_checks(const Reader& r, Facts& f) {
  const auto sig = r.child("signaling");
  sig.enumeration("status", f.signaling.status, kStatus);
  sig.num("rttMs", f.signaling.rtt_ms);
  sig.num("clockOffsetMs", f.signaling.clock_offset_ms);
  sig.str("detail", f.signaling.detail);
  const auto stun = r.child("stun");
  stun.enumeration("status", f.stun.status, kStatus);
  stun.num("rttMs", f.stun.rtt_ms);
  stun.str("publicAddress", f.stun.public_address);
  stun.str("localAddress", f.stun.local_address);
  stun.flag("behindNat", f.stun.behind_nat);
  stun.str("detail", f.stun.detail);
  const auto nat = r.child("nat");
  nat.enumeration("status", f.nat.status, kStatus);
  nat.str("method", f.nat.method);
  nat.enumeration("mapping", f.nat.mapping, kMapping);
  nat.enumeration("filtering", f.nat.filtering, kFiltering);
  nat.flag("portPreserving", f.nat.port_preserving);
  nat.str("detail", f.nat.detail);
  f.turn_udp = turn_from(r.child("turnUdp"));
  f.turn_tcp = turn_from(r.child("turnTcp"));
  f.turn_tls = turn_from(r.child("turnTls"));
  const auto v6 = r.child("ipv6");
  v6.enumeration("status", f.ipv6.status, kStatus);
  v6.str("address", f.ipv6.address);
  v6.str("detail", f.ipv6.detail);
  f.media = media_from(r.child("media"));
}

}  // namespace

std::string_view to_string(Status s) { return kStatus.at(static_cast<std::size_t>(s)); }
std::string_view to_string(Mapping m) { return kMapping.at(static_cast<std::size_t>(m)); }
std::string_view to_string(Filtering f) { return kFiltering.at(static_cast<std::size_t>(f)); }
std::string_view to_string(TurnError e) { return kTurnError.at(static_cast<std::size_t>(e)); }
std::string_view to_string(Severity s) { return kSeverity.at(static_cast<std::size_t>(s)); }

TurnError turn_error_of(int code) {
  switch (code) {
    case 401: return TurnError::unauthorized;
    case 403: return TurnError::forbidden;
    case 486: return TurnError::quota;
    default: return TurnError::other;
  }
}

json to_json(const Facts& f) {
  return {
      {"client", {{"kind", f.client.kind}, {"agent", f.client.agent}, {"turnTls", f.client.turn_tls}}},
      {"server",
       {{"url", f.server.url}, {"stun", f.server.stun}, {"rfc5780", f.server.rfc5780},
        {"relayToRelay", opt(f.server.relay_to_relay)}, {"relayToDevice", opt(f.server.relay_to_device)}}},
      {"signaling",
       {{"status", to_string(f.signaling.status)}, {"rttMs", opt(f.signaling.rtt_ms)},
        {"clockOffsetMs", opt(f.signaling.clock_offset_ms)}, {"detail", f.signaling.detail}}},
      {"stun",
       {{"status", to_string(f.stun.status)}, {"rttMs", opt(f.stun.rtt_ms)}, {"publicAddress", f.stun.public_address},
        {"localAddress", f.stun.local_address}, {"behindNat", opt(f.stun.behind_nat)}, {"detail", f.stun.detail}}},
      {"nat",
       {{"status", to_string(f.nat.status)}, {"method", f.nat.method}, {"mapping", to_string(f.nat.mapping)},
        {"filtering", to_string(f.nat.filtering)}, {"portPreserving", opt(f.nat.port_preserving)},
        {"detail", f.nat.detail}}},
      {"turnUdp", turn_json(f.turn_udp)},
      {"turnTcp", turn_json(f.turn_tcp)},
      {"turnTls", turn_json(f.turn_tls)},
      {"ipv6", {{"status", to_string(f.ipv6.status)}, {"address", f.ipv6.address}, {"detail", f.ipv6.detail}}},
      {"media", media_json(f.media)},
  };
}

json to_json(const Verdict& v) {
  return {{"code", v.code},         {"severity", to_string(v.severity)}, {"text", v.text},
          {"evidence", v.evidence}, {"operator", v.operator_line}};
}

json to_json(const Report& r) {
  return {{"version", r.version},           {"startedAt", r.started_at}, {"durationMs", r.duration_ms},
          {"facts", to_json(r.facts)},      {"verdict", to_json(r.verdict)}};
}

Facts facts_from_json(const json& j, std::size_t max_string) {
  const Reader r(j, "facts", max_string);
  Facts f;
  const auto client = r.child("client");
  client.str("kind", f.client.kind);
  client.str("agent", f.client.agent);
  client.flag("turnTls", f.client.turn_tls);
  const auto server = r.child("server");
  server.str("url", f.server.url);
  server.flag("stun", f.server.stun);
  server.flag("rfc5780", f.server.rfc5780);
  server.flag("relayToRelay", f.server.relay_to_relay);
  server.flag("relayToDevice", f.server.relay_to_device);
  read_checks(r, f);
  return f;
}

Report report_from_json(const json& j, std::size_t max_string) {
  const Reader r(j, "report", max_string);
  Report out;
  r.integer("version", out.version, 1000);
  if (out.version != kReportVersion) throw std::invalid_argument("report.version: unsupported");
  r.str("startedAt", out.started_at);
  std::optional<double> d;
  r.num("durationMs", d);
  out.duration_ms = d.value_or(0);
  const json* facts = r.find("facts");
  if (!facts) throw std::invalid_argument("report.facts: missing");
  out.facts = facts_from_json(*facts, max_string);
  r.child("verdict").str("code", out.verdict.code);  // callers recompute the rest from the facts
  return out;
}

}  // namespace sb::doctor
