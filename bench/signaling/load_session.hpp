// Load generator pieces: one Worker (an io_context on its own thread) owns many Sessions (WebSocket
// clients in rooms of two). Sessions of a worker are touched only on that worker's thread; the controller
// reads the workers' atomic counters and sets the shared phase.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "histogram.hpp"

namespace sb::bench {

namespace net = boost::asio;
using tcp = net::ip::tcp;

enum class Phase : int {
  setup,       // connect + join; relayed messages are only counted
  saturation,  // every received relayed message is answered with the next one (closed loop)
  drain,         // stop answering; let in-flight messages arrive
  paced_warmup,  // messages sent at a fixed rate, not yet recorded
  paced,         // messages sent at a fixed rate; latency recorded
  done,
};

// The wire protocol the sessions speak: signalbox's v1 (rooms of two, joined by name) or PeerJS (ids p<i>,
// where sessions 2k and 2k + 1 message each other; the server needs no room).
enum class Protocol { v1, peerjs };

struct LoadConfig {
  Protocol protocol = Protocol::v1;
  std::string peerjs_key = "peerjs";
  // One server, or the nodes of a cluster. Session i (global index) meets session i ^ 1 in room <prefix><i / 2>;
  // `cross`: the two sit on different nodes (pair p: nodes p and p + 1), else both on node p (mod the count).
  std::vector<tcp::endpoint> servers;
  std::vector<std::string> host_headers;
  bool cross = false;
  std::string room_prefix = "b";
  // This process opens global indices start, start + step, ...: several load generators (one per node) can
  // fill the same rooms.
  int index_start = 0, index_step = 1;
  std::string path = "/ws";
  bool room_hint = true;  // connect to path?room=NAME, as the web client does
  std::vector<net::ip::address> sources;  // source addresses, each used for up to `per_source` sessions
  int per_source = 20000;
  int connect_concurrency = 256;  // handshakes in flight per worker
  int window = 1;                 // messages each session keeps in flight during saturation
  // Answers to the frames of one read go out in one write (several frames per segment). Off by default:
  // browsers send each message on its own, so each is a write to the server and a read for it.
  bool batch_writes = false;
  std::size_t offer_bytes = 4000, answer_bytes = 2500, candidate_bytes = 150;
};

class Worker;

// One WebSocket client. Message k of a session is an offer (k % 10 == 0), an answer (k % 10 == 1) or a
// candidate, sized like a browser's. The payload starts with "@@<send time ns>@@" for latency. A PeerJS
// session also sends HEARTBEAT every 5 s, as the peerjs client does.
//
// Beast writes the upgrade request and reads the 101; after that the session frames by hand, as cheaply as a
// client can: it reads whatever is readable into the worker's one buffer (keeping only a partial frame), and
// writes each frame at once with one send() (or, with batch_writes, every frame queued while it handles what it
// read in one write). Frames are masked (RFC 6455 §5.3) with a key of the session's own. The load generator's CPU per message is what the servers have left of the
// two cores, so it is kept low; it is the same for every server driven.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Worker& worker, int index);
  void start();
  void send_next();  // one relayed message to the peer; no-op until the peer is known
  void send_heartbeat();
  bool ready() const { return !peer_id_.empty() && open_; }
  int index() const { return index_; }

 private:
  void on_connect(boost::beast::error_code ec);
  void on_handshake(boost::beast::error_code ec);
  void read();
  void on_readable();
  // Handles the complete frames at the front of `bytes`; returns how many bytes it used. False in `ok` when
  // the connection is to end (a close frame, or a frame a server must not send).
  std::size_t handle_frames(std::string_view bytes, bool& ok);
  void handle_message(std::string_view text);
  void frame(std::uint8_t opcode, std::string_view payload);  // appends one masked frame to out_
  // This session's room: <prefix><global / 2>, so sessions 2k and 2k + 1 meet in room <prefix>k.
  std::string room() const;
  int global() const;
  std::size_t server() const;  // index into config.servers
  std::string target() const;  // the WebSocket request target
  void handle_control(const std::string& text);
  void handle_peerjs_control(const std::string& type);
  std::string relay_message(std::uint64_t k, const std::string& stamp) const;
  void enqueue(std::string_view text);
  void write();
  void fail();

  Worker& worker_;
  const int index_;
  tcp::socket socket_;
  boost::beast::flat_buffer handshake_buffer_;
  boost::beast::http::request<boost::beast::http::empty_body> request_;
  boost::beast::http::response<boost::beast::http::empty_body> response_;
  std::uint32_t mask_ = 0;
  std::string partial_;    // the start of a frame not yet complete
  std::string out_;        // frames queued, not yet handed to the socket
  std::string sending_;    // frames being written
  bool handling_ = false;  // inside on_readable: frames queued meanwhile go out in one write at its end
  bool writing_ = false;
  bool failed_ = false;
  bool open_ = false;
  bool counted_ = false;  // counted in worker.joined
  std::uint64_t sent_ = 0;
  std::string peer_id_;
};

class Worker {
 public:
  Worker(const LoadConfig& config, const std::atomic<int>& phase);
  ~Worker();
  // Opens sessions with these global indices (rooms are index / 2), at most connect_concurrency at once.
  void open(std::vector<int> indices);
  // Paced phase: this worker's share of the offered rate, sent round-robin over its ready sessions.
  void start_pacing(double messages_per_second);
  void start_saturation();
  void join_thread();

  const LoadConfig& config;
  const std::atomic<int>& phase;
  net::io_context ioc{1};
  std::vector<char> read_buffer = std::vector<char>(1 << 16);  // every session reads into this one

  // Written by this worker's thread, read by the controller.
  std::atomic<std::uint64_t> connected{0}, joined{0}, ready{0}, failed{0}, closed{0};
  std::atomic<std::uint64_t> sent{0}, received{0}, errors{0};
  Histogram latency;  // read by the controller only after the thread has finished

  // Worker thread only.
  void handshake_done();  // frees one connect slot
  void record_receive(std::uint64_t sent_ns);

 private:
  void open_more();
  void pace();
  void heartbeat();

  std::vector<int> pending_;
  std::size_t next_pending_ = 0;
  int in_flight_ = 0;
  std::vector<std::shared_ptr<Session>> sessions_;
  net::steady_timer timer_{ioc};
  net::steady_timer heartbeat_timer_{ioc};
  std::uint64_t heartbeat_tick_ = 0;
  double rate_ = 0;
  std::chrono::steady_clock::time_point pace_start_;
  std::uint64_t paced_sent_ = 0;
  std::size_t rr_ = 0;
  net::executor_work_guard<net::io_context::executor_type> work_{ioc.get_executor()};
  std::thread thread_;
};

std::uint64_t now_ns();

}  // namespace sb::bench
