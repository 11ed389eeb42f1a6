// STUN over UDP (RFC 8489 §6.2.1), the fast path: per listen address, one SO_REUSEPORT socket per worker,
// each served by its own thread that receives a batch with recvmmsg, answers every datagram through its
// own stun::BindingService, and sends the answers with one sendmmsg. Buffers are allocated once per
// thread; nothing is allocated per packet and no lock is shared between threads.
//
// Ownership: each worker thread owns its socket, buffers, BindingService and stun::Metrics shard. The table of
// RFC 5780 origin sockets is filled before start() and read-only afterwards.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "stun/address.hpp"
#include "stun/metrics.hpp"
#include "stun/service.hpp"

namespace sb::net {

struct StunUdpOptions {
  std::vector<stun::TransportAddress> listen;  // port 0 = pick one (the first worker picks, others join)
  std::size_t workers = 0;                     // sockets (and threads) per address; 0 = one per core
  std::size_t batch = 64;                      // datagrams per recvmmsg / sendmmsg, 1..256
  std::size_t max_datagram = 1500;             // larger datagrams are dropped (counted as too_large)
  int socket_buffer_bytes = 4 << 20;
  std::string validate() const;
};

class StunUdpServer {
 public:
  // Binds every socket. With behaviour discovery on (service.primary/alternate), the four RFC 5780
  // address combinations are bound too. Throws std::runtime_error with a readable message.
  // Each worker registers its shard of the STUN metrics in `registry`.
  StunUdpServer(StunUdpOptions options, stun::ServiceConfig service, metrics::Registry& registry);
  ~StunUdpServer();  // stop()
  StunUdpServer(const StunUdpServer&) = delete;
  StunUdpServer& operator=(const StunUdpServer&) = delete;

  void start();
  void request_stop() { stopping_.store(true); }  // non-blocking; threads leave within ~100 ms
  void stop();                                     // idempotent; request_stop() and join the threads

  // Every bound address (listen addresses first, in order, then RFC 5780 extras), ports resolved.
  const std::vector<stun::TransportAddress>& bound() const { return bound_; }

 private:
  struct Worker;
  void run(Worker& w);
  std::size_t answer(Worker& w, std::size_t i, std::size_t queued);
  void open_address(const stun::TransportAddress& address);
  int origin_socket(const stun::TransportAddress& from) const;

  StunUdpOptions options_;
  stun::ServiceConfig service_;
  metrics::Registry& registry_;
  std::vector<stun::TransportAddress> bound_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  bool started_ = false;
};

}  // namespace sb::net
