// STUN inside `signalbox`. See stun_app.hpp.
#include "server/stun_app.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <stdexcept>

#include "net/host_addresses.hpp"
#include "net/turn_service.hpp"
#include "server/turn_setup.hpp"
#include "util/address.hpp"

namespace sb::server {

namespace {

// The `stun:` URL of `joined.iceServers` (RFC 7064): --stun-public-address, else the bound UDP address.
class StunIceServers final : public signaling::IceServerSource {
 public:
  void set_url(std::string url) { url_ = std::move(url); }  // before serving only
  std::vector<signaling::IceServer> ice_servers_for(const signaling::IceServerRequest&) override {
    if (url_.empty()) return {};
    return {signaling::IceServer{{url_}, std::nullopt, std::nullopt}};
  }

 private:
  std::string url_;
};

// STUN alone (--no-turn): the STUN/TURN front end with TURN off, on the same sockets, threads and limits.
class StunAppService final : public Service {
 public:
  StunAppService(App& app, std::shared_ptr<StunIceServers> ice) : app_(app), ice_(std::move(ice)) {}
  ~StunAppService() override {
    if (service_) service_->stop();
  }

  std::string name() const override { return "stun"; }

  std::vector<Listening> bind() override {
    FrontEnd front_end = make_front_end(app_.config(), app_.tls());
    tls_ = std::move(front_end.tls);
    service_ = std::make_unique<net::TurnService>(std::move(front_end.options), nullptr, app_.clock(),
                                                  app_.metrics());
    std::vector<Listening> out;
    std::optional<stun::TransportAddress> first_udp;
    for (const auto& [scheme, address] : service_->listening()) {
      if (scheme == "stun-udp" && !first_udp) first_udp = address;
      out.push_back({scheme, address.to_string()});
    }
    ice_->set_url(stun_url(app_.config().stun, first_udp));
    return out;
  }

  void start() override { service_->start(); }
  void stop() override { service_->request_stop(); }

 private:
  App& app_;
  std::shared_ptr<StunIceServers> ice_;
  std::shared_ptr<boost::asio::ssl::context> tls_;  // kept alive for the workers' TLS listeners
  std::unique_ptr<net::TurnService> service_;
};

}  // namespace

std::string stun_url(const StunConfig& c, std::optional<stun::TransportAddress> bound) {
  std::string host;
  std::uint16_t port = bound ? bound->port : 3478;
  if (bound) host = bound->ip.is_unspecified() ? net::first_non_loopback_v4().to_string() : bound->ip_string();
  if (auto pub = util::parse_host_optional_port(c.public_address)) {
    host = pub->host;
    port = pub->port.value_or(port);
  }
  if (host.empty()) return {};
  const bool v6 = host.find(':') != std::string::npos;
  return "stun:" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

stun::TransportAddress parse_stun_address(const std::string& text, const char* option) {
  const auto hp = util::parse_host_port(text);
  if (!hp) throw std::runtime_error(std::string(option) + ": '" + text + "' is not HOST:PORT");
  const std::string host = hp->host == "localhost" ? "127.0.0.1" : hp->host;
  const auto ip = util::parse_ip(host);
  if (!ip) throw std::runtime_error(std::string(option) + ": '" + text + "' needs an IP address");
  return {*ip, hp->port};
}

stun::ServiceConfig stun_service_config(const StunConfig& c, const std::optional<stun::TransportAddress>& primary) {
  stun::ServiceConfig s;
  if (!c.alt_address.empty()) {
    if (!primary || primary->ip.is_unspecified()) {
      throw std::runtime_error("stun-alt-address needs a concrete first stun-listen address (RFC 5780)");
    }
    s.primary = primary;
    s.alternate = parse_stun_address(c.alt_address, "stun-alt-address");
  }
  if (const auto e = s.validate(); !e.empty()) throw std::runtime_error(e);
  return s;
}

void add_stun(App& app, bool served_by_turn) {
  const StunConfig& c = app.config().stun;
  // With TURN, its front end owns the ports, counts Binding in its workers' stun::Metrics and advertises the
  // stun: URL with the port it actually bound (with --stun-listen HOST:0 the configured port says nothing).
  if (c.disabled || served_by_turn) return;
  auto ice = std::make_shared<StunIceServers>();
  app.ice_servers().add(ice);
  app.add_service(std::make_unique<StunAppService>(app, ice));
}

}  // namespace sb::server
