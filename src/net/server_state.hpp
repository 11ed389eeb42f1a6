// State shared by the listener and every HTTP/WebSocket session of one HttpServer ("shared state" in
// Beast's chat-multi example). Sessions hold a shared_ptr to it, so it outlives the last of them even
// when the io_context is torn down with handlers still pending.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "net/http_handler.hpp"
#include "net/io_pool.hpp"
#include "signaling/counters.hpp"
#include "signaling/ice_servers.hpp"
#include "signaling/router.hpp"
#include "signaling/session.hpp"
#include "signaling/wire_session.hpp"
#include "util/address.hpp"
#include "util/clock.hpp"
#include "util/metrics.hpp"
#include "util/per_ip.hpp"

namespace sb::net {

struct WsOptions {
  std::size_t max_message_bytes = 64 * 1024;  // larger → close 1009
  std::size_t send_queue_messages = 256;      // overflow → close 4000, peers get peer-left `dropped`
  std::size_t send_queue_bytes = 1024 * 1024;
  std::chrono::milliseconds ping_interval{15'000};
  std::chrono::milliseconds idle_timeout{45'000};  // nothing heard → close, peers get peer-left `timeout`
  std::size_t max_connections = 100000;
  std::chrono::milliseconds handshake_timeout{10'000};
  std::chrono::milliseconds close_timeout{2'000};  // a peer that does not finish the close handshake is cut
  // Before admission to a room (with access control, docs/auth.md): the deadline, and the largest frame. A
  // connection then also sends one message at a time. 0: no pre-admission limits (no access control).
  std::chrono::milliseconds admission_deadline{0};
  std::size_t pre_admission_message_bytes = 8 * 1024;
  double joins_per_second_per_ip = 10;  // burst: 3 s worth; more joins get `rate-limited`; <= 0 = no limit
};

struct HttpOptions {
  std::chrono::milliseconds request_timeout{30'000};
  std::uint32_t max_header_bytes = 8 * 1024;
  std::uint32_t max_body_bytes = 8 * 1024;  // nothing we serve takes a body
  std::uint32_t connections_per_ip = 256;   // HTTP/WebSocket connections per client IP (IPv6 /64); 0 = no limit
};

// Something the server can close at shutdown.
class Closable {
 public:
  virtual ~Closable() = default;
  // Thread-safe: posts the close onto the connection's own executor.
  virtual void close_async(std::uint16_t code, std::string reason) = 0;
};

// What a wire protocol's session learns of the WebSocket upgrade request that opened its connection. The views
// are valid only during the factory call.
struct WsUpgrade {
  std::string_view target;        // path and query, as sent
  util::IpAddress remote;
  std::string_view user_agent;    // empty when absent
  std::string_view subprotocols;  // Sec-WebSocket-Protocol as sent; empty when absent
  boost::asio::io_context* io = nullptr;  // the connection's event loop (set for the session factory)
};

// A WebSocket endpoint: the path it serves and the factory of its wire protocol's session. `link` is the new
// connection (it outlives the session); `member` is what the router delivers the connection's events to.
struct WsEndpoint {
  using Factory = std::function<std::unique_ptr<signaling::WireSession>(
      const WsUpgrade& upgrade, signaling::PeerLink& link, std::weak_ptr<signaling::Member> member)>;
  std::string path;  // e.g. "/ws"
  Factory make;
  std::string subprotocol = {};  // answered in Sec-WebSocket-Protocol when the client offers it; "" = none
};

struct ServerState {
  HttpOptions http;
  WsOptions ws;
  std::shared_ptr<HttpHandler> handler;
  std::shared_ptr<boost::asio::ssl::context> tls;  // null: plain HTTP only
  // The I/O threads' contexts; set by the owner, which keeps it alive while serving. Null: everything runs on
  // the io_context the HttpServer was given.
  IoPool* pool = nullptr;

  // The registry that `counters` (and the router's and resume's metrics) live in: declared first so that it
  // outlives them, held so that it outlives a session that outlives the server's owner.
  std::shared_ptr<metrics::Registry> metrics;
  // What every signaling::Session needs. Set these, then call init() once before serving.
  signaling::SessionConfig session_config;
  std::shared_ptr<signaling::Router> router;
  std::shared_ptr<signaling::IceServerSource> ice_servers;
  std::shared_ptr<signaling::Counters> counters;
  std::shared_ptr<const util::Clock> clock;
  std::shared_ptr<signaling::ResumeRegistry> resume;  // null: no session resume
  std::unique_ptr<const signaling::SessionContext> context;  // refers to the members above
  // Access control (docs/auth.md); both empty without it. check_upgrade answers an upgrade it refuses (before
  // any WebSocket exists); make_gate gives each new connection the gatekeeper of its joins.
  std::function<std::optional<HttpResponse>(const WsUpgrade&)> check_upgrade;
  std::function<std::unique_ptr<signaling::Gatekeeper>(const WsUpgrade&)> make_gate;
  // Set before serving, fixed after. init() adds protocol v1 at /ws.
  std::vector<WsEndpoint> ws_endpoints;
  // Limits per client IP, made by init() from http.connections_per_ip and ws.joins_per_second_per_ip. The
  // listener takes a connection slot at accept; the connection gives it back when its last session ends
  // (see Listener::on_accept).
  std::unique_ptr<util::PerIpCounter> connections_per_ip;
  std::unique_ptr<util::PerIpRate> joins_per_ip;
  void init() {
    connections_per_ip = std::make_unique<util::PerIpCounter>(http.connections_per_ip);
    const double joins = ws.joins_per_second_per_ip;
    joins_per_ip = std::make_unique<util::PerIpRate>(util::RateSpec{joins, 3 * joins});
    context = std::make_unique<const signaling::SessionContext>(
        signaling::SessionContext{session_config, *router,         *ice_servers,        *counters,
                                  *clock,         joins_per_ip.get(), resume.get()});
    ws_endpoints.push_back({"/ws",
                            [ctx = context.get(), gate = make_gate](const WsUpgrade& upgrade, signaling::PeerLink& link,
                                                                    std::weak_ptr<signaling::Member> member) {
                              return std::make_unique<signaling::Session>(*ctx, link, std::move(member), upgrade.remote,
                                                                          gate ? gate(upgrade) : nullptr);
                            },
                            "signalbox"});
  }
  // The endpoint serving `path` (no query), or null.
  const WsEndpoint* ws_endpoint(std::string_view path) const {
    for (const auto& e : ws_endpoints) {
      if (e.path == path) return &e;
    }
    return nullptr;
  }

  // Live WebSocket sessions, for the close-everything at shutdown.
  void add(Closable* key, std::weak_ptr<Closable> session) {
    std::lock_guard lock(mu);
    sessions.emplace(key, std::move(session));
  }
  void remove(Closable* key) {
    std::lock_guard lock(mu);
    sessions.erase(key);
  }
  std::size_t session_count() const {
    std::lock_guard lock(mu);
    return sessions.size();
  }
  void close_all(std::uint16_t code, const std::string& reason) {
    std::vector<std::weak_ptr<Closable>> copy;
    {
      std::lock_guard lock(mu);
      copy.reserve(sessions.size());
      for (auto& [k, w] : sessions) copy.push_back(w);
    }
    for (auto& w : copy) {
      if (auto s = w.lock()) s->close_async(code, reason);
    }
  }

  mutable std::mutex mu;
  std::unordered_map<Closable*, std::weak_ptr<Closable>> sessions;  // guarded by mu
};

}  // namespace sb::net
