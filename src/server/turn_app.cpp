// TURN inside `signalbox`: a Service around net::TurnService, its metrics, its admin route and its
// iceServers. See turn_app.hpp.
#include "server/turn_app.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include "server/doctor_app.hpp"
#include "server/stun_app.hpp"
#include "server/turn_setup.hpp"

namespace sb::server {
namespace {

double d(std::uint64_t v) { return static_cast<double>(v); }

void render_turn(PromWriter& w, const net::TurnMetrics& m) {
  w.gauge("signalbox_turn_allocations", "Live TURN allocations.", d(m.allocations));
  w.gauge("signalbox_turn_permissions", "Live TURN permissions.", d(m.permissions));
  w.gauge("signalbox_turn_channels", "Live TURN channel bindings.", d(m.channels));
  w.gauge("signalbox_turn_connections", "Open TURN TCP/TLS client connections.", d(m.connections));
  w.counter("signalbox_turn_allocations_created_total", "TURN allocations created.", d(m.allocations_created));
  w.counter("signalbox_turn_allocations_deleted_total", "TURN allocations deleted (Refresh 0, closed connection).",
            d(m.allocations_deleted));
  w.counter("signalbox_turn_allocations_expired_total", "TURN allocations expired.", d(m.allocations_expired));
  w.counter("signalbox_turn_permissions_created_total", "TURN permissions installed.", d(m.permissions_created));
  w.counter("signalbox_turn_channels_bound_total", "TURN channel bindings created.", d(m.channels_bound));
  w.counter("signalbox_turn_requests_total", "TURN requests received.", d(m.requests));
  w.counter("signalbox_turn_error_responses_total", "TURN error responses sent.", d(m.error_responses));
  w.counter("signalbox_turn_denied_peers_total", "Permissions refused (403) or packets dropped by the peer policy.",
            d(m.denied_peers));
  w.family("signalbox_turn_relayed_packets_total", "counter", "Packets relayed, by direction.",
           {{{{"direction", "client_to_peer"}}, d(m.packets_to_peer)},
            {{{"direction", "peer_to_client"}}, d(m.packets_to_client)}});
  w.family("signalbox_turn_relayed_bytes_total", "counter", "Payload bytes relayed, by direction.",
           {{{{"direction", "client_to_peer"}}, d(m.bytes_to_peer)},
            {{{"direction", "peer_to_client"}}, d(m.bytes_to_client)}});
  w.family("signalbox_turn_channel_data_total", "counter", "Relayed packets carried as ChannelData, by direction.",
           {{{{"direction", "client_to_peer"}}, d(m.channel_data_to_peer)},
            {{{"direction", "peer_to_client"}}, d(m.channel_data_to_client)}});
  w.counter("signalbox_turn_local_relay_packets_total",
            "Relayed packets whose peer was another allocation of this server (handed over inside it).",
            d(m.to_local_relay));
  std::vector<std::pair<PromWriter::Labels, double>> auth, drops;
  for (std::size_t i = 1; i < m.auth_failures.size(); ++i) {
    auth.push_back({{{"reason", turn::to_string(static_cast<turn::AuthFailure>(i))}}, d(m.auth_failures[i])});
  }
  for (std::size_t i = 1; i < m.drops.size(); ++i) {
    drops.push_back({{{"reason", turn::to_string(static_cast<turn::DropReason>(i))}}, d(m.drops[i])});
  }
  w.family("signalbox_turn_auth_failures_total", "counter", "Failed TURN authentications, by reason.", auth);
  w.family("signalbox_turn_dropped_packets_total", "counter", "TURN packets dropped, by reason.", drops);
  w.counter("signalbox_turn_send_drops_total", "Packets the kernel refused or a full TCP/TLS output buffer dropped.",
            d(m.send_drops));
}

// Each relay socket is a descriptor: 10,000 allocations need more than the usual soft limit of 1024.
void raise_fd_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

class TurnAppService final : public Service {
 public:
  TurnAppService(App& app, bool answers_stun) : app_(app), answers_stun_(answers_stun) {}

  std::string name() const override { return "turn"; }

  std::vector<Listening> bind() override {
    raise_fd_limit();
    setup_ = make_turn(app_.config(), app_.tls(), app_.clock());
    if (setup_.generated_secret) {
      spdlog::info("turn: no --turn-secret configured; made a random one (credentials in `joined` use it)");
    }
    std::vector<Listening> out;
    for (const auto& [proto, addr] : setup_.service->listening()) {
      out.push_back({proto, addr.to_string()});
      // The same sockets answer STUN Binding (one front end on the shared ports, RFC 7983).
      if (answers_stun_) out.push_back({"stun" + proto.substr(4), addr.to_string()});
    }
    app_.ice_servers().add(setup_.ice_servers);
    doctor_use_turn(app_, setup_);
    auto* service = setup_.service.get();
    app_.metrics().add("turn", [service](PromWriter& w) { render_turn(w, service->metrics()); });
    if (answers_stun_) {
      app_.metrics().add("stun", [service](PromWriter& w) { render_stun_metrics(w, service->stun_metrics()); });
    }
    app_.routes().add("/admin/turn/allocations", HttpRoutes::Access::admin, [service](const net::HttpRequest&) {
      net::HttpResponse r;
      r.content_type = "application/json";
      r.body = service->allocations_json();
      return r;
    });
    return out;
  }

  void start() override { setup_.service->start(); }
  void stop() override { setup_.service->request_stop(); }
  ~TurnAppService() override {
    if (setup_.service) setup_.service->stop();
  }

 private:
  App& app_;
  bool answers_stun_;
  TurnSetup setup_;
};

}  // namespace

bool add_turn(App& app) {
  if (app.config().turn.disabled) return false;
  app.add_service(std::make_unique<TurnAppService>(app, !app.config().stun.disabled));
  return !app.config().stun.disabled;
}

}  // namespace sb::server
