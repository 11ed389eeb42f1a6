#include "client/client_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace sb::itest {
namespace {

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

ClientProcess::ClientProcess(std::string binary, std::vector<std::string> args) {
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::vector<char*> argv{binary.data()};
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int rc = posix_spawn(&pid_, binary.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  stdin_fd_ = in[1];
  if (rc != 0) {
    close(out[0]);
    close(err[0]);
    close(stdin_fd_);
    throw std::runtime_error("cannot start " + binary + ": " + std::strerror(rc));
  }
  out_reader_ = std::thread([this, fd = out[0]] { read_loop(fd, true); });
  err_reader_ = std::thread([this, fd = err[0]] { read_loop(fd, false); });
}

ClientProcess::~ClientProcess() {
  if (!exit_code_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    wait_exit(std::chrono::seconds(5));
  }
  if (stdin_fd_ >= 0) close(stdin_fd_);
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
}

void ClientProcess::read_loop(int fd, bool is_stdout) {
  std::string partial;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    partial.append(buf, static_cast<std::size_t>(n));
    std::size_t nl;
    while ((nl = partial.find('\n')) != std::string::npos) {
      std::string line = partial.substr(0, nl);
      partial.erase(0, nl + 1);
      std::lock_guard lock(mu_);
      log_ += (is_stdout ? "[out] " : "[err] ") + line + "\n";
      if (is_stdout) lines_.push_back(std::move(line));
      cv_.notify_all();
    }
  }
  close(fd);
  std::lock_guard lock(mu_);
  --open_streams_;
  cv_.notify_all();
}

std::optional<std::string> ClientProcess::wait_until(const std::function<bool(const std::string&)>& pred,
                                                     std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mu_);
  std::size_t checked = 0;
  for (;;) {
    for (; checked < lines_.size(); ++checked)
      if (pred(lines_[checked])) return lines_[checked];
    if (open_streams_ == 0) return std::nullopt;
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && checked == lines_.size()) return std::nullopt;
  }
}

std::optional<std::string> ClientProcess::wait_line(const std::string& prefix, std::chrono::milliseconds timeout) {
  return wait_until([&](const std::string& l) { return l.rfind(prefix, 0) == 0; }, timeout);
}

bool ClientProcess::write_line(const std::string& line) {
  std::string data = line + "\n";
  return write(stdin_fd_, data.data(), data.size()) == static_cast<ssize_t>(data.size());
}

void ClientProcess::signal(int sig) const {
  if (pid_ > 0 && !exit_code_) kill(pid_, sig);
}

std::optional<int> ClientProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = decode_status(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    // Polling the child's status: waitpid has no timeout form.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string ClientProcess::output() const {
  std::lock_guard lock(mu_);
  return log_;
}

}  // namespace sb::itest
