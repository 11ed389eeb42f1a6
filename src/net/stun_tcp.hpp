// STUN over TCP and TLS (RFC 8489 §6.2.2, §6.2.3): messages framed by their own length field on a stream.
// One thread runs a Boost.Asio io_context for every stream listener; each connection reads, answers the
// complete frames in its buffer through the shared stun::BindingService, writes the answers, then reads
// again (so a connection never has more than one buffer of answers pending). A malformed frame closes that
// connection only. A connection must finish its TLS handshake within handshake_timeout, send its first
// complete request within first_request_timeout, and then one every idle_timeout (bytes that do not
// complete a frame do not count); one client IP may hold connections_per_ip connections. When accept()
// runs out of descriptors the listener waits accept_backoff before it tries again.
//
// Ownership: the acceptors, sessions, BindingService and stun::Metrics belong to the io thread; the
// metrics (signalbox_stun_*, refusals and accept backoffs included) live in the registry given.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "stun/address.hpp"
#include "stun/metrics.hpp"
#include "stun/service.hpp"

namespace sb::net {

struct StunStreamOptions {
  std::vector<stun::TransportAddress> tcp_listen;  // port 0 = pick one
  std::vector<stun::TransportAddress> tls_listen;  // used only when `tls` is set
  std::shared_ptr<boost::asio::ssl::context> tls;
  std::size_t max_connections = 10000;            // beyond it new connections are closed at once
  std::uint32_t connections_per_ip = 256;         // per client IP (IPv6: /64); 0 = no limit
  std::size_t max_frame = 2048;                   // a longer STUN frame closes the connection
  std::chrono::milliseconds handshake_timeout{10000};
  std::chrono::milliseconds first_request_timeout{10000};
  std::chrono::milliseconds idle_timeout{30000};
  std::chrono::milliseconds accept_backoff{100};
  std::string validate() const;
};

class StunStreamServer {
 public:
  // Binds and listens on every address. Throws std::runtime_error with a readable message.
  StunStreamServer(StunStreamOptions options, stun::ServiceConfig service, metrics::Registry& registry);
  ~StunStreamServer();  // stop()
  StunStreamServer(const StunStreamServer&) = delete;
  StunStreamServer& operator=(const StunStreamServer&) = delete;

  void start();  // runs the io thread
  void request_stop();  // non-blocking: closes listeners and connections on the io thread
  void stop();          // idempotent: request_stop(), then (after at most ~2 s) stops and joins the io thread

  const std::vector<stun::TransportAddress>& bound_tcp() const { return bound_tcp_; }
  const std::vector<stun::TransportAddress>& bound_tls() const { return bound_tls_; }
  std::size_t connections() const { return connections_.load(std::memory_order_relaxed); }

  struct Shared;  // what sessions need; defined in the .cpp

 private:
  StunStreamOptions options_;
  boost::asio::io_context io_;
  std::shared_ptr<Shared> shared_;
  std::vector<stun::TransportAddress> bound_tcp_, bound_tls_;
  std::atomic<std::size_t> connections_{0};
  std::atomic<bool> stop_requested_{false};
  std::shared_ptr<std::promise<void>> closed_ = std::make_shared<std::promise<void>>();
  std::thread thread_;
};

}  // namespace sb::net
