#include "server/compat.hpp"

#include <chrono>
#include <memory>

#include "server/compat_auth.hpp"
#include "signaling/ayame/session.hpp"
#include "signaling/peerjs/session.hpp"
#include "util/random.hpp"

namespace sb::server {
namespace {

using std::chrono::duration_cast;

util::Duration seconds(double s) {
  return duration_cast<util::Duration>(std::chrono::duration<double>(s));
}

// What the sessions of both protocols share; owned by the endpoints' factories, so it lives as long as the
// server state that holds them (and every session, which holds that state).
struct Shared {
  signaling::peerjs::Config peerjs;
  signaling::ayame::Config ayame;
  signaling::peerjs::Metrics peerjs_metrics;
  signaling::ayame::Metrics ayame_metrics;
  signaling::peerjs::Attachments peerjs_attachments;
  signaling::peerjs::Context peerjs_ctx;
  signaling::ayame::Context ayame_ctx;

  Shared(const CompatConfig& c, net::ServerState& s, metrics::Registry& registry)
      : peerjs_metrics(signaling::peerjs::Metrics::make(registry)),
        ayame_metrics(signaling::ayame::Metrics::make(registry)),
        peerjs_attachments(*s.router),
        peerjs_ctx{peerjs,         *s.router,         *s.counters, *s.clock, s.session_config.rate,
                   peerjs_metrics, peerjs_attachments},
        ayame_ctx{ayame,        *s.router, *s.ice_servers, *s.counters, *s.clock, s.session_config.rate,
                  ayame_metrics} {
    peerjs.key = c.peerjs_key;
    peerjs.expire_timeout = seconds(c.peerjs_expire_timeout_s);
    peerjs.alive_timeout = seconds(c.peerjs_alive_timeout_s);
    peerjs.concurrent_limit = c.peerjs_concurrent_limit;
    ayame.ping_interval = seconds(c.ayame_ping_interval_s);
    ayame.pong_timeout = seconds(c.ayame_pong_timeout_s);
  }
};

net::HttpResponse cors(net::HttpResponse r) {
  // PeerJS apps are served from their own origin and fetch an id without credentials.
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// GET <path>/ (not at the root, where the web client is), <path>/<key>/id and <path>/<key>/peers.
std::optional<net::HttpResponse> peerjs_http(const Shared& shared, const std::string& path,
                                             const net::HttpRequest& request) {
  namespace pj = signaling::peerjs;
  const auto route = pj::http_route(request.target, path);
  switch (route.endpoint) {
    case pj::HttpEndpoint::none:
      return std::nullopt;
    case pj::HttpEndpoint::info:
      if (pj::normalize_path(path) == "/") return std::nullopt;
      return cors({200,
                   "application/json; charset=utf-8",
                   R"({"name":"signalbox","description":"PeerJS server protocol (peer 1.0.x) on signalbox"})",
                   {}});
    case pj::HttpEndpoint::id: {
      if (route.key != shared.peerjs.key) return cors(text_response(401, "Unauthorized"));
      std::uint8_t random[16];
      util::random_bytes(random);
      return cors({200, "text/html; charset=utf-8", pj::uuid_v4(random), {}});
    }
    case pj::HttpEndpoint::peers:
      // Discovery (listAllPeers, deprecated in the peerjs client) is not offered: what peer answers without
      // it.
      return cors(text_response(401, "Unauthorized"));
  }
  return std::nullopt;
}

}  // namespace

void install_compat(const CompatConfig& c, net::ServerState& state, HttpRoutes& routes,
                    metrics::Registry& registry, std::shared_ptr<net::AccessControl> access) {
  if (c.peerjs_path.empty() && c.ayame_path.empty()) return;
  auto shared = std::make_shared<Shared>(c, state, registry);
  if (!c.peerjs_path.empty()) {
    state.ws_endpoints.push_back({signaling::peerjs::websocket_path(c.peerjs_path),
                                  [shared](const net::WsUpgrade& up, signaling::PeerLink& link,
                                           std::weak_ptr<signaling::Member> member) {
                                    const auto q = up.target.find('?');
                                    const auto query = q == std::string_view::npos ? std::string_view{}
                                                                                   : up.target.substr(q + 1);
                                    return std::make_unique<signaling::peerjs::Session>(
                                        shared->peerjs_ctx, link, std::move(member), query);
                                  }});
    routes.add_matcher(
        [shared, path = c.peerjs_path](const net::HttpRequest& r) { return peerjs_http(*shared, path, r); });
  }
  if (!c.ayame_path.empty()) {
    state.ws_endpoints.push_back(
        {c.ayame_path,
         [shared, access = access && access->webhook() ? access : nullptr](
             const net::WsUpgrade& up, signaling::PeerLink& link, std::weak_ptr<signaling::Member> member) {
           return std::make_unique<signaling::ayame::Session>(
               shared->ayame_ctx, link, std::move(member), access ? make_ayame_authn(access, up) : nullptr);
         }});
  }
}

}  // namespace sb::server
