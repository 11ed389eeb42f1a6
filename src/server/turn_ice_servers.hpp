// The TURN entry of `joined.iceServers` (wiring between the TURN and signaling cores; it touches no socket): the relay's turn:/turns: URLs with fresh TURN REST API
// credentials for every join (username "<expiry>:<user>", password base64(HMAC-SHA1(secret, username)),
// where <user> is the request's user: the connection, or the identity), so browsers relay with no static
// password anywhere. TURN's per-user quota then counts the connection: joining again does not reset it. When the TURN front end also answers
// STUN Binding, the stun: URL of those shared ports comes first, as its own RTCIceServer.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/ice_servers.hpp"
#include "util/clock.hpp"

namespace sb::server {

struct TurnIceServersOptions {
  std::string host;                // as clients reach the server (name or IP; IPv6 without brackets)
  std::uint16_t port = 3478;       // turn: over UDP (the bound port, as printed `listening turn-udp`)
  std::uint16_t tcp_port = 3478;   // turn: over TCP (`listening turn-tcp`); 0 = not offered
  std::uint16_t tls_port = 0;      // turns: over TLS; 0 = not offered
  std::string secret;              // the REST secret credentials are minted with (the first configured)
  std::int64_t ttl_seconds = 600;
  std::string stun_url;  // "stun:HOST:PORT" when the same front end answers Binding; "" = none
};

class TurnIceServers final : public signaling::IceServerSource {
 public:
  TurnIceServers(TurnIceServersOptions options, std::shared_ptr<const util::Clock> clock);
  // Thread-safe (immutable state; minting is a pure function of the clock).
  std::vector<signaling::IceServer> ice_servers_for(const signaling::IceServerRequest& request) override;
  // The same for TURN user `user` with credentials valid for `ttl_seconds` instead (the doctor's short-lived ones).
  std::vector<signaling::IceServer> ice_servers_for(std::string_view user, std::int64_t ttl_seconds) const;

  const std::vector<std::string>& urls() const { return urls_; }

 private:
  TurnIceServersOptions options_;
  std::shared_ptr<const util::Clock> clock_;
  std::vector<std::string> urls_;
};

}  // namespace sb::server
