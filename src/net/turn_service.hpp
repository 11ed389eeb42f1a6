// The TURN relay service: one TurnShared, N TurnWorkers (one thread each) sharing the STUN/TURN ports
// through SO_REUSEPORT, and what the rest of the server reads from it (listen addresses, metrics, the
// admin list of live allocations).
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "net/turn_worker.hpp"
#include "turn/shared.hpp"
#include "util/clock.hpp"

namespace sb::net {

// Every TURN metric summed over workers, as plain numbers (src/server renders them).
struct TurnMetrics {
  std::uint64_t allocations_created = 0, allocations_deleted = 0, allocations_expired = 0;
  std::uint64_t permissions_created = 0, channels_bound = 0;
  std::uint64_t requests = 0, error_responses = 0, denied_peers = 0;
  std::uint64_t packets_to_peer = 0, bytes_to_peer = 0, packets_to_client = 0, bytes_to_client = 0;
  std::uint64_t channel_data_to_peer = 0, channel_data_to_client = 0, to_local_relay = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(turn::AuthFailure::kCount)> auth_failures{};
  std::array<std::uint64_t, static_cast<std::size_t>(turn::DropReason::kCount)> drops{};
  // Gauges (refreshed by each worker about twice a second).
  std::uint64_t allocations = 0, permissions = 0, channels = 0, connections = 0;
  std::uint64_t send_drops = 0;  // datagrams the kernel refused, stream output over its bound
  std::array<std::uint64_t, static_cast<std::size_t>(StreamClose::kCount)> connections_closed{};
  std::uint64_t accept_backoffs = 0;
  std::array<std::uint64_t, static_cast<std::size_t>(turn::Quota::kCount)> quota_refusals{};
};

struct TurnServiceOptions {
  TurnWorkerOptions worker;  // listen addresses (port 0 = pick one), relay and external addresses, TLS
  std::uint32_t threads = 0;  // 0 = one per core
  std::uint32_t connections_per_ip = 256;  // TCP/TLS connections per client IP (IPv6: /64), all workers; 0 = no limit
};

class TurnService {
 public:
  // Builds the workers and binds every listen socket (workers after the first join the first one's
  // ports). Throws std::runtime_error with a readable message.
  TurnService(TurnServiceOptions options, std::shared_ptr<turn::TurnShared> shared,
              std::shared_ptr<const util::Clock> clock);
  ~TurnService();  // stop()
  TurnService(const TurnService&) = delete;
  TurnService& operator=(const TurnService&) = delete;

  void start();
  void request_stop();  // thread-safe, does not block: workers leave their loops within a round
  void stop();          // request_stop() and join the worker threads; idempotent

  // ("turn-udp" | "turn-tcp" | "turn-tls", bound address) for every listen socket.
  std::vector<std::pair<std::string, stun::TransportAddress>> listening() const;

  TurnMetrics metrics() const;
  // JSON array of the live allocations (asks each worker; waits at most ~1 s per worker).
  std::string allocations_json() const;

  std::size_t worker_count() const { return workers_.size(); }
  // STUN Binding counters of the shared front end, summed over workers (for the STUN metrics).
  stun::StunMetricsSnapshot stun_metrics() const;

 private:
  TurnServiceOptions options_;
  std::shared_ptr<turn::TurnShared> shared_;
  std::shared_ptr<const util::Clock> clock_;
  std::vector<std::unique_ptr<TurnWorker>> workers_;
  std::vector<std::thread> threads_;
  std::vector<stun::TransportAddress> udp_, tcp_, tls_;  // with the ports actually bound
  util::PerIpCounter connections_per_ip_;                 // shared by the workers
};

}  // namespace sb::net
