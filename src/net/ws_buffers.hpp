// A WebSocket connection's buffers (src/net/ws_session.cpp): the context's shared receive buffer that a plain
// connection reads into when it holds nothing, the connection's own for what it must keep, the frames of its
// send queue, and the view of its gathered write.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/execution_context.hpp>
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "signaling/protocol.hpp"
#include "ws/frame.hpp"

namespace sb::net {

// One receive buffer per I/O context, lent to whichever of the context's connections is reading: one thread
// runs a context, so one connection at a time, and what it parses from the buffer is handled before the
// thread moves on. An idle connection then holds no buffer of its own.
class ReadScratch : public boost::asio::execution_context::service {
 public:
  static constexpr std::size_t kBytes = 64 * 1024;
  using key_type = ReadScratch;
  inline static boost::asio::execution_context::id id;  // Asio's service key
  explicit ReadScratch(boost::asio::execution_context& ctx) : service(ctx) {}
  std::span<char> bytes() { return {data_.get(), kBytes}; }

 private:
  void shutdown() override {}
  std::unique_ptr<char[]> data_ = std::make_unique_for_overwrite<char[]>(kBytes);
};

// A connection's own receive buffer: frames are read into it as large as the space allows, parsed in place,
// and what is left of a partial frame moves to the front. It keeps up to kKept bytes between messages; a
// session that once carried a large frame gives the rest back.
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
  bool empty() const { return held_ == 0; }
  // Keeps `more` after what is held.
  void append(std::span<const char> more) {
    if (held_ + more.size() > cap_) grow(std::max(held_ + more.size(), kChunk));
    std::memcpy(data_.get() + held_, more.data(), more.size());
    held_ += more.size();
  }
  // Gives the memory back when nothing is held.
  void release() {
    if (held_ == 0 && data_) {
      data_.reset();
      cap_ = 0;
    }
  }
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

// A frame in the send queue. Data frames share the session's JSON string; a numbered one (a resumable
// session's) is written as SeqPrefix + the frame after its brace, never copied.
struct OutgoingFrame {
  std::shared_ptr<const std::string> payload;
  ws::Opcode op = ws::Opcode::text;
  std::uint8_t header_bytes = 0;
  std::uint8_t header[ws::kMaxHeader];
  std::optional<signaling::SeqPrefix> prefix;
};

// A buffer sequence that views gather_ rather than copying it (async_write keeps a copy of the sequence it is
// given: of a std::vector, that is an allocation per write).
struct BufferView {
  using value_type = boost::asio::const_buffer;
  using const_iterator = const boost::asio::const_buffer*;
  const boost::asio::const_buffer* first;
  std::size_t count;
  const_iterator begin() const { return first; }
  const_iterator end() const { return first + count; }
};

}  // namespace sb::net
