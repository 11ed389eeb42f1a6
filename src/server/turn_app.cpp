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
    setup_ = make_turn(app_.config(), app_.tls(), app_.clock(), app_.metrics());
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
