#include "server/turn_setup.hpp"

#include <stdexcept>

#include "net/host_addresses.hpp"
#include "net/tls.hpp"
#include "server/stun_app.hpp"
#include "turn/auth.hpp"
#include "turn/peer_policy.hpp"
#include "util/address.hpp"
#include "util/random.hpp"

namespace sb::server {

namespace {

// Every address a host name resolves to (A and AAAA); a start-up error when it resolves to none.
std::vector<stun::TransportAddress> resolve_all(const std::string& host, const char* option) {
  auto out = net::resolve_host(host);
  if (out.empty()) throw std::runtime_error(std::string("--") + option + ": cannot resolve '" + host + "'");
  return out;
}

// HOST:PORT → address; a host name is resolved (first result).
stun::TransportAddress resolve(const std::string& text, const char* option) {
  const auto hp = util::parse_host_port(text);
  if (!hp) throw std::runtime_error(std::string("--") + option + ": '" + text + "' is not HOST:PORT");
  if (auto ip = util::parse_ip(hp->host)) return {*ip, hp->port};
  auto a = resolve_all(hp->host, option).front();
  a.port = hp->port;
  return a;
}


turn::TurnConfig core_config(const Config& c) {
  const TurnConfig& t = c.turn;
  turn::TurnConfig k;
  k.realm = t.realm;
  k.software = c.stun.software;
  k.default_lifetime = std::chrono::seconds(t.default_lifetime_s);
  k.max_lifetime = std::chrono::seconds(t.max_lifetime_s);
  k.nonce_lifetime = std::chrono::seconds(t.nonce_lifetime_s);
  k.max_allocations = t.max_allocations;
  k.max_allocations_per_user = t.user_quota;
  k.max_allocations_per_ip = t.allocations_per_ip;
  k.max_permissions_per_allocation = t.max_permissions;
  k.max_channels_per_allocation = t.max_channels;
  k.bandwidth_bytes_per_s = std::uint64_t{t.bandwidth_kbps} * 125;
  k.total_bandwidth_bytes_per_s = std::uint64_t{t.total_bandwidth_kbps} * 125;
  k.min_port = t.min_port;
  k.max_port = t.max_port;
  k.rfc5766_channels = t.rfc5766_channels;
  k.unauthorized_rate = t.auth_failure_rate;
  k.unauthorized_burst = static_cast<std::uint32_t>(t.auth_failure_rate * 2) + 1;
  return k;
}

std::shared_ptr<const turn::CredentialSource> credentials(const TurnConfig& t, const std::vector<std::string>& secrets) {
  auto users = std::make_shared<turn::StaticCredentials>(t.realm);
  for (const auto& u : t.users) {
    const auto colon = u.find(':');
    users->add_password(u.substr(0, colon), std::string_view(u).substr(colon + 1));
  }
  auto chain = std::make_shared<turn::ChainedCredentials>();
  chain->add(users);
  chain->add(std::make_shared<turn::RestCredentials>(secrets));
  return chain;
}

std::shared_ptr<boost::asio::ssl::context> turn_tls(const Config& c, std::shared_ptr<boost::asio::ssl::context> http) {
  if (!c.turn.tls_cert.empty()) return net::tls_context_from_files(c.turn.tls_cert, c.turn.tls_key);
  return http;
}

}  // namespace

namespace {

stun::TransportAddress relay_ip(std::string_view text, const char* option) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  const auto ip = util::parse_ip(text);
  if (!ip) throw std::runtime_error(std::string("--") + option + ": '" + std::string(text) + "' is not an IP address");
  return {*ip, 0};
}

// The relay IPs: --turn-relay-address (one per family), else the first concrete IPv4 listen address, else
// the first non-loopback IPv4 interface address, else 127.0.0.1.
std::vector<stun::TransportAddress> relay_ips(const Config& config) {
  std::vector<stun::TransportAddress> out;
  for (const auto& text : config.turn.relay_addresses) out.push_back(relay_ip(text, "turn-relay-address"));
  if (!out.empty()) return out;
  for (const auto& l : config.stun.listen) {
    const auto a = resolve(l, "stun-listen");
    if (a.is_v4() && !a.ip.is_unspecified()) return {{a.ip, 0}};
  }
  return {{net::first_non_loopback_v4(), 0}};
}

}  // namespace

std::string default_relay_ip(const Config& config) {
  const auto ips = relay_ips(config);
  for (const auto& a : ips) {
    if (a.is_v4()) return a.ip_string();
  }
  return ips.front().ip_string();
}

namespace {

// Relay sockets bind the relay IP of each family; XOR-RELAYED-ADDRESS names the external IP of that
// family when one is configured (1:1 NAT), else the relay IP.
void set_relay_addresses(const Config& c, net::TurnWorkerOptions& w) {
  for (const auto& a : relay_ips(c)) (a.is_v4() ? w.relay_v4 : w.relay_v6) = a;
  for (const auto& text : c.turn.external_addresses) {
    const auto ext = relay_ip(text, "turn-external-address");
    if (!(ext.is_v4() ? w.relay_v4 : w.relay_v6)) {
      throw std::runtime_error("--turn-external-address " + text + ": no --turn-relay-address of its family");
    }
    (ext.is_v4() ? w.external_v4 : w.external_v6) = ext;
  }
}

// What clients see as relayed IPs (the core hands data between two of its allocations inside the server).
std::vector<stun::TransportAddress> advertised_relay_ips(const net::TurnWorkerOptions& w) {
  std::vector<stun::TransportAddress> out;
  if (w.relay_v4) out.push_back(w.external_v4 ? *w.external_v4 : *w.relay_v4);
  if (w.relay_v6) out.push_back(w.external_v6 ? *w.external_v6 : *w.relay_v6);
  return out;
}

// The server's own addresses, which the peer policy denies: every interface address, the external
// addresses, and the --stun-public-address host (every address it resolves to).
std::vector<util::IpAddress> own_addresses(const Config& c, const net::TurnWorkerOptions& w) {
  std::vector<util::IpAddress> own = net::interface_addresses();
  if (w.external_v4) own.push_back(w.external_v4->ip);
  if (w.external_v6) own.push_back(w.external_v6->ip);
  if (auto pub = util::parse_host_optional_port(c.stun.public_address)) {
    if (const auto ip = util::parse_ip(pub->host)) {
      own.push_back(*ip);
    } else {
      for (const auto& a : resolve_all(pub->host, "stun-public-address")) own.push_back(a.ip);
    }
  }
  return own;
}

void set_stream_limits(const TurnConfig& t, net::TurnServiceOptions& o) {
  o.connections_per_ip = t.tcp_connections_per_ip;
  o.worker.tls_handshake_timeout = util::seconds_to_ms(t.tls_handshake_timeout_s);
  o.worker.first_request_timeout = util::seconds_to_ms(t.tcp_first_request_timeout_s);
  o.worker.idle_timeout = util::seconds_to_ms(t.tcp_idle_timeout_s);
  o.worker.frame_timeout = util::seconds_to_ms(t.tcp_frame_timeout_s);
}

// The front end answers Binding too, with the STUN section's settings (stun_app.hpp); for RFC 5780 it binds
// the alternate address's combinations itself (net/turn_service.hpp). With --no-stun there are no STUN
// listeners, but Binding on the TURN ports is still answered (ICE asks a TURN server for the client's
// server-reflexive address), by the same service with no RFC 5780: one Binding handler in the project.
void set_stun(const Config& c, net::TurnWorkerOptions& w) {
  if (c.stun.disabled) {
    w.stun = stun::ServiceConfig{};
    return;
  }
  std::optional<stun::TransportAddress> primary;
  if (!w.udp_listen.empty()) primary = w.udp_listen.front();
  w.stun = stun_service_config(c.stun, primary);
}

// Where clients reach the relay: --stun-public-address (HOST[:PORT]) if set, else the listen address,
// else (wildcard listen) the relay IP. The ports are the ones actually bound, per transport.
TurnIceServersOptions ice_options(const Config& c,
                                       const std::vector<std::pair<std::string, stun::TransportAddress>>& listening) {
  TurnIceServersOptions ice;
  ice.port = ice.tcp_port = 0;
  std::optional<stun::TransportAddress> first_udp;
  for (const auto& [proto, addr] : listening) {
    if (proto == "turn-udp" && !first_udp) {
      first_udp = addr;
      ice.port = addr.port;
      ice.host = addr.ip.is_unspecified() ? default_relay_ip(c) : addr.ip_string();
    }
    if (proto == "turn-tcp" && ice.tcp_port == 0) ice.tcp_port = addr.port;
    if (proto == "turn-tls" && ice.tls_port == 0) ice.tls_port = addr.port;
  }
  if (!c.stun.disabled) ice.stun_url = stun_url(c.stun, first_udp);
  if (auto pub = util::parse_host_optional_port(c.stun.public_address)) {
    ice.host = pub->host;
    if (pub->port) ice.port = ice.tcp_port = *pub->port;
  }
  return ice;
}

}  // namespace

FrontEnd make_front_end(const Config& config, std::shared_ptr<boost::asio::ssl::context> http_tls) {
  FrontEnd out;
  out.options.threads = config.turn.threads;
  set_stream_limits(config.turn, out.options);
  auto& w = out.options.worker;
  for (const auto& l : config.stun.listen) {
    w.udp_listen.push_back(resolve(l, "stun-listen"));
    w.tcp_listen.push_back(w.udp_listen.back());
  }
  out.tls = turn_tls(config, std::move(http_tls));
  if (out.tls) {
    w.tls_ctx = out.tls->native_handle();
    for (const auto& l : config.stun.tls_listen) w.tls_listen.push_back(resolve(l, "stun-tls-listen"));
  }
  set_stun(config, w);
  return out;
}

TurnSetup make_turn(const Config& config, std::shared_ptr<boost::asio::ssl::context> http_tls,
                    std::shared_ptr<const util::Clock> clock, metrics::Registry& registry) {
  TurnSetup out;
  std::vector<std::string> secrets = config.turn.secrets;
  if (secrets.empty()) {
    secrets.push_back(util::random_hex(32));  // so the embedded default configuration relays out of the box
    out.generated_secret = true;
  }
  FrontEnd front_end = make_front_end(config, std::move(http_tls));
  net::TurnServiceOptions opts = std::move(front_end.options);
  out.tls = std::move(front_end.tls);
  set_relay_addresses(config, opts.worker);

  std::string error;
  auto policy = turn::DefaultPeerPolicy::from_strings(config.turn.allow_peer, config.turn.deny_peer,
                                                      own_addresses(config, opts.worker), error);
  if (!policy) throw std::runtime_error("turn peer policy: " + error);
  auto core = core_config(config);
  core.relayed_ips = advertised_relay_ips(opts.worker);
  if (auto e = core.validate(); !e.empty()) throw std::runtime_error("turn: " + e);
  out.shared = std::make_shared<turn::TurnShared>(std::move(core), credentials(config.turn, secrets),
                                                  std::make_shared<turn::DefaultPeerPolicy>(std::move(*policy)));
  out.service = std::make_unique<net::TurnService>(std::move(opts), out.shared, clock, registry);

  TurnIceServersOptions ice = ice_options(config, out.service->listening());
  ice.secret = secrets.front();
  ice.ttl_seconds = config.turn.credential_ttl_s;
  out.ice_servers = std::make_shared<TurnIceServers>(std::move(ice), clock);
  return out;
}

std::vector<std::string> host_addresses() {
  std::vector<std::string> out;
  for (const auto& ip : net::interface_addresses()) out.push_back(ip.to_string());
  return out;
}

}  // namespace sb::server
