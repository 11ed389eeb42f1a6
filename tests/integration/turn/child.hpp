// Runs a helper program nobody here wrote (coturn's turnutils_uclient / turnutils_peer) as a child
// process: output captured, bounded waits, always killed by PID.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace sb::itest {

class Child {
 public:
  // Starts `argv[0]` (searched in PATH) with stdout and stderr captured. Throws std::runtime_error.
  explicit Child(std::vector<std::string> argv);
  ~Child();  // kill(SIGKILL) and reap when still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Reads output until the child exits or `timeout` passes; the exit code, nullopt on timeout
  // (the child is then killed). -signal when killed by a signal.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // Reads output until `text` appears or `timeout` passes.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout);
  void kill();
  pid_t pid() const { return pid_; }
  const std::string& output() const { return output_; }

 private:
  bool pump(std::chrono::milliseconds budget);  // false at EOF
  pid_t pid_ = -1;
  int fd_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string output_;
};

// A UDP port that was free a moment ago (bind port 0, read it, close).
std::uint16_t free_udp_port();

}  // namespace sb::itest
