// One worker of the STUN/TURN front end: a thread with its own epoll set, its own SO_REUSEPORT sockets on
// the shared STUN/TURN ports (UDP, TCP, TLS), the relay sockets of the allocations it owns, and its own
// TurnCore shard. The kernel hashes a client's 4-tuple to one worker's listen socket every time, so each
// allocation, its relay socket and all its packets stay on one thread: no lock per packet.
//
// With TURN off (no turn::TurnShared: --no-turn) the same worker serves STUN alone: every packet goes to its
// stun::BindingService, what that does not handle (TURN methods, ChannelData) is dropped and counted as
// signalbox_stun_dropped_total{reason="unhandled"} without an answer, and there is no TurnCore, no relay
// socket and no signalbox_turn_* metric (the STUN listeners' signalbox_stun_* take their place).
//
// Per loop round: epoll_wait → drain each ready socket with recvmmsg → the core turns each packet into
// at most one packet out → queued in SendBatch buffers → flushed with sendmmsg at the end of the round.
// Receive and send buffers are allocated once; the data path allocates nothing.
//
// Ownership: everything here belongs to the worker thread, except stop(), post() and the gauges, which
// are thread-safe.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/turn_local_relay.hpp"
#include "net/turn_stream.hpp"
#include "net/turn_udp.hpp"
#include "stun/metrics.hpp"
#include "stun/service.hpp"
#include "turn/core.hpp"
#include "util/clock.hpp"
#include "util/per_ip.hpp"

namespace sb::net {

struct TurnWorkerOptions {
  // STUN Binding on the shared ports: each worker runs its own stun::BindingService (RFC 7983: first
  // byte and method tell Binding from TURN). nullopt (--no-stun) = Binding goes to the TURN core; required
  // with TURN off.
  std::optional<stun::ServiceConfig> stun;
  std::vector<stun::TransportAddress> udp_listen;
  std::vector<stun::TransportAddress> tcp_listen;
  std::vector<stun::TransportAddress> tls_listen;  // used only when tls_ctx is set
  SSL_CTX* tls_ctx = nullptr;                       // kept alive by the owner of the workers
  std::optional<stun::TransportAddress> relay_v4;   // IP the relay sockets bind (port ignored)
  std::optional<stun::TransportAddress> relay_v6;
  std::optional<stun::TransportAddress> external_v4;  // IP advertised instead of relay_v4 (NAT)
  std::optional<stun::TransportAddress> external_v6;
  std::size_t max_connections = 10000;          // TCP/TLS connections per worker
  std::size_t stream_output_bytes = 256 * 1024;  // per connection, beyond it data is dropped
  std::size_t max_frame = 4096;                  // largest STUN/ChannelData frame on a stream
  // TCP/TLS connections are closed when the TLS handshake is not done after tls_handshake_timeout, no
  // valid request came within first_request_timeout of it, nothing valid came for idle_timeout while no
  // allocation lives on the connection, or a frame that started arriving is not complete after
  // frame_timeout. Checked about twice a second.
  std::chrono::milliseconds tls_handshake_timeout{10'000};
  std::chrono::milliseconds first_request_timeout{10'000};
  std::chrono::milliseconds idle_timeout{30'000};
  std::chrono::milliseconds frame_timeout{10'000};
  // Frames one connection hands the core per wake before the other sockets get a turn (UDP has its
  // own: a few recvmmsg batches per socket per wake).
  std::size_t frames_per_wake = 64;
  // Connections per client IP over all workers (shared, owned by the service); null = no limit.
  util::PerIpCounter* connections_per_ip = nullptr;
  // After accept() fails for want of descriptors (EMFILE, ENFILE, ENOBUFS, ENOMEM), the listener is
  // left alone this long instead of failing again at once (level-triggered epoll would spin).
  std::chrono::milliseconds accept_backoff{100};
};

// Why the worker closed a TCP/TLS connection (signalbox_turn_connections_closed_total{reason}).
enum class StreamClose : std::uint8_t {
  kHandshakeTimeout,
  kFirstRequestTimeout,
  kIdleTimeout,
  kFrameTimeout,
  kPerIpLimit,      // refused at accept: the client IP holds connections_per_ip connections
  kConnectionLimit,  // refused at accept: the worker holds max_connections
  kCount
};
const char* to_string(StreamClose r);

class TurnWorker final : public turn::RelayBinder {
 public:
  // `index`: this worker's place among the service's `count` workers (its core's shard number). The worker
  // registers its shard of the STUN and TURN metrics in `registry`. `shared` null = TURN off: STUN alone
  // (options.stun must then be set).
  TurnWorker(const TurnWorkerOptions& options, turn::TurnShared* shared, const util::Clock& clock,
             metrics::Registry& registry, std::uint32_t index = 0, std::uint32_t count = 1);
  ~TurnWorker() override;
  TurnWorker(const TurnWorker&) = delete;
  TurnWorker& operator=(const TurnWorker&) = delete;

  // Binds the listen sockets. Port 0 in an address is replaced by the port actually bound (so the
  // first worker picks and the others join it). Returns "" or an error. A worker with TURN off and one UDP
  // socket as its only listener (how the service runs STUN alone) blocks in recvmmsg instead of epoll: the
  // wait and the read are then one system call per wake-up instead of two.
  std::string open(std::vector<stun::TransportAddress>& udp, std::vector<stun::TransportAddress>& tcp,
                   std::vector<stun::TransportAddress>& tls);
  // Runs the loop on the calling thread until stop().
  void run();
  void stop();                              // thread-safe
  void post(std::function<void()> task);    // thread-safe: runs `task` on the worker thread soon
  // Every worker of the service, by index (this one included), for relay-to-relay between allocations
  // on different workers. Set once before run(); without it only this worker's allocations are reached.
  void set_workers(std::vector<TurnWorker*> workers) { workers_ = std::move(workers); }

  // Only from the worker thread (e.g. inside a posted task). Null with TURN off.
  turn::TurnCore* core() { return core_.get(); }


  // RelayBinder (called by the core on this thread).
  bool has_family(turn::Family family) const override;
  std::optional<turn::RelayEndpoint> bind(turn::Family family, std::uint16_t port) override;
  void close(const turn::RelayEndpoint& relay) override;

 private:
  enum class Kind : std::uint8_t { kWake, kUdpListen, kTcpListen, kTlsListen, kRelay, kStream };
  struct Listen {
    int fd = -1;
    stun::TransportAddress address;
    bool paused = false;  // accept backoff: not watched until accept_resume_
  };
  struct StreamSlot {
    std::unique_ptr<TurnStream> stream;
    bool dirty = false;     // send()s since the last flush
    bool watching_out = false;
    bool pending = false;   // in pending_streams_: frames or TLS bytes left after its budget ran out
    bool counted = false;   // holds one of its IP's connections_per_ip
    bool valid_seen = false;
    std::size_t frames = 0;          // frames handed over in the current wake
    util::TimePoint ready{};         // accepted (TCP) or TLS handshake done
    util::TimePoint last_valid{};    // last frame the core or the STUN service accepted
    util::TimePoint frame_since{};   // a partial frame is buffered since then ({} = none)
  };
  static std::uint64_t tag(Kind kind, int fd);

  std::string open_listeners(std::vector<stun::TransportAddress>& addrs, Kind kind, std::vector<Listen>& out);
  bool watch(int fd, Kind kind, std::uint32_t events);
  void handle_event(std::uint64_t data, std::uint32_t events);
  void on_udp_listen(const Listen& l);
  void on_udp_batch(const Listen& l, std::size_t n);
  void run_blocking_udp();
  // The UDP listener bound to `address`: this worker's, else another worker's (RFC 5780 answers from the
  // other address; sending on another worker's socket is safe). Null when none.
  const Listen* udp_listener(const stun::TransportAddress& address) const;
  void on_client_datagram(const Listen& l, const Datagram& d);
  // Gives a packet to the STUN service: with TURN on only Binding requests (kNotBinding: not one, or STUN is
  // off), with TURN off every packet. kAnswered: answered, or nothing to answer (an indication); kDropped:
  // counted; kClose: TURN off, a malformed message on a stream, whose connection closes (RFC 8489 §6.3).
  enum class BindingAnswer : std::uint8_t { kNotBinding, kAnswered, kDropped, kClose };
  BindingAnswer answer_binding(std::span<const std::uint8_t> bytes, const turn::FiveTuple& tuple, StreamSlot* stream);
  void on_relay(int fd);
  void on_accept(Listen& l, bool tls);
  bool accept_one(Listen& l, bool tls);  // false when accept() has nothing more (or backs off)
  void pause_accepting(Listen& l);
  void resume_accepting();
  void on_stream(int fd, std::uint32_t events);
  void run_pending_streams();
  bool on_stream_frame(StreamSlot& slot, std::span<const std::uint8_t> frame);
  void after_read(StreamSlot& slot, bool was_ready);
  std::optional<StreamClose> overdue(const StreamSlot& slot) const;
  void expire_streams();
  int wait_timeout_ms() const;
  void deliver(const turn::Output& o);
  void to_local_relay(const turn::Output& o);
  void drain_inbox();
  void wake();
  void to_client(const turn::FiveTuple& client, std::span<const std::uint8_t> bytes);
  void close_stream(int fd);
  void update_stream_interest(int fd, StreamSlot& slot);
  void end_of_round();
  void run_posted();
  void tick();

  TurnWorkerOptions options_;
  const util::Clock& clock_;
  bool rfc5766_channels_;
  std::optional<stun::Metrics> stun_metrics_;  // when this worker answers Binding (options_.stun)
  metrics::Registry unexported_;  // with TURN off: what the front end counts but STUN alone never exported
  // This worker's shard of the front end's signalbox_turn_* metrics (the core registers its own): gauges
  // refreshed by tick() and on every accepted or closed connection, counters written by this thread only.
  // With TURN off (`stun_only`) the names STUN's own listeners always had: refusals at accept and accept
  // backoffs as signalbox_stun_*, send failures as signalbox_stun_dropped_total{reason="send_failed"}; the
  // rest goes to `unexported`.
  struct NetMetrics {
    NetMetrics(metrics::Registry& r, metrics::Registry& unexported, stun::Metrics* stun_only);
    metrics::Gauge& allocations;
    metrics::Gauge& permissions;
    metrics::Gauge& channels;
    metrics::Gauge& connections;
    std::array<metrics::Counter*, static_cast<std::size_t>(StreamClose::kCount)> closed{};
    metrics::Counter& accept_backoffs;
    metrics::Counter& send_drops;  // datagrams the kernel refused, stream output over its bound
  } net_metrics_;
  std::unique_ptr<stun::BindingService> stun_;
  std::unique_ptr<turn::TurnCore> core_;  // null with TURN off
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  bool blocking_udp_ = false;  // TURN off, one UDP socket and nothing else: run_blocking_udp()

  std::vector<Listen> udp_, tcp_, tls_;
  std::unordered_map<int, StreamSlot> streams_;                                    // by fd
  std::unordered_map<turn::FiveTuple, int, turn::FiveTupleHash> stream_by_tuple_;  // → fd
  std::vector<int> dirty_streams_;
  std::vector<int> pending_streams_;  // connections whose per-wake frame budget ran out
  std::vector<int> pending_now_;      // scratch for run_pending_streams()
  std::vector<std::pair<int, StreamClose>> overdue_;  // scratch for expire_streams()
  util::TimePoint accept_resume_{};   // paused listeners are watched again from then
  std::unordered_map<int, int> relay_fds_;  // relay fd → 1 (open relay sockets of this worker)
  std::uint32_t index_;
  std::vector<TurnWorker*> workers_;  // by index; fixed before run()
  LocalRelayInbox inbox_;             // relay-to-relay datagrams from other workers
  LocalRelayInbox::Datagram local_{};  // the same from this worker's own allocations
  std::uint64_t local_drops_ = 0;     // relay-to-relay datagrams over an inbox's bound or size

  RecvBatch client_in_;
  RecvBatch peer_in_{turn::kPeerHeadroom, turn::kPeerTailroom};
  SendBatch client_out_;
  SendBatch peer_out_;
  std::vector<std::uint8_t> response_;  // the core writes STUN responses here
  turn::Now now_{};
  util::TimePoint last_tick_{};

  std::mutex posted_mu_;
  std::vector<std::function<void()>> posted_;  // guarded by posted_mu_

  std::uint64_t closed_stream_drops_ = 0;  // output dropped by connections closed since (for send_drops)
  std::uint64_t send_drops_counted_ = 0;   // what NetMetrics::send_drops holds already
};

}  // namespace sb::net
