#include "server/turn_ice_servers.hpp"

#include "turn/auth.hpp"

namespace sb::server {

TurnIceServers::TurnIceServers(TurnIceServersOptions options, std::shared_ptr<const util::Clock> clock)
    : options_(std::move(options)), clock_(std::move(clock)) {
  const bool v6 = options_.host.find(':') != std::string::npos;
  const std::string host = v6 ? "[" + options_.host + "]" : options_.host;
  // RFC 7065 URIs; UDP first: browsers try the URLs in order of preference anyway.
  // Each transport names the port its own listener bound (they differ when both were asked for port 0).
  if (options_.port != 0)
    urls_.push_back("turn:" + host + ":" + std::to_string(options_.port) + "?transport=udp");
  if (options_.tcp_port != 0) {
    urls_.push_back("turn:" + host + ":" + std::to_string(options_.tcp_port) + "?transport=tcp");
  }
  if (options_.tls_port != 0) urls_.push_back("turns:" + host + ":" + std::to_string(options_.tls_port) + "?transport=tcp");
}

std::vector<signaling::IceServer> TurnIceServers::ice_servers_for(const signaling::IceServerRequest& request) {
  return ice_servers_for(request.user, options_.ttl_seconds);
}

std::vector<signaling::IceServer> TurnIceServers::ice_servers_for(std::string_view user,
                                                                  std::int64_t ttl_seconds) const {
  auto cred = turn::mint_rest_credential(options_.secret, user, clock_->unix_seconds(), ttl_seconds);
  std::vector<signaling::IceServer> out;
  if (!options_.stun_url.empty())
    out.push_back(signaling::IceServer{{options_.stun_url}, std::nullopt, std::nullopt});
  if (!urls_.empty())
    out.push_back(signaling::IceServer{urls_, std::move(cred.username), std::move(cred.password)});
  return out;
}

}  // namespace sb::server
