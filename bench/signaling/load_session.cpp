#include "load_session.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <charconv>
#include <iostream>
#include <nlohmann/json.hpp>

#include "ws/frame.hpp"

namespace sb::bench {

namespace beast = boost::beast;
namespace http = beast::http;
using beast::error_code;

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

namespace {

// SDP-like filler: 70-character lines joined by an escaped CRLF, as a browser's SDP is in JSON.
const std::string& filler() {
  static const std::string text = [] {
    std::string s;
    const std::string line = "a=fmtp:111 minptime=10;useinbandfec=1;x-google-padding-for-the-benchmark";
    while (s.size() < 40000) s += line + "\\r\\n";
    return s;
  }();
  return text;
}

constexpr std::string_view kMarker = "@@";

// Parses the send time out of a relayed message; 0 when the message carries none.
std::uint64_t sent_time(std::string_view text) {
  auto at = text.find(kMarker);
  if (at == std::string_view::npos) return 0;
  const char* first = text.data() + at + kMarker.size();
  std::uint64_t ns = 0;
  auto [end, ec] = std::from_chars(first, text.data() + text.size(), ns);
  return ec == std::errc{} ? ns : 0;
}

}  // namespace

Session::Session(Worker& worker, int index) : worker_(worker), index_(index), socket_(worker.ioc) {
  // A masking key of the session's own, never zero (splitmix64 of the index).
  std::uint64_t z = static_cast<std::uint64_t>(index) + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  mask_ = static_cast<std::uint32_t>(z ^ (z >> 31)) | 1U;
}

int Session::global() const { return worker_.config.index_start + index_ * worker_.config.index_step; }

std::string Session::room() const { return worker_.config.room_prefix + std::to_string(global() / 2); }

std::size_t Session::server() const {
  const auto& c = worker_.config;
  const auto pair = static_cast<std::size_t>(global() / 2);
  const auto member = static_cast<std::size_t>(global() % 2);
  return (pair + (c.cross ? member : 0)) % c.servers.size();
}

void Session::start() {
  const LoadConfig& c = worker_.config;
  auto& sock = socket_;
  error_code ec;
  sock.open(tcp::v4(), ec);
  if (!ec) {
    // Choose the source port at connect() time so the 4-tuple, not the (address, port) pair, must be unique.
    int one = 1;
    setsockopt(sock.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    const auto& source = c.sources[static_cast<std::size_t>(index_ / c.per_source) % c.sources.size()];
    sock.bind(tcp::endpoint(source, 0), ec);
  }
  if (ec) {
    // Defer, so the caller's loop does not re-enter open_more() through handshake_done().
    net::post(worker_.ioc, [self = shared_from_this()] { self->fail(); });
    return;
  }
  sock.async_connect(c.servers[server()], [self = shared_from_this()](error_code ec) { self->on_connect(ec); });
}

void Session::on_connect(error_code ec) {
  if (ec) return fail();
  socket_.set_option(tcp::no_delay(true), ec);
  request_ = {http::verb::get, target(), 11};
  request_.set(http::field::host, worker_.config.host_headers[server()]);
  request_.set(http::field::upgrade, "websocket");
  request_.set(http::field::connection, "Upgrade");
  request_.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  request_.set(http::field::sec_websocket_version, "13");
  http::async_write(socket_, request_, [self = shared_from_this()](error_code ec, std::size_t) {
    if (ec) return self->fail();
    http::async_read(self->socket_, self->handshake_buffer_, self->response_,
                     [self](error_code ec, std::size_t) { self->on_handshake(ec); });
  });
}

std::string Session::target() const {
  const LoadConfig& c = worker_.config;
  if (c.protocol == Protocol::peerjs) {
    return c.path + "?key=" + c.peerjs_key + "&id=p" + std::to_string(global()) + "&token=t" + std::to_string(global()) +
           "&version=1.5.5";
  }
  // The room in the URL, as the web client sends it: a placement hint (the join is what counts).
  return c.room_hint ? c.path + "?room=" + room() : c.path;
}

void Session::on_handshake(error_code ec) {
  if (ec || response_.result() != http::status::switching_protocols) return fail();
  socket_.non_blocking(true, ec);
  if (ec) return fail();
  open_ = true;
  worker_.connected.fetch_add(1, std::memory_order_relaxed);
  worker_.handshake_done();
  // Bytes the server sent right after the 101 (PeerJS's OPEN) may already sit behind the response.
  const auto rest = handshake_buffer_.cdata();
  partial_.assign(static_cast<const char*>(rest.data()), rest.size());
  handshake_buffer_ = {};
  // A PeerJS session is registered by its URL; the server answers OPEN.
  if (worker_.config.protocol == Protocol::v1) enqueue(R"({"type":"join","room":")" + room() + R"("})");
  bool ok = true;
  partial_.erase(0, handle_frames(partial_, ok));
  if (!ok) return fail();
  write();
  if (open_) read();
}

void Session::fail() {
  if (failed_) return;  // a read and a write may both see the end
  failed_ = true;
  error_code ignored;
  socket_.close(ignored);
  if (open_) {
    open_ = false;
    // Closed after it was ready (held, then lost), or before (turned away, e.g. PeerJS's concurrent limit: it
    // will never be ready, so the connect phase must not wait for it).
    (counted_ ? worker_.closed : worker_.failed).fetch_add(1, std::memory_order_relaxed);
    return;
  }
  worker_.failed.fetch_add(1, std::memory_order_relaxed);
  worker_.handshake_done();
}

void Session::read() {
  socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](error_code ec) {
    if (ec) return self->fail();
    self->on_readable();
  });
}

// Reads what is there into the worker's buffer and handles every complete frame; a partial frame is kept.
void Session::on_readable() {
  auto& buf = worker_.read_buffer;
  handling_ = true;
  bool ok = true;
  for (;;) {
    const ssize_t n = ::recv(socket_.native_handle(), buf.data(), buf.size(), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      ok = false;
      break;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    const std::string_view got(buf.data(), static_cast<std::size_t>(n));
    if (partial_.empty()) {
      const std::size_t used = handle_frames(got, ok);
      partial_.assign(got.substr(used));
    } else {
      partial_.append(got);
      partial_.erase(0, handle_frames(partial_, ok));
    }
    if (!ok || static_cast<std::size_t>(n) < buf.size()) break;
  }
  handling_ = false;
  if (!ok) return fail();
  write();
  if (open_) read();
}

std::size_t Session::handle_frames(std::string_view bytes, bool& ok) {
  std::size_t at = 0;
  while (ok && bytes.size() - at >= 2) {
    const auto b0 = static_cast<std::uint8_t>(bytes[at]), b1 = static_cast<std::uint8_t>(bytes[at + 1]);
    std::size_t header = 2;
    std::uint64_t length = b1 & 0x7f;
    if (length >= 126) {
      const std::size_t extra = length == 126 ? 2 : 8;
      if (bytes.size() - at < 2 + extra) break;
      length = 0;
      for (std::size_t i = 0; i < extra; ++i) length = (length << 8) | static_cast<std::uint8_t>(bytes[at + 2 + i]);
      header += extra;
    }
    if ((b1 & 0x80) != 0 || (b0 & 0x80) == 0) {  // a server never masks; the servers here never fragment
      ok = false;
      break;
    }
    if (bytes.size() - at - header < length) break;
    const std::string_view payload = bytes.substr(at + header, static_cast<std::size_t>(length));
    at += header + static_cast<std::size_t>(length);
    switch (b0 & 0x0f) {
      case 1:
      case 2: handle_message(payload); break;
      case 9: frame(10, payload); break;  // ping: pong with the same payload
      case 10: break;
      default: ok = false;  // close, or an opcode a server does not send here
    }
  }
  return at;
}

void Session::handle_message(std::string_view text) {
  if (std::uint64_t ns = sent_time(text)) {
    worker_.record_receive(ns);
    if (static_cast<Phase>(worker_.phase.load(std::memory_order_relaxed)) == Phase::saturation) send_next();
  } else {
    handle_control(std::string(text));
  }
}

void Session::handle_control(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  const std::string type = j.is_object() ? j.value("type", "") : "";
  if (worker_.config.protocol == Protocol::peerjs) return handle_peerjs_control(type);
  if (type == "joined") {
    worker_.joined.fetch_add(1, std::memory_order_relaxed);
    if (j["peers"].is_array() && !j["peers"].empty()) peer_id_ = j["peers"][0].value("id", "");
  } else if (type == "peer-joined") {
    peer_id_ = j.value("id", "");
  } else if (type == "peer-left") {
    peer_id_.clear();
  } else if (type == "error") {
    // The first few are shown: a benchmark that gets errors measures something else.
    if (worker_.errors.fetch_add(1, std::memory_order_relaxed) < 5) std::cerr << "server error: " << text << "\n";
  }
  if (!peer_id_.empty() && !counted_) {
    counted_ = true;
    worker_.ready.fetch_add(1, std::memory_order_relaxed);
  }
}

void Session::handle_peerjs_control(const std::string& type) {
  if (type == "OPEN") {
    worker_.joined.fetch_add(1, std::memory_order_relaxed);
    peer_id_ = "p" + std::to_string(global() ^ 1);  // messages to it wait at the server until it is there
    if (!counted_) {
      counted_ = true;
      worker_.ready.fetch_add(1, std::memory_order_relaxed);
    }
  } else {
    worker_.errors.fetch_add(1, std::memory_order_relaxed);  // ERROR, ID-TAKEN, EXPIRE
  }
}

void Session::send_heartbeat() {
  if (open_) enqueue(R"({"type":"HEARTBEAT"})");
}

void Session::send_next() {
  if (!ready()) return;
  const std::uint64_t k = sent_++;
  std::string stamp = std::string(kMarker) + std::to_string(now_ns()) + std::string(kMarker);
  worker_.sent.fetch_add(1, std::memory_order_relaxed);
  enqueue(relay_message(k, stamp));
}

// Message k to the peer, in the session's protocol (PeerJS: as the peerjs client words a media call's).
std::string Session::relay_message(std::uint64_t k, const std::string& stamp) const {
  const LoadConfig& c = worker_.config;
  const bool peerjs = c.protocol == Protocol::peerjs;
  std::string m;
  if (k % 10 == 0 || k % 10 == 1) {
    const bool offer = k % 10 == 0;
    const std::size_t size = offer ? c.offer_bytes : c.answer_bytes;
    m.reserve(size + 160);
    if (peerjs) {
      m += offer ? R"({"type":"OFFER","dst":")" : R"({"type":"ANSWER","dst":")";
      m += peer_id_;
      m += offer ? R"(","payload":{"sdp":{"type":"offer","sdp":")" : R"(","payload":{"sdp":{"type":"answer","sdp":")";
    } else {
      m += offer ? R"({"type":"offer","to":")" : R"({"type":"answer","to":")";
      m += peer_id_;
      m += R"(","sdp":")";
    }
    m += stamp;
    m.append(filler(), 0, size > stamp.size() ? size - stamp.size() : 0);
    m += peerjs ? R"("},"type":"media","connectionId":"mc_bench0000"}})" : "\"}";
    return m;
  }
  m.reserve(c.candidate_bytes + 200);
  if (peerjs) {
    m += R"({"type":"CANDIDATE","dst":")";
    m += peer_id_;
    m += R"(","payload":{"candidate":{"candidate":")";
  } else {
    m += R"({"type":"candidate","to":")";
    m += peer_id_;
    m += R"(","candidate":{"candidate":")";
  }
  m += stamp;
  m += " candidate:842163049 1 udp 1677729535 192.0.2.7 50001 typ srflx raddr 0.0.0.0 rport 0 generation 0";
  m += R"(","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"Fq3b"})";
  m += peerjs ? R"(,"type":"media","connectionId":"mc_bench0000"}})" : "}";
  return m;
}

void Session::frame(std::uint8_t opcode, std::string_view payload) {
  // The server's header with the mask bit set and the key after it (RFC 6455 §5.2), then the masked payload.
  std::uint8_t header[ws::kMaxHeader];
  const std::size_t h = ws::write_header(header, static_cast<ws::Opcode>(opcode), payload.size());
  header[1] |= 0x80;
  out_.append(reinterpret_cast<const char*>(header), h);
  out_.append(reinterpret_cast<const char*>(&mask_), 4);
  const std::size_t start = out_.size();
  out_.append(payload);
  ws::apply_mask(out_.data() + start, payload.size(), reinterpret_cast<const char*>(&mask_));
}

void Session::enqueue(std::string_view text) {
  if (!open_) return;
  frame(1, text);
  if (!handling_ || !worker_.config.batch_writes) write();
}

// Hands every queued frame to the socket: at once as far as it takes them, the rest in the background.
void Session::write() {
  if (writing_ || out_.empty() || !open_) return;
  const ssize_t n = ::send(socket_.native_handle(), out_.data(), out_.size(), MSG_NOSIGNAL);
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return fail();
  const auto sent = static_cast<std::size_t>(std::max<ssize_t>(n, 0));
  if (sent == out_.size()) {
    out_.clear();
    return;
  }
  writing_ = true;
  sending_.assign(out_, sent);
  out_.clear();
  net::async_write(socket_, net::buffer(sending_), [self = shared_from_this()](error_code ec, std::size_t) {
    self->writing_ = false;
    self->sending_.clear();
    if (ec) return self->fail();
    self->write();
  });
}

Worker::Worker(const LoadConfig& c, const std::atomic<int>& p) : config(c), phase(p) {
  thread_ = std::thread([this] { ioc.run(); });
}

Worker::~Worker() { join_thread(); }

void Worker::join_thread() {
  if (!thread_.joinable()) return;
  ioc.stop();
  thread_.join();
}

void Worker::open(std::vector<int> indices) {
  net::post(ioc, [this, indices = std::move(indices)]() mutable {
    pending_ = std::move(indices);
    next_pending_ = 0;
    sessions_.reserve(pending_.size());
    open_more();
    if (config.protocol == Protocol::peerjs) heartbeat();
  });
}

void Worker::open_more() {
  while (in_flight_ < config.connect_concurrency && next_pending_ < pending_.size()) {
    ++in_flight_;
    sessions_.push_back(std::make_shared<Session>(*this, pending_[next_pending_++]));
    sessions_.back()->start();
  }
}

void Worker::handshake_done() {
  --in_flight_;
  open_more();
}

void Worker::record_receive(std::uint64_t sent_ns) {
  received.fetch_add(1, std::memory_order_relaxed);
  if (static_cast<Phase>(phase.load(std::memory_order_relaxed)) == Phase::paced) {
    std::uint64_t now = now_ns();
    latency.add_ns(now > sent_ns ? now - sent_ns : 0);
  }
}

// Each session sends a HEARTBEAT every 5 s, as the peerjs client does. Real clients' heartbeats are spread by
// their start times; here every 50 ms a hundredth of the sessions sends one, so that 19,000 sessions do not
// send 3,800 at once every second (which measured the burst, not the relay: a p99 of 15 ms at 19,000 sessions).
void Worker::heartbeat() {
  if (static_cast<Phase>(phase.load(std::memory_order_relaxed)) == Phase::done) return;
  const std::uint64_t tick = heartbeat_tick_++;
  for (auto& s : sessions_) {
    if (static_cast<std::uint64_t>(s->index()) % 100 == tick % 100) s->send_heartbeat();
  }
  heartbeat_timer_.expires_after(std::chrono::milliseconds(50));
  heartbeat_timer_.async_wait([this](error_code ec) {
    if (!ec) heartbeat();
  });
}

void Worker::start_saturation() {
  net::post(ioc, [this] {
    for (int w = 0; w < config.window; ++w) {
      for (auto& s : sessions_) s->send_next();
    }
  });
}

void Worker::start_pacing(double messages_per_second) {
  net::post(ioc, [this, messages_per_second] {
    rate_ = messages_per_second;
    pace_start_ = std::chrono::steady_clock::now();
    paced_sent_ = 0;
    pace();
  });
}

// Sends what the offered rate owes since the start, round-robin over ready sessions, every millisecond.
void Worker::pace() {
  const auto p = static_cast<Phase>(phase.load(std::memory_order_relaxed));
  if ((p != Phase::paced && p != Phase::paced_warmup) || sessions_.empty()) return;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - pace_start_).count();
  const auto due = static_cast<std::uint64_t>(elapsed * rate_);
  for (std::size_t tries = 0; paced_sent_ < due && tries < sessions_.size();) {
    auto& s = sessions_[rr_++ % sessions_.size()];
    if (s->ready()) {
      s->send_next();
      ++paced_sent_;
      tries = 0;
    } else {
      ++tries;
    }
  }
  timer_.expires_after(std::chrono::milliseconds(1));
  timer_.async_wait([this](error_code ec) {
    if (!ec) pace();
  });
}

}  // namespace sb::bench
