// A WebSocket connection's receive buffer (src/net/ws_session.cpp).
#pragma once

#include <boost/asio/buffer.hpp>
#include <algorithm>
#include <cstring>
#include <memory>
#include <span>

namespace sb::net {

// A connection's receive buffer: frames are read into it as large as the space allows, parsed in place, and
// what is left of a partial frame moves to the front. It keeps up to kKept bytes between messages; a session
// that once carried a large frame gives the rest back.
class ReadBuffer {
 public:
  static constexpr std::size_t kChunk = 4 * 1024;
  static constexpr std::size_t kKept = 8 * 1024;
  // Room for at least `want` bytes in all (a whole frame), and for one more chunk of reading.
  boost::asio::mutable_buffer space(std::size_t want) {
    const std::size_t need = std::max(want, held_ + kChunk / 2);
    if (need > cap_) grow(std::max(need, std::max<std::size_t>(cap_ * 2, kChunk)));
    return boost::asio::buffer(data_.get() + held_, cap_ - held_);
  }
  void filled(std::size_t n) { held_ += n; }
  std::span<char> bytes(std::size_t from) { return {data_.get() + from, held_ - from}; }
  // Drops `n` parsed bytes from the front.
  void consume(std::size_t n) {
    if (n == 0) return;
    held_ -= n;
    if (held_ > 0) std::memmove(data_.get(), data_.get() + n, held_);
    if (cap_ > kKept && held_ <= kKept) grow(std::max(held_, kChunk));
  }

 private:
  void grow(std::size_t cap) {
    auto next = std::make_unique_for_overwrite<char[]>(cap);
    if (held_ > 0) std::memcpy(next.get(), data_.get(), held_);
    data_ = std::move(next);
    cap_ = cap;
  }
  std::unique_ptr<char[]> data_;
  std::size_t cap_ = 0;
  std::size_t held_ = 0;
};

}  // namespace sb::net
