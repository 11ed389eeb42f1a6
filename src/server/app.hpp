// `signalbox`'s wiring: owns the io_context, the I/O threads (net::IoPool: one context per thread) and every
// service, prints the listening lines, and shuts down on SIGTERM/SIGINT.
//
// Extension point (STUN, TURN, ...): construct the service with app.io_context(), register its metrics
// with app.metrics(), add its iceServers with app.ice_servers(), optional admin routes with app.routes(),
// then hand it over before run():
//
//   sb::server::App app(config);
//   app.add_service(std::make_unique<StunService>(app.io_context(), config.stun, app.metrics()));
//   app.ice_servers().add(stun_ice_servers);
//   return app.run();
//
// run() calls bind() on every service (after HTTP), prints "listening <scheme> <endpoint>" for each,
// then "ready", calls start(), and at shutdown calls stop() before the io_context winds down.
#pragma once

#include <boost/asio/io_context.hpp>
#include <atomic>
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <ostream>
#include <vector>

#include "net/http_server.hpp"
#include "net/io_pool.hpp"
#include "cluster/redis_router.hpp"
#include "net/wake_timer.hpp"
#include "server/config.hpp"
#include "server/doctor_endpoints.hpp"
#include "server/http_routes.hpp"
#include "server/memory_trim.hpp"
#include "util/metrics.hpp"
#include "server/service.hpp"
#include "signaling/ice_servers.hpp"
#include "util/clock.hpp"

namespace sb::server {

class App {
 public:
  // Builds everything but binds nothing. Throws std::runtime_error on unusable TLS files or web root.
  explicit App(const Config& config);
  ~App();

  boost::asio::io_context& io_context() { return ioc_; }
  metrics::Registry& metrics() { return *metrics_; }
  signaling::CompositeIceServers& ice_servers() { return *ice_servers_; }
  HttpRoutes& routes() { return *routes_; }
  // What the connectivity doctor offers (doctor_app.hpp); services fill it while they bind.
  DoctorSources& doctor_sources() { return *doctor_sources_; }
  std::shared_ptr<const DoctorSources> doctor_sources_ptr() const { return doctor_sources_; }
  // The HTTPS context (from --tls-cert/--tls-key or --self-signed); null when serving plain HTTP.
  std::shared_ptr<boost::asio::ssl::context> tls() const { return tls_; }
  std::shared_ptr<const util::Clock> clock() const { return clock_; }
  const Config& config() const { return config_; }

  void add_service(std::unique_ptr<Service> service) { services_.push_back(std::move(service)); }

  // Binds, announces on `out` (flushed), serves until SIGTERM/SIGINT or request_stop(), returns the exit code.
  int run(std::ostream& out);
  // Starts the graceful shutdown (thread-safe).
  void request_stop();

 private:
  void setup_tls();
  void start_memory_trim();
  void begin_shutdown();
  void wait_for_sessions(std::chrono::steady_clock::time_point deadline);

  Config config_;
  // The I/O threads' contexts. Declared first: destroyed last, after everything that uses them.
  net::IoPool pool_;
  // pool_'s context 0: signals, the listener, shutdown; run by the thread that calls run().
  boost::asio::io_context& ioc_;
  std::shared_ptr<const util::Clock> clock_;
  std::shared_ptr<metrics::Registry> metrics_;
  std::shared_ptr<signaling::CompositeIceServers> ice_servers_;
  std::shared_ptr<DoctorSources> doctor_sources_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::shared_ptr<HttpRoutes> routes_;
  std::shared_ptr<cluster::RedisRouter> cluster_;  // null on a single node
  std::shared_ptr<net::ServerState> state_;
  std::unique_ptr<net::HttpServer> http_;
  std::shared_ptr<net::WakeTimer> resume_timer_;  // ends parked sessions whose resume window passed
  std::unique_ptr<MemoryTrimThread> trimmer_;      // gives memory left free by a burst back (null when off)
  std::vector<std::unique_ptr<Service>> services_;
  std::atomic<bool> shutting_down_{false};  // a signal and request_stop() may race
};

}  // namespace sb::server
