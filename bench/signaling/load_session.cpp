#include "load_session.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>
#include <charconv>
#include <iostream>
#include <nlohmann/json.hpp>

namespace sb::bench {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
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

Session::Session(Worker& worker, int index) : worker_(worker), index_(index), ws_(worker.ioc) {}

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
  auto& sock = ws_.next_layer();
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
  ws_.next_layer().set_option(tcp::no_delay(true), ec);
  ws_.async_handshake(worker_.config.host_headers[server()], target(),
                      [self = shared_from_this()](error_code ec) { self->on_handshake(ec); });
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
  if (ec) return fail();
  open_ = true;
  worker_.connected.fetch_add(1, std::memory_order_relaxed);
  worker_.handshake_done();
  // A PeerJS session is registered by its URL; the server answers OPEN.
  if (worker_.config.protocol == Protocol::v1) enqueue(R"({"type":"join","room":")" + room() + R"("})");
  read();
}

void Session::fail() {
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
  ws_.async_read(buffer_, [self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
}

void Session::on_read(error_code ec) {
  if (ec) return fail();
  const auto data = buffer_.cdata();
  std::string_view text(static_cast<const char*>(data.data()), data.size());
  if (std::uint64_t ns = sent_time(text)) {
    worker_.record_receive(ns);
    if (static_cast<Phase>(worker_.phase.load(std::memory_order_relaxed)) == Phase::saturation) send_next();
  } else {
    handle_control(std::string(text));
  }
  buffer_.consume(buffer_.size());
  read();
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

void Session::enqueue(std::string text) {
  out_.push_back(std::move(text));
  write();
}

void Session::write() {
  if (writing_ || out_.empty() || !open_) return;
  writing_ = true;
  ws_.text(true);
  ws_.async_write(net::buffer(out_.front()), [self = shared_from_this()](error_code ec, std::size_t) {
    self->writing_ = false;
    self->out_.pop_front();
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
