// Client: timers (deadline, progress, stats) and stdin → data channel.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <cmath>
#include <istream>

#include "client/client.hpp"
#include "client/progress.hpp"

namespace sb::client {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kTick{250};

}  // namespace

void Client::start_timers() {
  if (options_.timeout_s > 0 || options_.duration_s > 0) {
    bool is_duration = options_.duration_s > 0 && (options_.timeout_s <= 0 || options_.duration_s < options_.timeout_s);
    double s = is_duration ? options_.duration_s : options_.timeout_s;
    deadline_timer_.expires_after(milliseconds(static_cast<std::int64_t>(std::llround(s * 1000))));
    deadline_timer_.async_wait([this, is_duration, s](auto ec) {
      if (ec) return;
      if (is_duration) return finish(ExitCode::ok, fmt::format("--duration {}s elapsed", s));
      finish(ExitCode::timeout, fmt::format("--timeout {}s elapsed in state {}; {}", s, to_string(state_),
                                            goal_progress()));
    });
  }
  tick_timer_.expires_after(kTick);
  tick_timer_.async_wait([this](auto ec) {
    if (!ec) on_tick();
  });
}

std::string Client::goal_progress() const {
  if (!peer_) return "no peer connected";
  return fmt::format("decoded video frames {}, audio buffers {} (goal {})", peer_->counters().video_frames.load(),
                     peer_->counters().audio_buffers.load(), options_.exit_after_frames);
}

// The goal counts only media the peer sends (its description's directions).
bool Client::goal_met() const {
  if (options_.exit_after_frames == 0 || !peer_ || !ice_connected_) return false;
  const auto& c = peer_->counters();
  bool video = !peer_->remote_sends_video() || c.video_frames.load() >= options_.exit_after_frames;
  bool audio = !peer_->remote_sends_audio() || c.audio_buffers.load() >= options_.exit_after_frames;
  return video && audio;
}

void Client::on_tick() {
  if (state_ == State::leaving || state_ == State::done) return;
  ++ticks_;
  if (peer_) {
    std::uint64_t v = peer_->counters().video_frames.load(), a = peer_->counters().audio_buffers.load();
    // At most one progress line a second, and only when something changed.
    if (ticks_ % 4 == 0 && (v != last_frames_printed_ || a != last_audio_printed_)) {
      emit("frames-decoded {} audio-buffers {}", v, a);
      last_frames_printed_ = v;
      last_audio_printed_ = a;
    }
    if (options_.stats && ticks_ % 4 == 0) {
      peer_->request_stats([this](StatsSample s) { print_stats(s); });
    }
    watch_media();
    if (goal_met()) {
      emit("frames-decoded {} audio-buffers {}", v, a);
      return finish(ExitCode::ok, "goal reached: " + goal_progress());
    }
  }
  tick_timer_.expires_after(kTick);
  tick_timer_.async_wait([this](auto ec) {
    if (!ec) on_tick();
  });
}

void Client::print_stats(const StatsSample& s) {
  auto now = std::chrono::steady_clock::now();
  double in_kbps = 0, out_kbps = 0;
  if (last_stats_) {
    double secs = std::chrono::duration<double>(now - last_stats_at_).count();
    if (secs > 0) {
      in_kbps = static_cast<double>(s.bytes_received - std::min(s.bytes_received, last_stats_->bytes_received)) * 8 / 1000 / secs;
      out_kbps = static_cast<double>(s.bytes_sent - std::min(s.bytes_sent, last_stats_->bytes_sent)) * 8 / 1000 / secs;
    }
  }
  last_stats_ = s;
  last_stats_at_ = now;
  std::string pair = s.local_candidate_type.empty() ? "none" : s.local_candidate_type + "/" + s.remote_candidate_type;
  std::string rtt = s.rtt_seconds ? fmt::format("{:.1f}ms", *s.rtt_seconds * 1000) : "n/a";
  // webrtcbin 1.22 may report "none" for a relay candidate's protocol: print that as unknown.
  std::string relay = s.relay_protocol.empty() || s.relay_protocol == "none" ? "-" : s.relay_protocol;
  emit("stats state={} pair={} relay-protocol={} in={:.0f}kbps out={:.0f}kbps frames-decoded={} audio-buffers={} rtt={}",
       to_string(state_), pair, relay, in_kbps, out_kbps, peer_ ? peer_->counters().video_frames.load() : 0,
       peer_ ? peer_->counters().audio_buffers.load() : 0, rtt);
}

void Client::read_stdin() {
  boost::system::error_code ec;
  int fd = ::dup(STDIN_FILENO);
  if (fd < 0) return;
  stdin_.assign(fd, ec);  // fails for regular files and /dev/null (not pollable): no stdin then
  if (ec) {
    ::close(fd);
    spdlog::debug("stdin is not pollable ({}); data channel input disabled", ec.message());
    return;
  }
  read_next_line();
}

void Client::read_next_line() {
  boost::asio::async_read_until(stdin_, stdin_buffer_, '\n', [this](auto error, std::size_t n) {
    if (error) {
      if (error == boost::asio::error::not_found)
        spdlog::warn("stdin line longer than {} bytes; input disabled", options_.max_message_bytes);
      return;  // EOF or closed: keep running without input
    }
    // basic_streambuf's input sequence is one contiguous buffer.
    std::string line(static_cast<const char*>(stdin_buffer_.data().data()), n - 1);
    stdin_buffer_.consume(n);
    on_stdin_line(std::move(line));
  });
}

void Client::on_stdin_line(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (!line.empty()) {
    if (peer_ && peer_->send_text(line)) emit("datachannel-sent {}", line.size());
    else spdlog::warn("data channel not open; line not sent");
  }
  if (state_ != State::leaving && state_ != State::done) read_next_line();
}

}  // namespace sb::client
