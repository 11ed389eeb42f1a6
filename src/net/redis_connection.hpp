// One connection to Redis: hiredis's asynchronous API on an Asio io_context. hiredis has no Asio adapter, so
// this is one: the context's socket is an asio::posix::stream_descriptor, and hiredis's add/del read/write hooks
// become async_wait()s for readiness. Nothing here blocks: the host is resolved with Asio's resolver, connect()
// is non-blocking, and a command that gets no answer within `command_timeout` takes the connection down.
//
// The connection reconnects by itself, with backoff, until stop(). Every method, and every callback, runs on the
// io_context's thread (the owner posts there); nothing is thread-safe.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "util/redis_url.hpp"

struct redisAsyncContext;
struct redisReply;

namespace sb::net {

using util::RedisAddress;

struct RedisTimeouts {
  std::chrono::milliseconds connect{2000};  // resolve + connect + AUTH/SELECT/PING answered
  std::chrono::milliseconds command{2000};  // the oldest unanswered command; then the connection is cut
  std::chrono::milliseconds backoff_first{100};
  std::chrono::milliseconds backoff_max{1000};
};

// A view of one reply, valid only during the callback that receives it. A null view: the connection went down
// before the reply came.
class RedisReply {
 public:
  explicit RedisReply(const redisReply* r) : r_(r) {}
  bool null() const { return r_ == nullptr; }
  bool is_error() const;
  bool is_nil() const;
  bool is_integer() const;
  bool is_string() const;  // a bulk or status string
  bool is_array() const;
  std::string_view str() const;  // string, status or error text; empty otherwise
  long long integer() const;
  std::size_t size() const;  // array elements
  RedisReply at(std::size_t i) const;

 private:
  const redisReply* r_;
};

class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
 public:
  struct Handlers {
    std::function<void()> on_ready;                // connected, authenticated, db selected, PING answered
    std::function<void(const std::string&)> on_down;  // lost, or a connect attempt failed; a retry follows
  };
  using Callback = std::function<void(RedisReply)>;
  using Message = std::function<void(std::string_view payload)>;

  RedisConnection(boost::asio::io_context& io, RedisAddress address, RedisTimeouts timeouts, Handlers handlers);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  void start();
  // Cuts the connection (pending callbacks get a null reply) and stops reconnecting.
  void stop();
  // Cuts the connection now; a reconnect follows (after a backoff).
  void reset(const std::string& why);
  bool ready() const { return ready_; }

  // Queues one command. `done` (may be empty) gets the reply, or a null one if the connection goes down first.
  // False (and `done` is not called) when not ready.
  bool command(std::span<const std::string_view> args, Callback done);
  // Subscribes to `channel`; `on_message` gets every message published there until the connection goes down.
  // `on_subscribed` runs once the subscription is confirmed. No other command may follow on this connection.
  bool subscribe(const std::string& channel, Message on_message, std::function<void()> on_subscribed);

  // Commands sent and not answered yet.
  std::size_t pending() const { return sent_.size(); }

 private:
  struct Socket;
  struct Pending;
  struct Subscription;

  void connect();
  void on_resolved(const boost::system::error_code& ec, const boost::asio::ip::tcp::resolver::results_type& r);
  void attach(redisAsyncContext* ac);
  void on_connected();
  void handshake();
  void went_down(const std::string& why);
  void free_context();
  void retry_later();
  void arm_watchdog();
  bool send(std::span<const std::string_view> args, Pending* pending);

  static void on_connect_cb(const redisAsyncContext* ac, int status);
  static void on_disconnect_cb(const redisAsyncContext* ac, int status);
  static void on_reply_cb(redisAsyncContext* ac, void* reply, void* privdata);
  static void on_message_cb(redisAsyncContext* ac, void* reply, void* privdata);

  boost::asio::io_context& io_;
  const RedisAddress address_;
  const RedisTimeouts timeouts_;
  const Handlers handlers_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer watchdog_;
  std::shared_ptr<Socket> socket_;  // the live hiredis context and its descriptor; null between connections
  std::deque<std::chrono::steady_clock::time_point> sent_;  // send times of unanswered commands, oldest first
  std::unique_ptr<Subscription> subscription_;
  std::chrono::milliseconds backoff_;
  std::chrono::steady_clock::time_point connect_started_{};
  bool ready_ = false;
  bool stopped_ = true;
  bool watchdog_armed_ = false;
};

}  // namespace sb::net
