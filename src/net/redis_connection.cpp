#include "net/redis_connection.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <vector>

namespace sb::net {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
constexpr auto kWatchdogPeriod = std::chrono::milliseconds(100);

}  // namespace

// ---- RedisReply ----

bool RedisReply::is_error() const { return r_ != nullptr && r_->type == REDIS_REPLY_ERROR; }
bool RedisReply::is_nil() const { return r_ != nullptr && r_->type == REDIS_REPLY_NIL; }
bool RedisReply::is_integer() const { return r_ != nullptr && r_->type == REDIS_REPLY_INTEGER; }
bool RedisReply::is_string() const {
  return r_ != nullptr && (r_->type == REDIS_REPLY_STRING || r_->type == REDIS_REPLY_STATUS);
}
bool RedisReply::is_array() const { return r_ != nullptr && r_->type == REDIS_REPLY_ARRAY; }
std::string_view RedisReply::str() const {
  if (r_ == nullptr || r_->str == nullptr) return {};
  return std::string_view(r_->str, r_->len);
}
long long RedisReply::integer() const { return is_integer() ? r_->integer : 0; }
std::size_t RedisReply::size() const { return is_array() ? r_->elements : 0; }
RedisReply RedisReply::at(std::size_t i) const { return RedisReply(i < size() ? r_->element[i] : nullptr); }

// ---- the Asio adapter: hiredis's event hooks on a stream_descriptor ----

// One hiredis context and its descriptor. Pending waits hold it, so it outlives the context: hiredis frees the
// context (and closes the fd) itself, after calling cleanup(), which detaches the descriptor first.
struct RedisConnection::Socket : std::enable_shared_from_this<Socket> {
  explicit Socket(asio::io_context& io) : fd(io) {}
  asio::posix::stream_descriptor fd;
  redisAsyncContext* ac = nullptr;
  bool want_read = false, want_write = false;
  bool read_armed = false, write_armed = false;
  bool down = false;  // went_down() ran for this connection

  void arm(bool write) {
    bool& armed = write ? write_armed : read_armed;
    if (armed || ac == nullptr) return;
    armed = true;
    const auto what = write ? asio::posix::stream_descriptor::wait_write : asio::posix::stream_descriptor::wait_read;
    fd.async_wait(what, [self = shared_from_this(), write](const boost::system::error_code& ec) {
      (write ? self->write_armed : self->read_armed) = false;
      if (ec || self->ac == nullptr || !(write ? self->want_write : self->want_read)) return;
      if (write) {
        redisAsyncHandleWrite(self->ac);
      } else {
        redisAsyncHandleRead(self->ac);
      }
    });
  }

  static Socket* of(void* p) { return static_cast<Socket*>(p); }
  static void add_read(void* p) {
    of(p)->want_read = true;
    of(p)->arm(false);
  }
  static void del_read(void* p) { of(p)->want_read = false; }
  static void add_write(void* p) {
    of(p)->want_write = true;
    of(p)->arm(true);
  }
  static void del_write(void* p) { of(p)->want_write = false; }
  static void cleanup(void* p) {
    Socket* s = of(p);
    s->ac = nullptr;
    boost::system::error_code ignored;
    s->fd.cancel(ignored);
    s->fd.release();  // hiredis closes the fd itself
  }
};

// What a command's reply goes to.
struct RedisConnection::Pending {
  Callback done;
};

struct RedisConnection::Subscription {
  Message on_message;
  std::function<void()> on_subscribed;
};

RedisConnection::RedisConnection(asio::io_context& io, RedisAddress address, RedisTimeouts timeouts,
                                 Handlers handlers)
    : io_(io),
      address_(std::move(address)),
      timeouts_(timeouts),
      handlers_(std::move(handlers)),
      resolver_(io),
      retry_timer_(io),
      watchdog_(io),
      backoff_(timeouts.backoff_first) {}

RedisConnection::~RedisConnection() { stop(); }

void RedisConnection::start() {
  stopped_ = false;
  connect();
  arm_watchdog();
}

void RedisConnection::stop() {
  stopped_ = true;
  retry_timer_.cancel();
  watchdog_.cancel();
  resolver_.cancel();
  free_context();
  ready_ = false;
}

void RedisConnection::reset(const std::string& why) {
  // Never free the context from inside one of hiredis's callbacks: post.
  asio::post(io_, [weak = weak_from_this(), why] {
    auto self = weak.lock();
    if (!self || self->stopped_ || !self->socket_ || self->socket_->down) return;
    self->went_down(why);
    self->free_context();
  });
}

void RedisConnection::connect() {
  if (stopped_) return;
  connect_started_ = Clock::now();
  socket_.reset();
  resolver_.async_resolve(address_.host, std::to_string(address_.port),
                          [weak = weak_from_this()](const boost::system::error_code& ec,
                                                    const asio::ip::tcp::resolver::results_type& r) {
                            if (auto self = weak.lock()) self->on_resolved(ec, r);
                          });
}

void RedisConnection::on_resolved(const boost::system::error_code& ec,
                                  const asio::ip::tcp::resolver::results_type& r) {
  if (stopped_ || ec == asio::error::operation_aborted) return;
  if (ec || r.empty()) {
    handlers_.on_down("cannot resolve " + address_.host + ": " + ec.message());
    return retry_later();
  }
  const std::string ip = r.begin()->endpoint().address().to_string();
  redisAsyncContext* ac = redisAsyncConnect(ip.c_str(), address_.port);  // non-blocking connect to an IP
  if (ac == nullptr || ac->err != 0) {
    const std::string why = ac != nullptr ? ac->errstr : "out of memory";
    if (ac != nullptr) redisAsyncFree(ac);
    handlers_.on_down("cannot connect to Redis at " + ip + ": " + why);
    return retry_later();
  }
  attach(ac);
}

void RedisConnection::attach(redisAsyncContext* ac) {
  socket_ = std::make_shared<Socket>(io_);
  socket_->ac = ac;
  boost::system::error_code ec;
  socket_->fd.assign(ac->c.fd, ec);
  ac->data = this;
  ac->ev.data = socket_.get();
  ac->ev.addRead = &Socket::add_read;
  ac->ev.delRead = &Socket::del_read;
  ac->ev.addWrite = &Socket::add_write;
  ac->ev.delWrite = &Socket::del_write;
  ac->ev.cleanup = &Socket::cleanup;
  redisAsyncSetConnectCallback(ac, &RedisConnection::on_connect_cb);
  redisAsyncSetDisconnectCallback(ac, &RedisConnection::on_disconnect_cb);
  if (ec) {
    free_context();
    went_down("cannot watch the Redis socket: " + ec.message());
    return;
  }
  // hiredis learns that a non-blocking connect() finished from the first write readiness.
  Socket::add_write(socket_.get());
}

void RedisConnection::on_connect_cb(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (status != REDIS_OK) {
    // hiredis frees the context right after this callback.
    self->went_down(std::string("cannot connect to Redis: ") + ac->errstr);
    return;
  }
  self->handshake();
}

void RedisConnection::on_disconnect_cb(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  self->went_down(status == REDIS_OK ? std::string("disconnected") : std::string("connection lost: ") + ac->errstr);
}

void RedisConnection::handshake() {
  auto fail = [weak = weak_from_this()](RedisReply r) {
    auto self = weak.lock();
    if (self && (r.null() || r.is_error())) self->reset("Redis refused the handshake: " + std::string(r.str()));
  };
  if (!address_.password.empty() && address_.username.empty()) {
    const std::string_view args[] = {"AUTH", address_.password};
    send(args, new Pending{fail});
  } else if (!address_.password.empty()) {
    const std::string_view args[] = {"AUTH", address_.username, address_.password};
    send(args, new Pending{fail});
  }
  if (address_.db != 0) {
    const std::string db = std::to_string(address_.db);
    const std::string_view args[] = {"SELECT", db};
    send(args, new Pending{fail});
  }
  const std::string_view ping[] = {"PING"};
  send(ping, new Pending{[weak = weak_from_this()](RedisReply r) {
         auto self = weak.lock();
         if (!self || r.null() || r.is_error()) return;
         self->ready_ = true;
         self->backoff_ = self->timeouts_.backoff_first;
         if (self->handlers_.on_ready) self->handlers_.on_ready();
       }});
}

bool RedisConnection::command(std::span<const std::string_view> args, Callback done) {
  if (!ready_) return false;
  return send(args, done ? new Pending{std::move(done)} : nullptr);
}

bool RedisConnection::send(std::span<const std::string_view> args, Pending* pending) {
  if (!socket_ || socket_->ac == nullptr) {
    delete pending;
    return false;
  }
  constexpr std::size_t kInline = 16;
  const char* argv_inline[kInline];
  std::size_t len_inline[kInline];
  std::vector<const char*> argv_heap;
  std::vector<std::size_t> len_heap;
  const char** argv = argv_inline;
  std::size_t* lens = len_inline;
  if (args.size() > kInline) {
    argv_heap.resize(args.size());
    len_heap.resize(args.size());
    argv = argv_heap.data();
    lens = len_heap.data();
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data();
    lens[i] = args[i].size();
  }
  // The reply callback runs for every command (it keeps the watchdog's queue); `pending` may be null.
  if (redisAsyncCommandArgv(socket_->ac, &RedisConnection::on_reply_cb, pending, static_cast<int>(args.size()),
                            argv, lens) != REDIS_OK) {
    delete pending;
    return false;
  }
  sent_.push_back(Clock::now());
  return true;
}

void RedisConnection::on_reply_cb(redisAsyncContext* ac, void* reply, void* privdata) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (!self->sent_.empty()) self->sent_.pop_front();
  std::unique_ptr<Pending> pending(static_cast<Pending*>(privdata));
  if (pending && pending->done) pending->done(RedisReply(static_cast<const redisReply*>(reply)));
}

bool RedisConnection::subscribe(const std::string& channel, Message on_message,
                                std::function<void()> on_subscribed) {
  if (!ready_ || !socket_ || socket_->ac == nullptr) return false;
  // The previous connection's subscription was freed with its context; this one lives until the next.
  subscription_ = std::make_unique<Subscription>(Subscription{std::move(on_message), std::move(on_subscribed)});
  const char* argv[] = {"SUBSCRIBE", channel.data()};
  const std::size_t lens[] = {9, channel.size()};
  return redisAsyncCommandArgv(socket_->ac, &RedisConnection::on_message_cb, subscription_.get(), 2, argv, lens) ==
         REDIS_OK;
}

void RedisConnection::on_message_cb(redisAsyncContext*, void* reply, void* privdata) {
  auto* sub = static_cast<Subscription*>(privdata);
  const RedisReply r(static_cast<const redisReply*>(reply));
  if (sub == nullptr || r.size() < 3) return;  // null: the connection is going down
  const auto kind = r.at(0).str();
  if (kind == "message") {
    sub->on_message(r.at(2).str());
  } else if (kind == "subscribe" && sub->on_subscribed) {
    sub->on_subscribed();
  }
}

void RedisConnection::free_context() {
  if (socket_ && socket_->ac != nullptr) redisAsyncFree(socket_->ac);  // runs pending callbacks with null
}

void RedisConnection::went_down(const std::string& why) {
  if (!socket_ || socket_->down) return;
  socket_->down = true;
  ready_ = false;
  sent_.clear();
  if (handlers_.on_down) handlers_.on_down(why);
  retry_later();
}

void RedisConnection::retry_later() {
  if (stopped_) return;
  retry_timer_.expires_after(backoff_);
  backoff_ = std::min(backoff_ * 2, timeouts_.backoff_max);
  retry_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (auto self = weak.lock(); self && !ec) self->connect();
  });
}

void RedisConnection::arm_watchdog() {
  watchdog_.expires_after(kWatchdogPeriod);
  watchdog_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    auto self = weak.lock();
    if (!self || ec || self->stopped_) return;
    const auto now = Clock::now();
    const bool connecting = self->socket_ && !self->socket_->down && !self->ready_;
    // went_down() first, so that the cause is reported rather than the disconnect that freeing causes.
    if (connecting && now - self->connect_started_ > self->timeouts_.connect) {
      self->went_down("no answer from Redis within the connect timeout");
      self->free_context();
    } else if (self->ready_ && !self->sent_.empty() && now - self->sent_.front() > self->timeouts_.command) {
      self->went_down("no answer from Redis within the command timeout");
      self->free_context();
    }
    self->arm_watchdog();
  });
}

}  // namespace sb::net
