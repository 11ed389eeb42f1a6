#include "common/server_process.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sb::itest {
namespace {

// The process to run for `o`; throws when there is no binary.
ProcessOptions process_options(const ServerOptions& o) {
  if (o.binary.empty()) throw std::runtime_error("no server binary (SIGNALBOX_BIN not set at build time)");
  ProcessOptions p;
  p.argv = {o.binary};
  p.argv.insert(p.argv.end(), o.args.begin(), o.args.end());
  p.env = o.env;
  return p;
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

ServerProcess::ServerProcess(ServerOptions options)
    : options_(std::move(options)), process_(process_options(options_)) {
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

void ServerProcess::wait_ready() {
  bool ready = false;
  std::string error;
  auto up = [&](const std::string& line) {
    if (!options_.ready_marker.empty() && line.find(options_.ready_marker) != std::string::npos) return ready = true;
    if (auto l = parse_listening_line(line)) listeners_.push_back(*l);
    if (line == "ready" || line == "ready\r") {
      if (listeners_.empty()) error = "server printed `ready` without `listening` lines";
      return ready = true;
    }
    return false;
  };
  process_.wait_until(up, options_.ready_timeout);
  if (!error.empty()) throw std::runtime_error(error);
  if (ready) return;
  if (process_.output_closed()) throw std::runtime_error("server ended before `ready`; output:\n" + output());
  throw std::runtime_error("server not ready within " + std::to_string(options_.ready_timeout.count()) +
                           " ms; output:\n" + output());
}

const Listener& ServerProcess::listener(std::string_view proto) const {
  for (const auto& l : listeners_) {
    if (l.proto == proto) return l;
  }
  throw std::runtime_error("server has no `" + std::string(proto) + "` listener");
}

long ServerProcess::rss_kib() const {
  std::ifstream in("/proc/" + std::to_string(pid()) + "/status");
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
