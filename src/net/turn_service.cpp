#include "net/turn_service.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "net/socket_address.hpp"

namespace sb::net {

namespace {

// Every listen address gets a concrete port nobody else holds. With port 0, TCP first tries the port UDP
// got, so turn:HOST:PORT names one port for both transports where it can (each URL carries its own port
// anyway, see TurnIceServers). Returns an error or "".
std::string claim_ports(std::vector<stun::TransportAddress>& udp, std::vector<stun::TransportAddress>& tcp,
                        std::vector<stun::TransportAddress>& tls, bool with_tls) {
  for (auto& a : udp) {
    if (auto e = claim_port(a, SOCK_DGRAM); !e.empty()) return e;
  }
  for (std::size_t i = 0; i < tcp.size(); ++i) {
    if (tcp[i].port == 0 && i < udp.size() && tcp[i].ip == udp[i].ip) {
      auto same = tcp[i];
      same.port = udp[i].port;
      if (claim_port(same, SOCK_STREAM).empty()) {
        tcp[i] = same;
        continue;
      }
    }
    if (auto e = claim_port(tcp[i], SOCK_STREAM); !e.empty()) return e;
  }
  for (auto& a : tls) {
    if (!with_tls) break;
    if (auto e = claim_port(a, SOCK_STREAM); !e.empty()) return e;
  }
  return {};
}

// RFC 5780 §4: with an alternate address the server answers on IP1:P1, IP1:P2, IP2:P1 and IP2:P2 (over UDP:
// a stream cannot answer from another address). Appends those not listened on yet.
void add_discovery_addresses(const std::optional<stun::ServiceConfig>& stun,
                             std::vector<stun::TransportAddress>& udp) {
  if (!stun || !stun->behaviour_discovery()) return;
  const auto& p = *stun->primary;
  const auto& a = *stun->alternate;
  for (const auto& extra : {p, stun::TransportAddress{p.ip, a.port}, stun::TransportAddress{a.ip, p.port}, a}) {
    if (std::find(udp.begin(), udp.end(), extra) == udp.end()) udp.push_back(extra);
  }
}

}  // namespace

TurnService::TurnService(TurnServiceOptions options, std::shared_ptr<turn::TurnShared> shared,
                         std::shared_ptr<const util::Clock> clock, metrics::Registry& registry)
    : options_(std::move(options)),
      shared_(std::move(shared)),
      clock_(std::move(clock)),
      connections_per_ip_(options_.connections_per_ip) {
  options_.worker.connections_per_ip = &connections_per_ip_;
  std::uint32_t n = options_.threads;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  const std::string what = shared_ ? "turn: " : "stun: ";  // TURN off: the STUN server alone
  if (!shared_ && !options_.worker.stun) throw std::runtime_error(what + "neither TURN nor STUN to serve");
  if (const auto& stun = options_.worker.stun) {
    if (auto e = stun->validate(); !e.empty()) throw std::runtime_error(e);
  }
  udp_ = options_.worker.udp_listen;
  alternate_udp_ = udp_.size();
  add_discovery_addresses(options_.worker.stun, udp_);
  tcp_ = options_.worker.tcp_listen;
  tls_ = options_.worker.tls_listen;
  if (auto e = claim_ports(udp_, tcp_, tls_, options_.worker.tls_ctx != nullptr); !e.empty()) {
    throw std::runtime_error(what + e);
  }
  // claim_ports() made every port concrete; each worker binds its own socket to it (SO_REUSEPORT).
  const auto add = [&](std::vector<stun::TransportAddress>& udp, std::vector<stun::TransportAddress>& tcp,
                       std::vector<stun::TransportAddress>& tls, std::uint32_t i) {
    auto w = std::make_unique<TurnWorker>(options_.worker, shared_.get(), *clock_, registry, i, n);
    if (auto error = w->open(udp, tcp, tls); !error.empty()) throw std::runtime_error(what + error);
    workers_.push_back(std::move(w));
  };
  std::vector<stun::TransportAddress> none;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (shared_) {
      add(udp_, tcp_, tls_, i);
      continue;
    }
    // STUN alone: a worker per UDP socket, which then blocks in recvmmsg (TurnWorker::open), and one for
    // the TCP and TLS listeners.
    for (auto& a : udp_) {
      std::vector<stun::TransportAddress> one{a};
      add(one, none, none, i);
    }
    if (!tcp_.empty() || (options_.worker.tls_ctx && !tls_.empty())) add(none, tcp_, tls_, i);
  }
  std::vector<TurnWorker*> all;
  for (auto& w : workers_) all.push_back(w.get());
  for (auto& w : workers_) w->set_workers(all);
}

TurnService::~TurnService() { stop(); }

void TurnService::start() {
  for (auto& w : workers_) threads_.emplace_back([worker = w.get()] { worker->run(); });
}

void TurnService::request_stop() {
  for (auto& w : workers_) w->stop();
}

void TurnService::stop() {
  request_stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

std::vector<std::pair<std::string, stun::TransportAddress>> TurnService::listening() const {
  const std::string prefix = shared_ ? "turn-" : "stun-";  // TURN off: the names STUN's listeners had
  std::vector<std::pair<std::string, stun::TransportAddress>> out;
  for (std::size_t i = 0; i < udp_.size(); ++i) {
    out.emplace_back(prefix + (i < alternate_udp_ ? "udp" : "udp-alt"), udp_[i]);
  }
  for (const auto& a : tcp_) out.emplace_back(prefix + "tcp", a);
  if (options_.worker.tls_ctx) {
    for (const auto& a : tls_) out.emplace_back(prefix + "tls", a);
  }
  return out;
}

namespace {

nlohmann::json to_json(const turn::AllocationInfo& a) {
  nlohmann::json j;
  j["username"] = a.username;
  j["client"] = a.client.client.to_string();
  j["server"] = a.client.server.to_string();
  j["transport"] = std::string(stun::to_string(a.client.transport));
  j["relayed"] = nlohmann::json::array();
  for (const auto& r : a.relayed) j["relayed"].push_back(r.to_string());
  j["lifetime_left_s"] = a.lifetime_left_s;
  j["permissions"] = nlohmann::json::array();
  for (const auto& p : a.permissions) j["permissions"].push_back(p.ip_string());
  j["channels"] = nlohmann::json::array();
  for (const auto& [n, peer] : a.channels) j["channels"].push_back({{"number", n}, {"peer", peer.to_string()}});
  j["packets_to_peer"] = a.packets_to_peer;
  j["bytes_to_peer"] = a.bytes_to_peer;
  j["packets_to_client"] = a.packets_to_client;
  j["bytes_to_client"] = a.bytes_to_client;
  return j;
}

}  // namespace

std::string TurnService::allocations_json() const {
  nlohmann::json out = nlohmann::json::array();
  const auto now = clock_->now();
  for (const auto& w : workers_) {
    if (!shared_) break;  // TURN off: no allocations
    auto promise = std::make_shared<std::promise<std::vector<turn::AllocationInfo>>>();
    auto future = promise->get_future();
    TurnWorker* worker = w.get();
    worker->post([promise, worker, now] { promise->set_value(worker->core()->snapshot(now)); });
    if (future.wait_for(std::chrono::seconds(1)) != std::future_status::ready) continue;
    for (const auto& a : future.get()) out.push_back(to_json(a));
  }
  return out.dump(2) + "\n";
}

}  // namespace sb::net
