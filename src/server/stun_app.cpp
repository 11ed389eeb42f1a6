// STUN inside `signalbox`. See stun_app.hpp.
#include "server/stun_app.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <stdexcept>

#include "net/host_addresses.hpp"
#include "net/stun_tcp.hpp"
#include "net/stun_udp.hpp"
#include "net/tls.hpp"
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

// STUN's own TCP/TLS listeners (--no-turn) keep the limits TURN's front end has on the same ports.
net::StunStreamOptions stream_options(const TurnConfig& t) {
  net::StunStreamOptions o;
  o.connections_per_ip = t.tcp_connections_per_ip;
  o.handshake_timeout = util::seconds_to_ms(t.tls_handshake_timeout_s);
  o.first_request_timeout = util::seconds_to_ms(t.tcp_first_request_timeout_s);
  o.idle_timeout = util::seconds_to_ms(t.tcp_idle_timeout_s);
  return o;
}

std::shared_ptr<boost::asio::ssl::context> stun_tls(App& app) {
  const auto& t = app.config().turn;
  if (!t.tls_cert.empty()) return net::tls_context_from_files(t.tls_cert, t.tls_key);
  return app.tls();
}

class StunAppService final : public Service {
 public:
  StunAppService(App& app, std::shared_ptr<StunIceServers> ice) : app_(app), ice_(std::move(ice)) {}
  ~StunAppService() override {
    if (udp_) udp_->stop();
    if (stream_) stream_->stop();
  }

  std::string name() const override { return "stun"; }

  std::vector<Listening> bind() override {
    const StunConfig& c = app_.config().stun;
    std::vector<stun::TransportAddress> listen;
    for (const auto& l : c.listen) listen.push_back(parse_stun_address(l, "stun-listen"));
    const auto service = stun_service_config(c, listen.empty() ? std::nullopt : std::optional(listen.front()));
    net::StunUdpOptions udp;
    udp.listen = listen;
    udp_ = std::make_unique<net::StunUdpServer>(udp, service, app_.metrics());
    net::StunStreamOptions stream = stream_options(app_.config().turn);
    stream.tcp_listen = listen;
    stream.tls = stun_tls(app_);
    for (const auto& l : c.tls_listen) stream.tls_listen.push_back(parse_stun_address(l, "stun-tls-listen"));
    stream_ = std::make_unique<net::StunStreamServer>(stream, service, app_.metrics());

    std::vector<Listening> out;
    for (std::size_t i = 0; i < udp_->bound().size(); ++i) {
      out.push_back({i < listen.size() ? "stun-udp" : "stun-udp-alt", udp_->bound()[i].to_string()});
    }
    for (const auto& a : stream_->bound_tcp()) out.push_back({"stun-tcp", a.to_string()});
    for (const auto& a : stream_->bound_tls()) out.push_back({"stun-tls", a.to_string()});
    ice_->set_url(stun_url(c, udp_->bound().empty() ? std::nullopt : std::optional(udp_->bound().front())));
    return out;
  }

  void start() override {
    udp_->start();
    stream_->start();
  }
  void stop() override {
    udp_->request_stop();
    stream_->request_stop();
  }

 private:
  App& app_;
  std::shared_ptr<StunIceServers> ice_;
  std::unique_ptr<net::StunUdpServer> udp_;
  std::unique_ptr<net::StunStreamServer> stream_;
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
