#include "net/turn_stream.hpp"

#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sb::net {

TurnStream::TurnStream(int fd, SSL_CTX* ssl_ctx, const turn::FiveTuple& tuple, std::size_t max_frame,
                       std::size_t max_output_bytes, bool rfc5766_channels)
    : fd_(fd), tuple_(tuple), deframer_(max_frame, rfc5766_channels), max_output_(max_output_bytes) {
  if (ssl_ctx) {
    ssl_ = SSL_new(ssl_ctx);
    if (ssl_) {
      SSL_set_fd(ssl_, fd_);
      SSL_set_accept_state(ssl_);
      SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
      handshake_done_ = false;
    }
  }
  out_.reserve(4096);
}

TurnStream::~TurnStream() {
  if (ssl_) SSL_free(ssl_);
  ::close(fd_);
}

bool TurnStream::handshake() {
  if (!ssl_) return false;  // SSL_new failed: treat as closed
  ERR_clear_error();
  const int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    handshake_done_ = true;
    ssl_wants_write_ = false;
    return true;
  }
  const int e = SSL_get_error(ssl_, r);
  ssl_wants_write_ = e == SSL_ERROR_WANT_WRITE;
  return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

long TurnStream::read_some() {
  auto space = deframer_.write_space();
  if (space.empty()) return -1;  // a frame larger than the limit: the deframer reports kInvalid
  if (!ssl_) {
    const ssize_t n = ::recv(fd_, space.data(), space.size(), MSG_DONTWAIT);
    if (n > 0) {
      deframer_.commit(static_cast<std::size_t>(n));
      return n;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return 0;
    return -1;
  }
  ERR_clear_error();
  const int n = SSL_read(ssl_, space.data(), static_cast<int>(space.size()));
  if (n > 0) {
    deframer_.commit(static_cast<std::size_t>(n));
    return n;
  }
  const int e = SSL_get_error(ssl_, n);
  if (e == SSL_ERROR_WANT_READ) return 0;
  if (e == SSL_ERROR_WANT_WRITE) {
    ssl_wants_write_ = true;
    return 0;
  }
  return -1;
}

void TurnStream::send(std::span<const std::uint8_t> bytes) {
  if (out_.size() - out_sent_ + bytes.size() > max_output_) {
    ++dropped_;
    return;
  }
  if (out_sent_ > 0 && out_sent_ == out_.size()) {
    out_.clear();
    out_sent_ = 0;
    ends_.clear();
    ends_head_ = 0;
  }
  out_.insert(out_.end(), bytes.begin(), bytes.end());
  if (ssl_) ends_.push_back(out_.size());
}

TurnStream::Status TurnStream::flush() {
  if (!handshake_done_) return handshake() ? Status::kOpen : Status::kClosed;
  ssl_wants_write_ = false;
  while (out_sent_ < out_.size()) {
    const std::size_t left = out_.size() - out_sent_;
    long n = 0;
    if (!ssl_) {
      n = ::send(fd_, out_.data() + out_sent_, left, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return Status::kOpen;
      if (n < 0) return Status::kClosed;
    } else {
      while (ends_head_ < ends_.size() && ends_[ends_head_] <= out_sent_) ++ends_head_;
      const std::size_t record = ends_head_ < ends_.size() ? ends_[ends_head_] - out_sent_ : left;
      ERR_clear_error();
      const int r = SSL_write(ssl_, out_.data() + out_sent_, static_cast<int>(record));
      if (r <= 0) {
        const int e = SSL_get_error(ssl_, r);
        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) return Status::kOpen;
        return Status::kClosed;
      }
      n = r;
    }
    out_sent_ += static_cast<std::size_t>(n);
  }
  out_.clear();
  out_sent_ = 0;
  ends_.clear();
  ends_head_ = 0;
  return Status::kOpen;
}

}  // namespace sb::net
