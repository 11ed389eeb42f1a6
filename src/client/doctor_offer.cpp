#include "client/doctor_offer.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

namespace sb::client::doctor {

std::optional<IceUrl> parse_ice_url(std::string_view url) {
  IceUrl out;
  const auto colon = url.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  out.scheme = std::string(url.substr(0, colon));
  if (out.scheme != "stun" && out.scheme != "turn" && out.scheme != "turns") return std::nullopt;
  std::string_view rest = url.substr(colon + 1);
  std::string_view query;
  if (const auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view port_text;
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(rest.substr(1, close - 1));
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return std::nullopt;
    if (!rest.empty()) port_text = rest.substr(1);
  } else if (const auto c = rest.rfind(':'); c != std::string_view::npos) {
    out.host = std::string(rest.substr(0, c));
    port_text = rest.substr(c + 1);
  } else {
    out.host = std::string(rest);
  }
  if (out.host.empty()) return std::nullopt;
  out.port = out.scheme == "turns" ? 5349 : 3478;
  if (!port_text.empty()) {
    unsigned p = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), p);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || p == 0 || p > 65535) return std::nullopt;
    out.port = static_cast<std::uint16_t>(p);
  }
  out.transport = out.scheme == "turns" ? "tcp" : "udp";
  if (query.starts_with("transport=")) out.transport = std::string(query.substr(10));
  if (out.transport != "udp" && out.transport != "tcp") return std::nullopt;
  return out;
}

std::optional<Offer> parse_offer(std::string_view text, std::string& error) {
  using json = nlohmann::json;
  try {
    const json j = json::parse(text);
    Offer o;
    auto str = [&](const json& v, const char* key) {
      const auto it = v.find(key);
      return it != v.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    o.server_time_ms = j.value("serverTime", std::int64_t{0});
    o.client_address = str(j, "clientAddress");
    o.stun = str(j, "stun");
    o.stun6 = str(j, "stun6");
    if (j.contains("rfc5780") && j["rfc5780"].is_array()) o.rfc5780 = j["rfc5780"].get<std::vector<std::string>>();
    if (const auto t = j.find("turn"); t != j.end() && t->is_object()) {
      o.turn_udp = str(*t, "udp");
      o.turn_tcp = str(*t, "tcp");
      o.turn_tls = str(*t, "tls");
      o.username = str(*t, "username");
      o.credential = str(*t, "credential");
    }
    if (const auto r = j.find("relayToRelay"); r != j.end() && r->is_boolean()) o.relay_to_relay = r->get<bool>();
    if (const auto r = j.find("relayToDevice"); r != j.end() && r->is_boolean()) o.relay_to_device = r->get<bool>();
    o.reports = j.value("reports", false);
    o.report_max_bytes = j.value("reportMaxBytes", std::uint32_t{0});
    if (o.rfc5780.size() != 4) o.rfc5780.clear();
    return o;
  } catch (const std::exception& e) {  // parse errors and wrong types
    error = e.what();
    return std::nullopt;
  }
}

}  // namespace sb::client::doctor
