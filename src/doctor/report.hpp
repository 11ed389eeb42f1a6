// The connectivity doctor's report (docs/doctor.md): what was measured from one device against one
// signalbox, as plain values. The native client (src/client/doctor*) and the page (web/doctor/) fill the
// same facts; verdict.hpp turns them into the verdict; the server re-reads posted reports with
// report_from_json() and recomputes the verdict itself.
//
// The JSON form (camelCase keys) is the one the page builds in web/doctor/verdict.js; tests/doctor/
// vectors.json holds facts both implementations are checked against. No I/O here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace sb::doctor {

inline constexpr int kReportVersion = 1;

// Every check resolves to one of these; `unknown` covers "not offered", "not measurable here" and "not run".
enum class Status : std::uint8_t { pass, fail, unknown };

// RFC 4787 §4.1 / RFC 5780 §4.3 mapping; `none`: no NAT (the mapped address is the local one).
enum class Mapping : std::uint8_t { unknown, none, endpoint_independent, address_dependent, address_and_port_dependent };
// RFC 4787 §5 / RFC 5780 §4.4 filtering.
enum class Filtering : std::uint8_t { unknown, endpoint_independent, address_dependent, address_and_port_dependent };

// Why a TURN step failed, told apart as the issue asks: no answer at all, 401 (credentials or clock), 403
// (policy), 486 (quota), the TLS handshake, or another error code.
enum class TurnError : std::uint8_t { none, unreachable, unauthorized, forbidden, quota, tls, other };

std::string_view to_string(Status s);
std::string_view to_string(Mapping m);
std::string_view to_string(Filtering f);
std::string_view to_string(TurnError e);
// The TurnError of a STUN error code (401, 403, 486; anything else is `other`).
TurnError turn_error_of(int code);

struct SignalingCheck {
  Status status = Status::unknown;
  std::optional<double> rtt_ms;           // median of a few application pings
  std::optional<double> clock_offset_ms;  // server clock minus this device's clock
  std::string detail;                     // why it failed
};

struct StunCheck {
  Status status = Status::unknown;
  std::optional<double> rtt_ms;
  std::string public_address;        // the server-reflexive address, "IP:PORT"
  std::string local_address;         // empty when the client cannot see it (a browser hiding host addresses)
  std::optional<bool> behind_nat;    // public != local; nullopt when the local address is unknown
  std::string detail;
};

struct NatCheck {
  Status status = Status::unknown;
  std::string method;  // "rfc5780" (native tests), "estimate" (several srflx in a browser), "" (not run)
  Mapping mapping = Mapping::unknown;
  Filtering filtering = Filtering::unknown;
  std::optional<bool> port_preserving;
  std::string detail;
};

struct TurnCheck {
  Status status = Status::unknown;
  bool offered = false;  // the server hands out a URL for this transport
  std::uint16_t port = 0;
  TurnError error = TurnError::none;
  int code = 0;  // the STUN error code, when there was one
  std::optional<double> rtt_ms;
  std::string relay_address;
  std::string detail;
};

struct Ipv6Check {
  Status status = Status::unknown;
  std::string address;
  std::string detail;
};

// Data through the relay and back to this device. Where UDP works it comes from the relay's port to this
// device's own public address, the path a call with a peer outside takes ("relay-to-device"); where it does
// not, from one allocation of this device to another ("relay-to-relay"). The page: a data channel between a
// peer connection forced to relay and one that is not (or, UDP blocked, is too); the native client: Send and
// Data indications.
struct MediaCheck {
  Status status = Status::unknown;
  std::string transport;  // "udp", "tcp", "tls": how this device reached the relay
  std::string path;       // "relay-to-device", "relay-to-relay", "" (not run)
  TurnError error = TurnError::none;
  int code = 0;
  std::uint32_t sent = 0;
  std::uint32_t received = 0;
  std::optional<double> loss_percent;
  std::optional<double> throughput_kbps;
  std::optional<double> rtt_ms;
  std::string detail;
};

struct ClientInfo {
  std::string kind;   // "browser" or "native"
  std::string agent;  // user agent or client version
  bool turn_tls = true;  // can this client's ICE stack use turns: in a call? (libnice 0.1.21 cannot)
};

struct ServerOffer {
  std::string url;  // the page or WebSocket the doctor ran against
  bool stun = false;
  bool rfc5780 = false;
  std::optional<bool> relay_to_relay;  // the relay carries data between two of its own allocations
  std::optional<bool> relay_to_device;  // the relay's peer policy admits the address the doctor ran from
};

struct Facts {
  ClientInfo client;
  ServerOffer server;
  SignalingCheck signaling;
  StunCheck stun;
  NatCheck nat;
  TurnCheck turn_udp, turn_tcp, turn_tls;
  Ipv6Check ipv6;
  MediaCheck media;
};

enum class Severity : std::uint8_t { ok, warn, bad };
std::string_view to_string(Severity s);

struct Verdict {
  std::string code;  // stable, for metrics and tests: "direct", "symmetric-relay", ...
  Severity severity = Severity::ok;
  std::string text;                   // one sentence for a non-expert
  std::vector<std::string> evidence;  // one line per check
  std::string operator_line;          // what to deploy
};

struct Report {
  int version = kReportVersion;
  std::string started_at;  // ISO 8601 UTC
  double duration_ms = 0;
  Facts facts;
  Verdict verdict;
};

nlohmann::json to_json(const Facts& f);
nlohmann::json to_json(const Verdict& v);
nlohmann::json to_json(const Report& r);

// Reads facts (the "facts" object of a report). Throws std::invalid_argument naming the first bad field:
// a wrong type, an unknown enum name, a string over `max_string` bytes. Missing fields keep their defaults.
Facts facts_from_json(const nlohmann::json& j, std::size_t max_string = 256);
// A whole report; the verdict in it is read but callers should recompute it from the facts.
Report report_from_json(const nlohmann::json& j, std::size_t max_string = 256);

}  // namespace sb::doctor
