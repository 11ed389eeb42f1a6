// STUN inside `signalbox` (unless --no-stun): the Binding service's listeners, its metrics
// (signalbox_stun_*) and the `stun:HOST:PORT` entry of `joined.iceServers`.
//
// STUN shares its ports with TURN (RFC 8656 §3.1), and there is one front end for both: net::TurnService
// (turn_setup.hpp's make_front_end()). When TURN runs, that service answers Binding beside TURN, prints the
// stun-* listening lines and advertises the stun: URL with its bound port; add_stun() must then be told so
// (`served_by_turn`) and binds nothing itself. With --no-turn, add_stun() runs the same front end with TURN
// off (UDP, TCP, and TLS when a certificate is configured), printed as `listening
// stun-udp|stun-udp-alt|stun-tcp|stun-tls HOST:PORT` (stun-udp-alt: RFC 5780's other addresses).
//
//   const bool stun_in_turn = add_turn(app);
//   add_stun(app, stun_in_turn);
#pragma once

#include <optional>
#include <string>

#include "server/app.hpp"
#include "server/config.hpp"
#include "stun/service.hpp"

namespace sb::server {

void add_stun(App& app, bool served_by_turn);

// stun::ServiceConfig from the configuration's STUN section for listeners bound to `primary` (the first
// UDP listen address). RFC 5780 discovery is enabled when --stun-alt-address is set and primary is a
// concrete address. Throws std::runtime_error on unusable addresses.
stun::ServiceConfig stun_service_config(const StunConfig& c, const std::optional<stun::TransportAddress>& primary);

// The `stun:` URL of `joined.iceServers` (RFC 7064): --stun-public-address (HOST or HOST:PORT) if set,
// else `bound`, the actually bound UDP address (a wildcard becomes the first non-loopback IPv4 interface
// address). Empty when there is nothing to advertise.
std::string stun_url(const StunConfig& c, std::optional<stun::TransportAddress> bound);

// "HOST:PORT" or "[V6]:PORT" (IP literals only; names are not resolved here) → TransportAddress.
stun::TransportAddress parse_stun_address(const std::string& text, const char* option);

}  // namespace sb::server
