#include "server/app.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>
#include <algorithm>
#include <functional>
#include <thread>

#include "net/tls.hpp"
#include "server/access_setup.hpp"
#include "server/compat.hpp"
#include "net/wake_timer.hpp"
#include "server/cluster_app.hpp"
#include "util/address.hpp"

namespace sb::server {
namespace {

namespace asio = boost::asio;

signaling::ResumeConfig resume_config(const SignalingConfig& sig) {
  signaling::ResumeConfig r;
  r.window = std::chrono::duration_cast<util::Duration>(std::chrono::duration<double>(sig.resume_window_s));
  r.max_messages = sig.resume_buffer_messages;
  r.max_bytes = sig.resume_buffer_bytes;
  r.max_parked = sig.resume_max_parked;
  return r;
}

std::shared_ptr<net::ServerState> make_state(const Config& c, std::shared_ptr<net::HttpHandler> handler,
                                             std::shared_ptr<signaling::Router> router,
                                             std::shared_ptr<signaling::IceServerSource> ice,
                                             std::shared_ptr<const util::Clock> clock, metrics::Registry& metrics,
                                             std::shared_ptr<net::AccessControl> access) {
  auto s = std::make_shared<net::ServerState>();
  const auto& sig = c.signaling;
  s->handler = std::move(handler);
  // Doctor reports are the only bodies served; up to twice the limit gets a clear 413, beyond that the
  // connection is closed.
  if (c.doctor.reports) s->http.max_body_bytes = std::max(s->http.max_body_bytes, 2 * c.doctor.report_max_bytes);
  s->ws.max_message_bytes = sig.max_message_bytes;
  s->ws.send_queue_messages = sig.send_queue_messages;
  s->ws.send_queue_bytes = sig.send_queue_bytes;
  s->ws.ping_interval = std::chrono::milliseconds(static_cast<std::int64_t>(sig.ping_interval_s * 1000));
  s->ws.idle_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(sig.idle_timeout_s * 1000));
  s->ws.max_connections = sig.max_connections;
  s->ws.joins_per_second_per_ip = sig.join_rate_per_ip;
  s->http.connections_per_ip = c.http.connections_per_ip;
  s->session_config.limits.max_sdp_bytes = sig.max_sdp_bytes;
  s->session_config.limits.max_candidate_bytes = sig.max_candidate_bytes;
  s->session_config.limits.max_name_bytes = sig.max_name_bytes;
  s->session_config.rate.rate = sig.rate_limit;
  s->session_config.rate.burst = sig.rate_burst;
  s->session_config.rate.abuse_close = sig.rate_abuse_close;
  s->session_config.max_peers_per_room = sig.max_peers_per_room;
  s->router = std::move(router);
  s->ice_servers = std::move(ice);
  s->counters = std::make_shared<signaling::Counters>(metrics);
  signaling::register_router_gauges(metrics, s->router);
  s->clock = std::move(clock);
  s->resume = std::make_shared<signaling::ResumeRegistry>(resume_config(sig), *s->router, *s->counters, metrics);
  install_access_control(*s, std::move(access), c.auth);
  s->init();
  return s;
}

// Refusals of the limits per client IP (the state outlives the registry's renders: both live as long as App).
void register_limit_metrics(metrics::Registry& r, const net::ServerState& s) {
  const auto* connections = s.connections_per_ip.get();
  const auto* joins = s.joins_per_ip.get();
  r.counter_fn("signalbox_http_connections_refused_total",
               "HTTP/WebSocket connections closed at accept, by limit.", {{"limit", "per_ip"}},
               [connections] { return static_cast<double>(connections->refused()); });
  r.counter_fn("signalbox_joins_refused_total", "Joins answered rate-limited, by limit.", {{"limit", "per_ip_rate"}},
               [joins] { return static_cast<double>(joins->refused()); });
}

std::shared_ptr<const StaticFiles> make_static_files(const Config& c) {
  if (!c.http.web_root.empty()) return std::make_shared<DiskStaticFiles>(c.http.web_root);
  return std::make_shared<EmbeddedStaticFiles>(embedded_web_files());
}

}  // namespace

App::App(const Config& config)
    : config_(config),
      pool_(config_.http.threads != 0 ? config_.http.threads : std::thread::hardware_concurrency()),
      ioc_(pool_.at(0)),
      clock_(std::make_shared<util::SteadyClock>()),
      metrics_(std::make_shared<metrics::Registry>()),
      ice_servers_(std::make_shared<signaling::CompositeIceServers>()),
      doctor_sources_(std::make_shared<DoctorSources>()) {
  ice_servers_->add(std::make_shared<signaling::StaticIceServers>(config_.signaling.ice_servers));
  // A doctor run is its own TURN user (a fresh id), rate-limited per source IP by the doctor endpoints.
  doctor_sources_->ice_servers = [ice = ice_servers_](std::string_view id) { return ice->ice_servers_for({id, id}); };
  setup_tls();
  routes_ = std::make_shared<HttpRoutes>(make_static_files(config_), metrics_,
                                         AdminAcl(config_.http.admin_allow, config_.http.admin_token));
  auto routers = make_router(config_, *metrics_);
  cluster_ = routers.cluster;
  if (cluster_) routes_->add("/healthz", HttpRoutes::Access::open, cluster_health_route(cluster_));
  auto access = make_access_control(config_, clock_, *metrics_);
  if (access) {
    spdlog::info("access control: --auth {}", auth::to_string(effective_auth_mode(config_.auth)));
    // The doctor's TURN credentials are TURN credentials too: only for a bearer token that allows TURN.
    doctor_sources_->may_use_turn = [access](const net::HttpRequest& r) { return access->bearer_allows_turn(r); };
  }
  state_ = make_state(config_, routes_, routers.router, ice_servers_, clock_, *metrics_, access);
  state_->metrics = metrics_;
  state_->tls = tls_;
  state_->pool = &pool_;
  install_compat(config_.compat, *state_, *routes_, *metrics_, std::move(access));
  // A resume may land on another node: the cluster hands sessions over between the nodes' registries.
  if (cluster_) cluster_->set_sessions(state_->resume, clock_);
  // Parked sessions end when their resume window passes; the timer runs on the main context.
  resume_timer_ = std::make_shared<net::WakeTimer>(
      ioc_, [resume = state_->resume](util::TimePoint now) { return resume->expire(now); });
  state_->resume->set_wake([timer = std::weak_ptr<net::WakeTimer>(resume_timer_)](util::TimePoint at) {
    if (auto t = timer.lock()) t->request(at);
  });
  register_limit_metrics(*metrics_, *state_);
  start_memory_trim();
  http_ = std::make_unique<net::HttpServer>(ioc_, state_);
}

// Checks every --memory-trim-interval, on a thread of its own.
void App::start_memory_trim() {
  const auto& m = config_.memory;
  if (m.trim_interval_s <= 0) return;
  trimmer_ = std::make_unique<MemoryTrimThread>(
      MemoryTrimConfig{m.trim_interval_s, static_cast<std::size_t>(m.trim_min_free_mib) << 20, m.trim_max_busy},
      *metrics_,
      [](const MemoryTrimmer::Outcome& out) {
        spdlog::info("memory: {} MiB more resident than in use; {} MiB given back to the system in {} ms",
                     out.slack_growth >> 20, out.returned_bytes >> 20, out.took.count() / 1000.0);
      });
}

App::~App() = default;

void App::setup_tls() {
  const auto& h = config_.http;
  if (!h.tls_cert.empty()) {
    tls_ = net::tls_context_from_files(h.tls_cert, h.tls_key);
  } else if (h.self_signed) {
    auto hp = util::parse_host_port(h.listen);
    auto self = net::make_self_signed({hp ? hp->host : std::string()});
    tls_ = self.context;
    spdlog::info("self-signed certificate, SHA-256 fingerprint {}", self.sha256_fingerprint);
  }
}

int App::run(std::ostream& out) {
  auto hp = util::parse_host_port(config_.http.listen);
  if (!hp) throw std::runtime_error("--listen '" + config_.http.listen + "' is not HOST:PORT");
  auto ep = http_->listen(hp->host, hp->port);
  std::vector<Service::Listening> listening{
      {tls_ ? "https" : "http", util::HostPort{ep.address().to_string(), ep.port()}.to_string()}};
  for (auto& s : services_) {
    auto l = s->bind();
    listening.insert(listening.end(), l.begin(), l.end());
  }
  doctor_sources_->listening = listening;
  for (const auto& l : listening) {
    out << "listening " << l.scheme << ' ' << l.endpoint << '\n';
    spdlog::info("listening {} {}", l.scheme, l.endpoint);
  }
  if (cluster_) {
    cluster_->start();
    // A node that cannot reach Redis still starts (and says so in /healthz); joins wait for Redis.
    if (!cluster_->wait_up(std::chrono::milliseconds(static_cast<std::int64_t>(config_.cluster.redis_timeout_s * 1000)))) {
      spdlog::warn("cluster: Redis is not reachable yet; joins are refused (unavailable) until it is");
    }
  }
  out << "ready" << std::endl;

  asio::signal_set signals(ioc_, SIGINT, SIGTERM);
  signals.async_wait([this, &signals](boost::system::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", sig);
    begin_shutdown();
    // A second signal stops at once.
    signals.async_wait([this](boost::system::error_code e, int) {
      if (!e) pool_.stop();
    });
  });
  http_->start();
  for (auto& s : services_) s->start();

  auto worker = [](asio::io_context& ctx) {
    for (;;) {
      try {
        ctx.run();
        return;
      } catch (const std::exception& e) {
        // A handler threw: log and keep serving everyone else.
        spdlog::error("unhandled exception in I/O thread: {}", e.what());
      }
    }
  };
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < pool_.size(); ++i) threads.emplace_back(worker, std::ref(pool_.at(i)));
  worker(ioc_);
  pool_.stop();  // the main context ran out of work or was stopped: the other threads end too
  for (auto& t : threads) t.join();
  // The members' leaves are queued on the router's thread by now; the node's keys go after them.
  if (cluster_) cluster_->stop();
  spdlog::info("stopped");
  return 0;
}

void App::request_stop() {
  asio::post(ioc_, [this] { begin_shutdown(); });
}

void App::begin_shutdown() {
  if (shutting_down_.exchange(true)) return;
  for (auto& s : services_) s->stop();
  resume_timer_->cancel();
  // Before the router's drain: a resume that follows `drain` is sent elsewhere. In a cluster the drained
  // connections' sessions are parked, not ended, for their clients to resume on another node.
  state_->resume->drain(cluster_ != nullptr);
  // Members hear `drain` (connect again, maybe elsewhere) before the close. RFC 6455 §7.4.1: 1001 "going away"
  // tells every client the server is shutting down.
  state_->router->drain();
  http_->shutdown(signaling::close_code::going_away, "server shutting down");
  wait_for_sessions(std::chrono::steady_clock::now() + util::seconds_to_ms(config_.signaling.shutdown_grace_s));
}

// Until the grace ends, the node waits for its connections' close handshakes and, in a cluster, for the sessions
// it holds to be resumed on other nodes (each one's `Find` reaches this node over the bus and the session moves).
// Sessions still parked when the grace ends leave their rooms with the node (RedisRouter::stop).
void App::wait_for_sessions(std::chrono::steady_clock::time_point deadline) {
  const bool holding = cluster_ && state_->resume->waiting() > 0;
  if ((http_->websocket_count() == 0 && !holding) || std::chrono::steady_clock::now() >= deadline) {
    pool_.stop();
    return;
  }
  auto timer = std::make_shared<asio::steady_timer>(ioc_, std::chrono::milliseconds(20));
  timer->async_wait([this, timer, deadline](boost::system::error_code) { wait_for_sessions(deadline); });
}

}  // namespace sb::server
