#include "common/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>

extern char** environ;

namespace sb::itest {
namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Builds the child's environment: the inherited one with `extra` set or overridden.
std::vector<std::string> build_env(const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    bool overridden = false;
    for (const auto& [k, v] : extra) {
      if (entry.size() > k.size() && entry.substr(0, k.size()) == k && entry[k.size()] == '=') overridden = true;
    }
    if (!overridden) env.emplace_back(entry);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

ExitStatus decode_status(int status) {
  ExitStatus s;
  if (WIFEXITED(status)) {
    s.exited = true;
    s.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    s.signal = WTERMSIG(status);
  }
  return s;
}

// The pipes of one child: [0] read end, [1] write end; every end not handed over is closed.
struct Pipes {
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  ~Pipes() {
    for (int* p : {in, out, err}) {
      for (int i = 0; i < 2; ++i) {
        if (p[i] >= 0) ::close(p[i]);
      }
    }
  }
  static int take(int& fd) { return std::exchange(fd, -1); }
};

}  // namespace

std::string ExitStatus::describe() const {
  if (exited) return "exit code " + std::to_string(code);
  if (signal != 0) return std::string("killed by signal ") + strsignal(signal);
  return "unknown";
}

Process::Process(ProcessOptions options) {
  if (options.argv.empty() || options.argv[0].empty()) throw std::runtime_error("no program to run");
  spawn(options);
}

Process::~Process() {
  try {
    kill();
  } catch (...) {
  }
  if (reader_.joinable()) reader_.join();
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
}

void Process::spawn(ProcessOptions& options) {
  Pipes p;
  if (::pipe2(p.out, O_CLOEXEC) != 0 || ::pipe2(p.err, O_CLOEXEC) != 0 ||
      (options.stdin_pipe && ::pipe2(p.in, O_CLOEXEC) != 0)) {
    throw std::runtime_error(errno_text("pipe2"));
  }
  std::vector<std::string> env_s = build_env(options.env);
  auto argv = c_strings(options.argv);
  auto envp = c_strings(env_s);
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(errno_text("fork"));
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int in = options.stdin_pipe ? p.in[0] : ::open("/dev/null", O_RDONLY);
    if (in >= 0) ::dup2(in, STDIN_FILENO);
    ::dup2(p.out[1], STDOUT_FILENO);
    ::dup2(p.err[1], STDERR_FILENO);
    ::execvpe(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  pid_ = pid;
  stdin_fd_ = Pipes::take(p.in[1]);
  reader_ = std::thread([this, o = Pipes::take(p.out[0]), e = Pipes::take(p.err[0])] { reader_loop(o, e); });
}

// Collects both pipes line by line until both reach EOF (the process ended).
void Process::reader_loop(int out_fd, int err_fd) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string partial[2];
  int open_count = 2;
  char buf[4096];
  while (open_count > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
        n = 0;
      }
      std::lock_guard lock(mu_);
      partial[i].append(buf, static_cast<std::size_t>(n));
      for (auto nl = partial[i].find('\n'); nl != std::string::npos; nl = partial[i].find('\n')) {
        std::string line = partial[i].substr(0, nl);
        partial[i].erase(0, nl + 1);
        output_ += line + "\n";
        if (i == 0) stdout_lines_.push_back(std::move(line));
      }
    }
    cv_.notify_all();
  }
  std::lock_guard lock(mu_);
  for (int i = 0; i < 2; ++i) {
    if (partial[i].empty()) continue;
    output_ += partial[i];
    if (i == 0) stdout_lines_.push_back(partial[i]);
  }
  eof_ = true;
  cv_.notify_all();
}

std::optional<std::string> Process::wait_until(const std::function<bool(const std::string&)>& pred,
                                               std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::unique_lock lock(mu_);
  std::size_t checked = 0;
  for (;;) {
    for (; checked < stdout_lines_.size(); ++checked) {
      if (pred(stdout_lines_[checked])) return stdout_lines_[checked];
    }
    if (eof_) return std::nullopt;
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && checked == stdout_lines_.size()) {
      return std::nullopt;
    }
  }
}

std::optional<std::string> Process::wait_line(const std::string& prefix, std::chrono::milliseconds timeout) {
  return wait_until([&](const std::string& l) { return l.starts_with(prefix); }, timeout);
}

bool Process::wait_for_output(const std::string& text, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_until(lock, Clock::now() + timeout,
                        [&] { return eof_ || output_.find(text) != std::string::npos; }) &&
         output_.find(text) != std::string::npos;
}

bool Process::output_closed() const {
  std::lock_guard lock(mu_);
  return eof_;
}

bool Process::write_line(const std::string& line) {
  if (stdin_fd_ < 0) return false;
  const std::string data = line + "\n";
  return ::write(stdin_fd_, data.data(), data.size()) == static_cast<ssize_t>(data.size());
}

void Process::signal(int sig) const {
  if (pid_ > 0 && !exit_status_) ::kill(pid_, sig);
}

std::optional<ExitStatus> Process::try_reap() {
  if (exit_status_) return exit_status_;
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_status_ = decode_status(status);
    if (reader_.joinable()) reader_.join();  // pipes reach EOF once the process is gone
  }
  return exit_status_;
}

std::optional<ExitStatus> Process::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (auto s = try_reap()) return s;
    if (Clock::now() >= deadline) return std::nullopt;
    // waitpid has no timeout; poll the child at a short, bounded interval.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::optional<int> Process::wait_code(std::chrono::milliseconds timeout) {
  if (auto s = wait_exit(timeout)) return s->shell_code();
  return std::nullopt;
}

ExitStatus Process::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return {};
  if (!try_reap()) {
    ::kill(pid_, SIGTERM);
    if (!wait_exit(grace)) kill();
  }
  return exit_status_.value_or(ExitStatus{});
}

void Process::kill() {
  if (pid_ <= 0 || try_reap()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  if (::waitpid(pid_, &status, 0) == pid_) exit_status_ = decode_status(status);
  if (reader_.joinable()) reader_.join();
}

bool Process::running() { return pid_ > 0 && !try_reap(); }

std::string Process::output() const {
  std::lock_guard lock(mu_);
  return output_;
}

}  // namespace sb::itest
