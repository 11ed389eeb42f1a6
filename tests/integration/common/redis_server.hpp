// A throwaway redis-server for a test: on a free loopback port, nothing saved to disk (--save "" --appendonly
// no), always stopped. A missing redis-server fails the test (scripts/setup installs it); it never skips.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/server_process.hpp"

namespace sb::itest {

class RedisServer {
 public:
  // Starts one and waits until it accepts connections. Throws std::runtime_error when it cannot.
  RedisServer();
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return process_ ? process_->pid() : -1; }

  // Kills it (SIGKILL: a crash, nothing flushed) and starts an empty one on the same port.
  void restart();
  void kill();
  void start();

  // Runs one command on a short-lived connection; returns the reply as text (integers in decimal, arrays
  // joined with newlines, nil as "(nil)"). Throws on a connection error.
  std::string command(const std::vector<std::string>& args) const;

 private:
  std::uint16_t port_ = 0;
  std::unique_ptr<ServerProcess> process_;
};

}  // namespace sb::itest
