// A server process under test: started with arguments, considered up once it prints `ready`, always stopped.
//
// Contract with the binary (see the `signalbox` main): after binding, it prints one line per listener on
// stdout, `listening <proto> <host>:<port>` (e.g. `listening http 127.0.0.1:43567`), then `ready`.
// SIGTERM makes it close every connection and exit 0.
//
// The child gets PR_SET_PDEATHSIG(SIGKILL), so a crashing test never leaves a server behind. Note that the
// signal follows the *thread* that started the child: start servers from the test's main thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

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

struct ExitStatus {
  bool exited = false;  // true: normal exit with `code`; false: killed by `signal`
  int code = -1;
  int signal = 0;
  std::string describe() const;
  bool clean() const { return exited && code == 0; }
};

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

  pid_t pid() const { return pid_; }
  const std::vector<Listener>& listeners() const { return listeners_; }
  // The first listener with this proto; throws when there is none.
  const Listener& listener(std::string_view proto = "http") const;
  std::uint16_t port(std::string_view proto = "http") const { return listener(proto).port; }

  // Sends SIGTERM, waits up to stop_timeout, then SIGKILLs. Returns how the process ended.
  ExitStatus stop();
  // Sends a signal without waiting (e.g. SIGSTOP in a test).
  void signal(int sig) const;
  // Waits for the process to end by itself; nullopt on timeout.
  std::optional<ExitStatus> wait_exit(std::chrono::milliseconds timeout);
  bool running();

  // Everything the process wrote so far (stdout and stderr interleaved by line), for failure messages.
  std::string output() const;
  // Resident set size from /proc/<pid>/status in KiB, or -1.
  long rss_kib() const;

 private:
  void spawn();
  void reader_loop(int out_fd, int err_fd);
  void wait_ready();
  std::optional<ExitStatus> try_reap();

  ServerOptions options_;
  pid_t pid_ = -1;
  std::optional<ExitStatus> exit_status_;
  std::vector<Listener> listeners_;

  mutable std::mutex mu_;  // guards the fields below; written by reader_
  std::condition_variable cv_;
  std::string output_;
  std::vector<std::string> stdout_lines_;
  bool eof_ = false;
  std::thread reader_;
};

}  // namespace sb::itest
