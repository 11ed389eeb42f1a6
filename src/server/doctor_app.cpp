#include "server/doctor_app.hpp"

#include <memory>

#include "server/doctor_endpoints.hpp"

namespace sb::server {

void add_doctor(App& app) {
  if (app.config().doctor.disabled) return;
  app.doctor_sources().interface_addresses = host_addresses();
  auto endpoints = std::make_shared<DoctorEndpoints>(app.config(), app.doctor_sources_ptr(), app.clock(),
                                                     app.metrics());
  app.routes().add("/doctor", HttpRoutes::Access::open, [](const net::HttpRequest&) {
    net::HttpResponse r{301, "text/plain; charset=utf-8", "see /doctor/\n", {}};
    r.headers.emplace_back("Location", "/doctor/");
    return r;
  });
  app.routes().add("/doctor/config", HttpRoutes::Access::open,
                   [endpoints](const net::HttpRequest& r) { return endpoints->config(r); });
  app.routes().add_post("/doctor/report", HttpRoutes::Access::open,
                        [endpoints](const net::HttpRequest& r) { return endpoints->report(r); });
  app.routes().add("/admin/doctor/reports", HttpRoutes::Access::admin,
                   [endpoints](const net::HttpRequest& r) { return endpoints->reports(r); });
}

void doctor_use_turn(App& app, const TurnSetup& setup) {
  const Config& c = app.config();
  auto& sources = app.doctor_sources();
  sources.ice_servers = [ice = setup.ice_servers, ttl = std::int64_t{c.doctor.credential_ttl_s}](std::string_view id) {
    return ice->ice_servers_for(id, ttl);
  };
  // Another allocation's relayed address is a relayed IP at a relay port: the core lets it through whatever
  // the peer policy says of the server's own addresses (issue 10), as the policy would any other peer.
  const auto& ips = setup.shared->config().relayed_ips;
  if (!ips.empty()) {
    auto peer = ips.front();
    peer.port = c.turn.min_port;
    sources.relay_to_relay = [shared = setup.shared, peer] {
      return shared->is_relayed_ip(peer) || shared->peer_policy().allowed(peer);
    };
  }
  sources.relay_may_send_to = [shared = setup.shared](const util::IpAddress& ip) {
    return shared->peer_policy().allowed({ip, 1});
  };
}

}  // namespace sb::server
