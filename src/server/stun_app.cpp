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

double d(std::uint64_t v) { return static_cast<double>(v); }

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
    udp_ = std::make_unique<net::StunUdpServer>(udp, service);
    net::StunStreamOptions stream = stream_options(app_.config().turn);
    stream.tcp_listen = listen;
    stream.tls = stun_tls(app_);
    for (const auto& l : c.tls_listen) stream.tls_listen.push_back(parse_stun_address(l, "stun-tls-listen"));
    stream_ = std::make_unique<net::StunStreamServer>(stream, service);

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

  // Connections refused at accept (per IP, or over the total) and accept() backoffs, for /metrics.
  void render_streams(PromWriter& w) const {
    w.counter("signalbox_stun_connections_refused_total",
              "STUN TCP/TLS connections closed at accept: over the per-IP or the total limit.",
              d(stream_ ? stream_->refused() : 0));
    w.counter("signalbox_stun_accept_backoffs_total",
              "Times a STUN TCP/TLS listener paused because accept() found no free descriptor.",
              d(stream_ ? stream_->accept_backoffs() : 0));
  }

  stun::StunMetricsSnapshot metrics() const {
    stun::StunMetricsSnapshot s;
    if (udp_) s = udp_->metrics();
    if (stream_) {
      const auto t = stream_->metrics();
      s.requests += t.requests;
      s.indications += t.indications;
      s.responses += t.responses;
      s.errors += t.errors;
      for (std::size_t i = 0; i < s.drops.size(); ++i) s.drops[i] += t.drops[i];
    }
    return s;
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

void render_stun_metrics(PromWriter& w, const stun::StunMetricsSnapshot& m) {
  w.counter("signalbox_stun_requests_total", "STUN Binding requests processed.", d(m.requests));
  w.counter("signalbox_stun_responses_total", "STUN Binding success responses sent.", d(m.responses));
  w.counter("signalbox_stun_errors_total", "STUN Binding error responses sent (400, 420).", d(m.errors));
  w.counter("signalbox_stun_indications_total", "STUN Binding indications received (no answer).", d(m.indications));
  std::vector<std::pair<PromWriter::Labels, double>> drops;
  for (std::size_t i = 0; i < m.drops.size(); ++i) {
    drops.push_back({{{"reason", std::string(stun::to_string(static_cast<stun::DropReason>(i)))}}, d(m.drops[i])});
  }
  w.family("signalbox_stun_dropped_total", "counter", "STUN packets dropped without an answer, by reason.", drops);
}

void add_stun(App& app, bool served_by_turn, StunMetricsSource shared_metrics) {
  const StunConfig& c = app.config().stun;
  if (c.disabled) return;
  if (served_by_turn) {
    // TURN's front end owns the ports and advertises the stun: URL with the port it actually bound
    // (with --stun-listen HOST:0 the configured port says nothing).
    if (shared_metrics) {
      app.metrics().add("stun", [src = std::move(shared_metrics)](PromWriter& w) { render_stun_metrics(w, src()); });
    }
    return;
  }
  auto ice = std::make_shared<StunIceServers>();
  app.ice_servers().add(ice);
  auto service = std::make_unique<StunAppService>(app, ice);
  const StunAppService* raw = service.get();
  app.metrics().add("stun", [raw](PromWriter& w) {
    render_stun_metrics(w, raw->metrics());
    raw->render_streams(w);
  });
  app.add_service(std::move(service));
}

}  // namespace sb::server
