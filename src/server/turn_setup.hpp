// Wiring of the TURN relay into `signalbox`: the configuration's TURN and STUN sections become a
// turn::TurnShared (credentials, peer policy, quotas), a net::TurnService (the UDP/TCP/TLS front end on
// the STUN ports, which also answers Binding) and the IceServerSource that hands every peer fresh TURN
// REST credentials in `joined`. make_front_end() is the part STUN alone (--no-turn) uses too.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "server/turn_ice_servers.hpp"
#include "net/turn_service.hpp"
#include "server/config.hpp"
#include "turn/shared.hpp"
#include "util/clock.hpp"
#include "util/metrics.hpp"

namespace sb::server {

// The STUN/TURN front end as the configuration describes it, TURN or not: UDP and TCP on --stun-listen, TLS
// on --stun-tls-listen (when `tls` is set), --turn-threads workers, the TCP/TLS limits (--turn-tcp-*,
// --turn-tls-handshake-timeout) and the Binding service (unless --no-stun; RFC 5780 with --stun-alt-address).
struct FrontEnd {
  net::TurnServiceOptions options;                 // no relay addresses: make_turn adds them
  std::shared_ptr<boost::asio::ssl::context> tls;  // --turn-tls-cert, else the HTTPS context; null = no TLS
};
FrontEnd make_front_end(const Config& config, std::shared_ptr<boost::asio::ssl::context> http_tls);

struct TurnSetup {
  std::shared_ptr<turn::TurnShared> shared;
  std::unique_ptr<net::TurnService> service;      // bound, not started
  std::shared_ptr<TurnIceServers> ice_servers;
  std::shared_ptr<boost::asio::ssl::context> tls;  // turns: context (kept alive for the workers)
  bool generated_secret = false;                   // no --turn-secret: a random one was made
};

// Builds and binds the TURN service (nothing runs until service->start()). `http_tls` is the HTTPS
// context (from --tls-cert or --self-signed), reused for turns: unless --turn-tls-cert is set; null =
// no TLS. Throws std::runtime_error with a readable message (bad address, port in use, ...).
// The service's workers register their metrics in `registry`.
TurnSetup make_turn(const Config& config, std::shared_ptr<boost::asio::ssl::context> http_tls,
                    std::shared_ptr<const util::Clock> clock, metrics::Registry& registry);

// The relayed-address IP when none is configured: the listen IP if it is specific, else the first
// non-loopback IPv4 interface address, else 127.0.0.1.
std::string default_relay_ip(const Config& config);

// Every address of this host's interfaces (what the peer policy never relays to); the doctor advertises a
// wildcard IPv6 STUN listener with one of them.
std::vector<std::string> host_addresses();

}  // namespace sb::server
