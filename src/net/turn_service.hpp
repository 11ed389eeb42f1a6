// The STUN/TURN front end: one TurnShared, N TurnWorkers (one thread each) sharing the STUN/TURN ports
// through SO_REUSEPORT, and what the rest of the server reads from it (listen addresses, the admin list of
// live allocations). Its workers and their cores register their metrics in the registry it is given.
// Without a TurnShared (TURN off) it is the STUN server alone: the same workers and sockets answer Binding
// and nothing else (see turn_worker.hpp). With RFC 5780 behaviour discovery (worker.stun with an alternate
// address) every worker also binds IP1:P2, IP2:P1 and IP2:P2 for UDP, where CHANGE-REQUEST answers come from.
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
#include "util/metrics.hpp"

namespace sb::net {

struct TurnServiceOptions {
  TurnWorkerOptions worker;  // listen addresses (port 0 = pick one), relay and external addresses, TLS
  std::uint32_t threads = 0;  // 0 = one per core
  std::uint32_t connections_per_ip = 256;  // TCP/TLS connections per client IP (IPv6: /64), all workers; 0 = no limit
};

class TurnService {
 public:
  // Builds the workers and binds every listen socket (workers after the first join the first one's
  // ports). `shared` null = TURN off: STUN alone (options.worker.stun must be set). Throws
  // std::runtime_error with a readable message.
  TurnService(TurnServiceOptions options, std::shared_ptr<turn::TurnShared> shared,
              std::shared_ptr<const util::Clock> clock, metrics::Registry& registry);
  ~TurnService();  // stop()
  TurnService(const TurnService&) = delete;
  TurnService& operator=(const TurnService&) = delete;

  void start();
  void request_stop();  // thread-safe, does not block: workers leave their loops within a round
  void stop();          // request_stop() and join the worker threads; idempotent

  // ("turn-udp" | "turn-tcp" | "turn-tls", bound address) for every listen socket, the RFC 5780 extra UDP
  // addresses as "turn-udp-alt"; with TURN off "stun-" instead of "turn-".
  std::vector<std::pair<std::string, stun::TransportAddress>> listening() const;

  // JSON array of the live allocations (asks each worker; waits at most ~1 s per worker); [] with TURN off.
  std::string allocations_json() const;

  std::size_t worker_count() const { return workers_.size(); }

 private:
  TurnServiceOptions options_;
  std::shared_ptr<turn::TurnShared> shared_;
  std::shared_ptr<const util::Clock> clock_;
  std::vector<std::unique_ptr<TurnWorker>> workers_;
  std::vector<std::thread> threads_;
  std::vector<stun::TransportAddress> udp_, tcp_, tls_;  // with the ports actually bound
  std::size_t alternate_udp_ = 0;                        // udp_[alternate_udp_..] are RFC 5780's extras
  util::PerIpCounter connections_per_ip_;                 // shared by the workers
};

}  // namespace sb::net
