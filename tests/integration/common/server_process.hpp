// A server process under test: started with arguments, considered up once it prints `ready`, always stopped.
//
// Contract with the binary (see the `signalbox` main): after binding, it prints one line per listener on
// stdout, `listening <proto> <host>:<port>` (e.g. `listening http 127.0.0.1:43567`), then `ready`.
// SIGTERM makes it close every connection and exit 0.
//
// Built on Process (common/process.hpp): start servers from the test's main thread. A server that must bind
// ports named in advance is started with start_on_free_ports (common/ports.hpp).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/process.hpp"

namespace sb::itest {

// The signalbox binary this test was built against (compile definition SIGNALBOX_BIN), unless the
// environment variable SB_ITEST_SIGNALBOX names another one.
std::string signalbox_path();

struct Listener {
  std::string proto;  // "http", "https", "stun-udp", ... as printed by the server
  std::string host;   // without brackets for IPv6
  std::uint16_t port = 0;
};

// Parses `listening <proto> <host>:<port>`; nullopt for any other line.
std::optional<Listener> parse_listening_line(std::string_view line);

struct ServerOptions {
  std::string binary = signalbox_path();
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;  // set on top of the inherited environment
  std::chrono::milliseconds ready_timeout{15000};
  std::chrono::milliseconds stop_timeout{10000};  // SIGTERM → exit, before SIGKILL
  // Another program's "I am up" (e.g. redis-server's "Ready to accept connections"): a stdout line that
  // contains it ends the wait, without `listening` lines. Empty: signalbox's contract.
  std::string ready_marker;
};

class ServerProcess {
 public:
  // Starts the process and waits for `ready`. Throws std::runtime_error (with the output so far) when the
  // process cannot start, exits early or is not ready within ready_timeout.
  explicit ServerProcess(ServerOptions options);
  ~ServerProcess();  // stop() if still running; never throws
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return process_.pid(); }
  const std::vector<Listener>& listeners() const { return listeners_; }
  // The first listener with this proto; throws when there is none.
  const Listener& listener(std::string_view proto = "http") const;
  std::uint16_t port(std::string_view proto = "http") const { return listener(proto).port; }

  // Sends SIGTERM, waits up to stop_timeout, then SIGKILLs. Returns how the process ended.
  ExitStatus stop() { return process_.stop(options_.stop_timeout); }
  // Sends a signal without waiting (e.g. SIGSTOP in a test).
  void signal(int sig) const { process_.signal(sig); }
  // Waits for the process to end by itself; nullopt on timeout.
  std::optional<ExitStatus> wait_exit(std::chrono::milliseconds timeout) { return process_.wait_exit(timeout); }
  bool running() { return process_.running(); }

  // Everything the process wrote so far (stdout and stderr interleaved by line), for failure messages.
  std::string output() const { return process_.output(); }
  // Resident set size from /proc/<pid>/status in KiB, or -1.
  long rss_kib() const;

 private:
  void wait_ready();

  ServerOptions options_;
  Process process_;
  std::vector<Listener> listeners_;
};

}  // namespace sb::itest
