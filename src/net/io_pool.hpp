// The I/O threads' event loops: one io_context per thread, each run by exactly that thread. A connection lives
// on one context for its whole life, so its handlers never run concurrently and never migrate between cores,
// and the contexts share no scheduler lock. Connections are spread round-robin at accept; a WebSocket that
// names its room in the URL (`/ws?room=NAME`) is moved to the room's home context before its handshake, so
// the members of a room, who relay to each other, share a thread (and a relay is no cross-thread wake-up).
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <atomic>
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace sb::net {

class IoPool {
 public:
  // `threads` contexts (at least one). Context 0 is the main one: the owner runs it on the thread that calls
  // run(), and its run() returns when it runs out of work. The others are kept running until stop().
  explicit IoPool(unsigned threads);
  // Destroys context 0 first: operations pending there (an accept) may own sockets of the other contexts.
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  std::size_t size() const { return contexts_.size(); }
  boost::asio::io_context& at(std::size_t i) { return *contexts_[i]; }
  // The context for the next accepted connection (round-robin). Thread-safe.
  boost::asio::io_context& next();
  // The home context of `room`: the same for every connection that names the same room.
  boost::asio::io_context& home(std::string_view room);
  // Stops every context (their run() calls return). Thread-safe.
  void stop();

 private:
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<Guard> guards_;  // keep contexts 1..n-1 from returning from run() while they are idle
  std::atomic<std::size_t> next_{0};
};

// The `room` query parameter of a request target ("/ws?room=a&x=1" → "a"), as written; empty when absent.
std::string_view room_hint(std::string_view target);
// The raw (not percent-decoded) value of query parameter `name` in `target`; "" when absent.
std::string_view query_param(std::string_view target, std::string_view name);

}  // namespace sb::net
