#include "common/server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

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

}  // namespace

std::string signalbox_path() {
  // Lets a developer run the suite against another build of the binary (e.g. a Release one).
  if (const char* override_path = std::getenv("SB_ITEST_SIGNALBOX"); override_path && *override_path) {
    return override_path;
  }
#ifdef SIGNALBOX_BIN
  return SIGNALBOX_BIN;
#else
  return "";
#endif
}

std::optional<Listener> parse_listening_line(std::string_view line) {
  constexpr std::string_view kPrefix = "listening ";
  if (line.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  line.remove_prefix(kPrefix.size());
  auto space = line.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  Listener l;
  l.proto = std::string(line.substr(0, space));
  std::string_view addr = line.substr(space + 1);
  while (!addr.empty() && (addr.back() == '\r' || addr.back() == ' ')) addr.remove_suffix(1);
  auto colon = addr.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  std::string_view host = addr.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  l.host = std::string(host);
  try {
    int port = std::stoi(std::string(addr.substr(colon + 1)));
    if (port <= 0 || port > 65535) return std::nullopt;
    l.port = static_cast<std::uint16_t>(port);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return l;
}

std::string ExitStatus::describe() const {
  if (exited) return "exit code " + std::to_string(code);
  if (signal != 0) return std::string("killed by signal ") + strsignal(signal);
  return "unknown";
}

ServerProcess::ServerProcess(ServerOptions options) : options_(std::move(options)) {
  if (options_.binary.empty()) throw std::runtime_error("no server binary (SIGNALBOX_BIN not set at build time)");
  spawn();
  try {
    wait_ready();
  } catch (...) {
    stop();
    throw;
  }
}

ServerProcess::~ServerProcess() {
  try {
    stop();
  } catch (...) {
  }
}

void ServerProcess::spawn() {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error(errno_text("pipe2"));
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]);
    close(out[1]);
    throw std::runtime_error(errno_text("pipe2"));
  }
  std::vector<std::string> argv_s{options_.binary};
  argv_s.insert(argv_s.end(), options_.args.begin(), options_.args.end());
  std::vector<std::string> env_s = build_env(options_.env);
  auto argv = c_strings(argv_s);
  auto envp = c_strings(env_s);
  const pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(errno_text("fork"));
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  pid_ = pid;
  close(out[1]);
  close(err[1]);
  reader_ = std::thread([this, o = out[0], e = err[0]] { reader_loop(o, e); });
}

// Collects both pipes line by line until both reach EOF (the process ended).
void ServerProcess::reader_loop(int out_fd, int err_fd) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string partial[2];
  int open_count = 2;
  char buf[4096];
  while (open_count > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        close(fds[i].fd);
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
        if (i == 0) stdout_lines_.push_back(line);
      }
    }
    cv_.notify_all();
  }
  std::lock_guard lock(mu_);
  for (auto& p : partial) output_ += p;
  eof_ = true;
  cv_.notify_all();
}

void ServerProcess::wait_ready() {
  const auto deadline = Clock::now() + options_.ready_timeout;
  std::unique_lock lock(mu_);
  std::size_t seen = 0;
  for (;;) {
    for (; seen < stdout_lines_.size(); ++seen) {
      const std::string& line = stdout_lines_[seen];
      if (!options_.ready_marker.empty() && line.find(options_.ready_marker) != std::string::npos) return;
      if (auto l = parse_listening_line(line)) listeners_.push_back(*l);
      if (line == "ready" || line == "ready\r") {
        if (listeners_.empty()) throw std::runtime_error("server printed `ready` without `listening` lines");
        return;
      }
    }
    if (eof_) throw std::runtime_error("server ended before `ready`; output:\n" + output_);
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && seen == stdout_lines_.size()) {
      throw std::runtime_error("server not ready within " + std::to_string(options_.ready_timeout.count()) +
                               " ms; output:\n" + output_);
    }
  }
}

const Listener& ServerProcess::listener(std::string_view proto) const {
  for (const auto& l : listeners_) {
    if (l.proto == proto) return l;
  }
  throw std::runtime_error("server has no `" + std::string(proto) + "` listener");
}

std::optional<ExitStatus> ServerProcess::try_reap() {
  if (exit_status_) return exit_status_;
  if (pid_ <= 0) return std::nullopt;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_status_ = decode_status(status);
    if (reader_.joinable()) reader_.join();  // pipes reach EOF once the process is gone
  }
  return exit_status_;
}

std::optional<ExitStatus> ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (auto s = try_reap()) return s;
    if (Clock::now() >= deadline) return std::nullopt;
    // waitpid has no timeout; poll the child at a short, bounded interval.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

bool ServerProcess::running() { return pid_ > 0 && !try_reap(); }

void ServerProcess::signal(int sig) const {
  if (pid_ > 0 && !exit_status_) ::kill(pid_, sig);
}

ExitStatus ServerProcess::stop() {
  if (pid_ <= 0) return {};
  if (!try_reap()) {
    ::kill(pid_, SIGTERM);
    if (!wait_exit(options_.stop_timeout)) {
      ::kill(pid_, SIGKILL);
      wait_exit(std::chrono::milliseconds(10000));
    }
  }
  if (reader_.joinable()) reader_.join();
  return exit_status_.value_or(ExitStatus{});
}

std::string ServerProcess::output() const {
  std::lock_guard lock(mu_);
  return output_;
}

long ServerProcess::rss_kib() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream is(line.substr(6));
      long kib = -1;
      is >> kib;
      return kib;
    }
  }
  return -1;
}

}  // namespace sb::itest
