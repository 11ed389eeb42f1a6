#include "common/redis_server.hpp"

#include <hiredis/hiredis.h>

#include <csignal>
#include <stdexcept>

#include "common/ports.hpp"

namespace sb::itest {
namespace {

ServerOptions redis_options(std::uint16_t port) {
  ServerOptions o;
  o.binary = "/usr/bin/redis-server";
  o.args = {"--port", std::to_string(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--logfile", "", "--protected-mode", "yes", "--loglevel", "notice"};
  o.ready_marker = "Ready to accept connections";
  o.ready_timeout = std::chrono::milliseconds(10000);
  o.stop_timeout = std::chrono::milliseconds(5000);
  return o;
}

std::string reply_text(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_INTEGER: return std::to_string(r->integer);
    case REDIS_REPLY_NIL: return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (std::size_t i = 0; i < r->elements; ++i) out += (i ? "\n" : "") + reply_text(r->element[i]);
      return out;
    }
    default: return std::string(r->str, r->len);
  }
}

}  // namespace

RedisServer::RedisServer() {
  process_ = start_on_free_ports(1, {"127.0.0.1"}, [this](const std::vector<std::uint16_t>& ports) {
    port_ = ports[0];
    return redis_options(port_);
  });
}

RedisServer::~RedisServer() = default;

void RedisServer::start() { process_ = std::make_unique<ServerProcess>(redis_options(port_)); }

void RedisServer::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait_exit(std::chrono::milliseconds(5000));
  process_.reset();
}

void RedisServer::restart() {
  kill();
  start();
}

std::string RedisServer::command(const std::vector<std::string>& args) const {
  timeval tv{2, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
  if (c == nullptr || c->err) {
    const std::string why = c ? c->errstr : "out of memory";
    if (c) redisFree(c);
    throw std::runtime_error("cannot reach the test's redis-server: " + why);
  }
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()));
  if (r == nullptr) {
    const std::string why = c->errstr;
    redisFree(c);
    throw std::runtime_error("redis command failed: " + why);
  }
  std::string out = reply_text(r);
  freeReplyObject(r);
  redisFree(c);
  return out;
}

}  // namespace sb::itest
