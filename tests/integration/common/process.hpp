// A child process under test, the one way integration tests run a program (signalbox, signalbox-client,
// redis-server, coturn's tools, openssl): started by argv with extra environment, stdout and stderr
// collected line by line by a reader thread, every wait bounded, killed by PID (SIGKILL) and reaped in the
// destructor.
//
// The child gets PR_SET_PDEATHSIG(SIGKILL), so a crashing test never leaves it behind. Note that the signal
// follows the *thread* that started the child: start processes from the test's main thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace sb::itest {

struct ExitStatus {
  bool exited = false;  // true: normal exit with `code`; false: killed by `signal`
  int code = -1;
  int signal = 0;
  std::string describe() const;
  bool clean() const { return exited && code == 0; }
  // The shell's convention: the exit code, or 128 + the signal.
  int shell_code() const { return exited ? code : 128 + signal; }
};

struct ProcessOptions {
  std::vector<std::string> argv;  // argv[0]: a path, or a name searched in PATH
  std::vector<std::pair<std::string, std::string>> env;  // set on top of the inherited environment
  bool stdin_pipe = false;  // true: write_line() feeds the child's stdin; false: stdin is /dev/null
};

class Process {
 public:
  // Starts the program. Throws std::runtime_error when it cannot (a program that is not found exits 127).
  explicit Process(ProcessOptions options);
  explicit Process(std::vector<std::string> argv) : Process(ProcessOptions{std::move(argv), {}, false}) {}
  ~Process();  // kill() if still running; never throws
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }

  // Waits until `pred` holds for a stdout line (every line so far, in order, then new ones); returns that
  // line, or nullopt on timeout or when the output ended without one.
  std::optional<std::string> wait_until(const std::function<bool(const std::string&)>& pred,
                                        std::chrono::milliseconds timeout);
  // Waits for a stdout line starting with `prefix`.
  std::optional<std::string> wait_line(const std::string& prefix, std::chrono::milliseconds timeout);
  // Waits until `text` appears anywhere in the output (stdout or stderr).
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout);
  // True once both stdout and stderr reached end of file.
  bool output_closed() const;

  bool write_line(const std::string& line);  // to stdin (ProcessOptions::stdin_pipe)
  void signal(int sig) const;                // without waiting (e.g. SIGSTOP in a test)
  // Waits for the process to end by itself; nullopt on timeout. Once it returns a status, output() is complete.
  std::optional<ExitStatus> wait_exit(std::chrono::milliseconds timeout);
  // wait_exit() as the shell reports it (ExitStatus::shell_code).
  std::optional<int> wait_code(std::chrono::milliseconds timeout);
  // SIGTERM, up to `grace` for the process to exit, then SIGKILL. Returns how it ended.
  ExitStatus stop(std::chrono::milliseconds grace);
  void kill();  // SIGKILL and reap, if still running
  bool running();

  // Everything the process wrote so far (stdout and stderr interleaved by line), for failure messages.
  std::string output() const;

 private:
  void spawn(ProcessOptions& options);
  void reader_loop(int out_fd, int err_fd);
  std::optional<ExitStatus> try_reap();

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::optional<ExitStatus> exit_status_;

  mutable std::mutex mu_;  // guards the fields below; written by reader_
  std::condition_variable cv_;
  std::string output_;
  std::vector<std::string> stdout_lines_;
  bool eof_ = false;
  std::thread reader_;
};

}  // namespace sb::itest
