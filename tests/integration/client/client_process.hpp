// A signalbox-client process under test: stdin is a pipe the test writes lines to, stdout ("event ..."
// lines) is collected by a reader thread, stderr is kept for failure messages. Always killed by PID.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace sb::itest {

class ClientProcess {
 public:
  // Starts `binary` with `args`. Throws std::runtime_error when it cannot start.
  ClientProcess(std::string binary, std::vector<std::string> args);
  ~ClientProcess();  // SIGKILL if still running, then reaps; never throws
  ClientProcess(const ClientProcess&) = delete;
  ClientProcess& operator=(const ClientProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Waits for a stdout line starting with `prefix`; returns the whole line or nullopt on timeout/EOF.
  std::optional<std::string> wait_line(const std::string& prefix, std::chrono::milliseconds timeout);
  // Waits until `pred` holds for some stdout line (checked on every line seen so far and new ones).
  std::optional<std::string> wait_until(const std::function<bool(const std::string&)>& pred,
                                        std::chrono::milliseconds timeout);
  bool write_line(const std::string& line);
  void signal(int sig) const;
  // The exit code (or 128+signal), or nullopt when the process is still running after `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);

  std::string output() const;  // stdout and stderr so far, for failure messages

 private:
  void read_loop(int fd, bool is_stdout);

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::optional<int> exit_code_;
  mutable std::mutex mu_;  // guards the fields below
  std::condition_variable cv_;
  std::vector<std::string> lines_;  // stdout
  std::string log_;                 // stdout + stderr
  int open_streams_ = 2;
  std::thread out_reader_;
  std::thread err_reader_;
};

}  // namespace sb::itest
