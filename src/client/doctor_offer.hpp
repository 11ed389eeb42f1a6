// What GET /doctor/config says about a server (docs/doctor.md), and the ICE server URLs in it, parsed
// without I/O (unit-tested in tests/unit/client).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sb::client::doctor {

// stun:HOST:PORT, turn:HOST:PORT?transport=udp|tcp, turns:HOST:PORT (RFC 7064, RFC 7065). Brackets of an
// IPv6 host are removed; the port defaults to 3478 (5349 for turns:).
struct IceUrl {
  std::string scheme;     // "stun", "turn", "turns"
  std::string host;
  std::uint16_t port = 0;
  std::string transport;  // "udp", "tcp" ("tcp" for turns:)
};
std::optional<IceUrl> parse_ice_url(std::string_view url);

struct Offer {
  std::int64_t server_time_ms = 0;
  std::string client_address;
  std::string stun;                  // "" when the server offers no STUN
  std::string stun6;                 // IPv6 stun: URL, or ""
  std::vector<std::string> rfc5780;  // IP1:P1, IP1:P2, IP2:P1, IP2:P2 as stun: URLs; empty without
  std::string turn_udp, turn_tcp, turn_tls;  // "" when not offered
  std::string username, credential;  // TURN REST credentials for this run
  std::optional<bool> relay_to_relay;
  std::optional<bool> relay_to_device;  // the relay may send to the address this device asked from
  bool reports = false;              // POST /doctor/report is on
  std::uint32_t report_max_bytes = 0;
};

// Parses the JSON body; nullopt and `error` set when it is not an offer.
std::optional<Offer> parse_offer(std::string_view json, std::string& error);

}  // namespace sb::client::doctor
