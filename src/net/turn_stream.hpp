// One TCP or TLS client connection of the TURN front end (RFC 8656 §3.1 "TURN over TCP/TLS"), driven by
// its worker's epoll loop: non-blocking reads into the connection's StreamDeframer, writes through a
// bounded output buffer. Owned by exactly one worker thread; nothing here is thread-safe.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "turn/channel_data.hpp"
#include "turn/types.hpp"

namespace sb::net {

class TurnStream {
 public:
  // Takes ownership of `fd` (non-blocking, connected) and, when `ssl_ctx` is set, runs TLS over it.
  // `rfc5766_channels`: also accept ChannelData numbers 0x5000-0x7FFF (turn::TurnConfig::rfc5766_channels).
  TurnStream(int fd, SSL_CTX* ssl_ctx, const turn::FiveTuple& tuple, std::size_t max_frame,
             std::size_t max_output_bytes, bool rfc5766_channels);
  ~TurnStream();
  TurnStream(const TurnStream&) = delete;
  TurnStream& operator=(const TurnStream&) = delete;

  int fd() const { return fd_; }
  const turn::FiveTuple& tuple() const { return tuple_; }

  enum class Status : std::uint8_t { kOpen, kClosed };

  // Reads what the socket has; calls on_frame(span) for each complete STUN or ChannelData frame, at most
  // `budget` of them (then has_more() is true and the caller calls again later: the rest may be buffered
  // here or inside OpenSSL, where epoll does not see it). on_frame returns false to close the connection
  // (e.g. a framing error). kClosed on EOF or error.
  template <class OnFrame>
  Status on_readable(OnFrame&& on_frame, std::size_t budget = SIZE_MAX);
  bool has_more() const { return more_; }
  bool handshake_done() const { return handshake_done_; }
  // Bytes of a frame that has not arrived whole yet.
  std::size_t buffered() const { return deframer_.buffered(); }
  // Continues a pending write or TLS handshake; also called after send()s to write them out.
  Status on_writable() { return flush(); }
  // Queues `bytes` for the client. Data beyond the output bound is dropped (what is relayed is UDP
  // traffic; a client that cannot keep up loses packets rather than growing our memory).
  void send(std::span<const std::uint8_t> bytes);
  // True while output is queued (the worker then watches EPOLLOUT).
  bool wants_write() const { return out_.size() > out_sent_ || ssl_wants_write_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  // One read into the deframer: >0 bytes, 0 = would block, -1 = closed or failed.
  long read_some();
  Status flush();
  bool handshake();

  int fd_;
  SSL* ssl_ = nullptr;
  bool handshake_done_ = true;
  bool ssl_wants_write_ = false;
  bool more_ = false;  // the last on_readable stopped at its budget
  turn::FiveTuple tuple_;
  turn::StreamDeframer deframer_;
  std::vector<std::uint8_t> out_;
  std::size_t out_sent_ = 0;
  // TLS only: where each queued message ends in out_, so that every message goes out in its own
  // SSL_write (its own TLS record), as coturn does; its uclient reads one message per record.
  std::vector<std::size_t> ends_;
  std::size_t ends_head_ = 0;
  std::size_t max_output_;
  std::uint64_t dropped_ = 0;
};

template <class OnFrame>
TurnStream::Status TurnStream::on_readable(OnFrame&& on_frame, std::size_t budget) {
  more_ = false;
  if (!handshake_done_ && !handshake()) return Status::kClosed;
  // Frames already buffered first, then reads until the socket would block (with TLS, bytes buffered
  // inside OpenSSL do not wake epoll again) or the budget is spent.
  std::size_t frames = 0;
  while (handshake_done_) {
    while (true) {
      if (frames == budget) {
        more_ = true;
        return flush();
      }
      const auto f = deframer_.next();
      if (f.kind == stun::FrameKind::kNeedMore) break;
      if (f.kind == stun::FrameKind::kInvalid) return Status::kClosed;
      ++frames;
      if (!on_frame(f.bytes)) return Status::kClosed;
    }
    const long n = read_some();
    if (n < 0) return Status::kClosed;
    if (n == 0) break;
  }
  return flush();
}

}  // namespace sb::net
