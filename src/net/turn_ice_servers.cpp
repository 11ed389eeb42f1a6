#include "net/turn_ice_servers.hpp"

#include "turn/auth.hpp"

namespace sb::net {

TurnIceServers::TurnIceServers(TurnIceServersOptions options, std::shared_ptr<const util::Clock> clock)
    : options_(std::move(options)), clock_(std::move(clock)) {
  const bool v6 = options_.host.find(':') != std::string::npos;
  const std::string host = v6 ? "[" + options_.host + "]" : options_.host;
  // RFC 7065 URIs; UDP first: browsers try the URLs in order of preference anyway.
  const std::string port = std::to_string(options_.port);
  urls_.push_back("turn:" + host + ":" + port + "?transport=udp");
  urls_.push_back("turn:" + host + ":" + port + "?transport=tcp");
  if (options_.tls_port != 0) urls_.push_back("turns:" + host + ":" + std::to_string(options_.tls_port) + "?transport=tcp");
}

std::vector<signaling::IceServer> TurnIceServers::ice_servers_for(std::string_view peer_id) {
  auto cred = turn::mint_rest_credential(options_.secret, peer_id, clock_->unix_seconds(), options_.ttl_seconds);
  return {signaling::IceServer{urls_, std::move(cred.username), std::move(cred.password)}};
}

}  // namespace sb::net
