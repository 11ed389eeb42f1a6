// sb_signaling_loadgen: opens N WebSocket sessions in pairs against a signaling server speaking protocol v1
// (rooms of two) or the PeerJS server protocol (sessions 2k and 2k+1 message each other by id), then
// measures (1) sessions held and server memory per idle session, (2) relayed messages per second at
// saturation (closed loop), (3) relay latency at a fixed offered rate. Results are printed as
// `key value` lines on stdout; progress goes to stderr. Every phase is bounded by time.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "load_session.hpp"

namespace sb::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration;

struct Options {
  std::string protocol = "v1";
  std::string peerjs_key = "peerjs";
  std::string server = "127.0.0.1:8080";  // HOST:PORT[,HOST:PORT...]: the nodes of a cluster
  std::string placement = "same";         // same | cross: the two sessions of a room on one node or on two
  std::string room_prefix = "b";
  int index_start = 0, index_step = 1;
  std::string path = "/ws";
  bool room_hint = true;
  int sessions = 1000;
  int threads = 1;
  std::string source_prefix = "127.0.1.";  // sources are <prefix>1, <prefix>2, ...
  int per_source = 20000;
  int connect_concurrency = 256;
  int window = 1;
  bool batch_writes = false;
  double saturation_s = 5, paced_s = 5, settle_s = 2, rate = 20000;
  double connect_timeout_s = 180;
  std::string server_pid;  // PID[,PID...]: CPU and memory summed over the servers
  int redis_pid = 0;       // a cluster's Redis: its CPU per message
  double hold_s = -1;      // >= 0: no traffic; hold the sessions this long after measuring memory, then exit
  double quiet_s = 0;      // > 0: after the paced phase, hold the sessions idle this long, then read the RSS again
};

struct ProcStat {
  long rss_kib = -1;
  double cpu_s = 0;
};

ProcStat proc_stat_one(int pid) {
  ProcStat s;
  if (pid <= 0) return s;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) std::istringstream(line.substr(6)) >> s.rss_kib;
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  auto paren = text.rfind(')');  // the command name may contain spaces
  if (paren == std::string::npos) return s;
  std::istringstream fields(text.substr(paren + 2));
  std::string f;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {  // fields 14 and 15 are utime and stime in ticks
    if (i == 14) utime = std::stod(f);
    if (i == 15) stime = std::stod(f);
  }
  s.cpu_s = (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  return s;
}

std::vector<int> pids_of(const std::string& list) {
  std::vector<int> pids;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) pids.push_back(std::stoi(item));
  }
  return pids;
}

// Summed over the processes (the nodes of a cluster); rss_kib is -1 when there are none.
ProcStat proc_stat(const std::vector<int>& pids) {
  ProcStat sum;
  for (int pid : pids) {
    const ProcStat s = proc_stat_one(pid);
    sum.rss_kib = (sum.rss_kib < 0 ? 0 : sum.rss_kib) + std::max(0L, s.rss_kib);
    sum.cpu_s += s.cpu_s;
  }
  return sum;
}

// CPU seconds (user + system) this load generator has used, to tell whether it was the bottleneck.
double own_cpu_s() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

void raise_fd_limit(int sessions) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  const rlim_t want = static_cast<rlim_t>(sessions) + 1024;
  if (rl.rlim_cur >= want) return;
  rlimit raised{want, std::max(rl.rlim_max, want)};
  if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {  // raising the hard limit needs root; try the soft one
    raised = {std::min(want, rl.rlim_max), rl.rlim_max};
    setrlimit(RLIMIT_NOFILE, &raised);
  }
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < want) std::cerr << "warning: RLIMIT_NOFILE is " << rl.rlim_cur << ", below " << want << "\n";
}

class Controller {
 public:
  explicit Controller(const Options& o) : o_(o) {}
  int run();

 private:
  template <class F>
  std::uint64_t sum(F field) const {
    std::uint64_t total = 0;
    for (const auto& w : workers_) total += (w.get()->*field).load(std::memory_order_relaxed);
    return total;
  }
  void set_phase(Phase p) { phase_.store(static_cast<int>(p)); }
  bool connect_all();
  void measure_saturation();
  void measure_paced();
  void report(const std::string& key, double value) { std::cout << key << " " << value << "\n"; }

  const Options& o_;
  const std::vector<int> server_pids_ = pids_of(o_.server_pid);
  LoadConfig config_;
  std::atomic<int> phase_{static_cast<int>(Phase::setup)};
  std::vector<std::unique_ptr<Worker>> workers_;
};

bool Controller::connect_all() {
  const auto start = Clock::now();
  const auto deadline = start + duration<double>(o_.connect_timeout_s);
  std::vector<std::vector<int>> share(static_cast<std::size_t>(o_.threads));
  for (int i = 0; i < o_.sessions; ++i) share[static_cast<std::size_t>((i / 2) % o_.threads)].push_back(i);
  for (int t = 0; t < o_.threads; ++t) workers_[static_cast<std::size_t>(t)]->open(share[static_cast<std::size_t>(t)]);
  auto last_print = start;
  const auto n = static_cast<std::uint64_t>(o_.sessions);
  while (Clock::now() < deadline) {
    const auto ready = sum(&Worker::ready), failed = sum(&Worker::failed), connected = sum(&Worker::connected);
    if (ready + failed >= n || (connected + failed >= n && failed > 0 && ready + failed + 1 >= n)) break;
    if (Clock::now() - last_print > std::chrono::seconds(5)) {
      last_print = Clock::now();
      std::cerr << "  connected " << connected << " ready " << ready << " failed " << failed << "\n";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double took = duration<double>(Clock::now() - start).count();
  report("connect_seconds", took);
  report("sessions_connected", static_cast<double>(sum(&Worker::connected)));
  report("sessions_failed", static_cast<double>(sum(&Worker::failed)));
  report("connects_per_second", static_cast<double>(sum(&Worker::connected)) / took);
  return sum(&Worker::ready) > 0;
}

void Controller::measure_saturation() {
  set_phase(Phase::saturation);
  for (auto& w : workers_) w->start_saturation();
  std::this_thread::sleep_for(std::chrono::seconds(1));  // warm-up
  const auto r0 = sum(&Worker::received);
  const auto c0 = proc_stat(server_pids_).cpu_s;
  const auto redis0 = proc_stat_one(o_.redis_pid).cpu_s;
  const double own0 = own_cpu_s();
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(duration<double>(o_.saturation_s));
  const auto r1 = sum(&Worker::received);
  const auto c1 = proc_stat(server_pids_).cpu_s;
  const auto redis1 = proc_stat_one(o_.redis_pid).cpu_s;
  const double own1 = own_cpu_s();
  const double secs = duration<double>(Clock::now() - t0).count();
  const double rate = static_cast<double>(r1 - r0) / secs;
  report("saturation_msgs_per_second", rate);
  if (!server_pids_.empty() && r1 > r0) report("saturation_server_cpu_us_per_msg", (c1 - c0) * 1e6 / (r1 - r0));
  if (o_.redis_pid > 0 && r1 > r0) report("saturation_redis_cpu_us_per_msg", (redis1 - redis0) * 1e6 / (r1 - r0));
  report("saturation_loadgen_cpu_share", (own1 - own0) / secs);  // 1.0 = one core busy all the time
  set_phase(Phase::drain);
  // Let in-flight messages arrive (bounded): wait until the received count stops moving.
  auto last = sum(&Worker::received);
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto now = sum(&Worker::received);
    if (now == last) break;
    last = now;
  }
}

void Controller::measure_paced() {
  set_phase(Phase::paced_warmup);
  for (auto& w : workers_) w->start_pacing(o_.rate / o_.threads);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const auto s0 = sum(&Worker::sent);
  const auto r0 = sum(&Worker::received);
  const auto c0 = proc_stat(server_pids_).cpu_s;
  const auto redis0 = proc_stat_one(o_.redis_pid).cpu_s;
  const auto t0 = Clock::now();
  set_phase(Phase::paced);
  std::this_thread::sleep_for(duration<double>(o_.paced_s));
  set_phase(Phase::drain);
  const double secs = duration<double>(Clock::now() - t0).count();
  const auto s1 = sum(&Worker::sent);
  const auto r1 = sum(&Worker::received);
  const auto c1 = proc_stat(server_pids_).cpu_s;
  const auto redis1 = proc_stat_one(o_.redis_pid).cpu_s;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  set_phase(Phase::done);
  for (auto& w : workers_) w->join_thread();
  Histogram all;
  for (auto& w : workers_) all.merge(w->latency);
  report("paced_offered_msgs_per_second", static_cast<double>(s1 - s0) / secs);
  report("paced_delivered_msgs_per_second", static_cast<double>(r1 - r0) / secs);
  if (!server_pids_.empty() && r1 > r0) report("paced_server_cpu_us_per_msg", (c1 - c0) * 1e6 / (r1 - r0));
  if (o_.redis_pid > 0 && r1 > r0) report("paced_redis_cpu_us_per_msg", (redis1 - redis0) * 1e6 / (r1 - r0));
  report("paced_latency_samples", static_cast<double>(all.total()));
  report("paced_latency_p50_ms", all.quantile_us(0.50) / 1000);
  report("paced_latency_p99_ms", all.quantile_us(0.99) / 1000);
  report("paced_latency_max_ms", all.quantile_us(1.0) / 1000);
}

int Controller::run() {
  std::stringstream servers(o_.server);
  for (std::string hp; std::getline(servers, hp, ',');) {
    auto colon = hp.rfind(':');
    config_.servers.emplace_back(net::ip::make_address(hp.substr(0, colon)),
                                 static_cast<unsigned short>(std::stoi(hp.substr(colon + 1))));
    config_.host_headers.push_back(hp);
  }
  config_.cross = o_.placement == "cross";
  config_.room_prefix = o_.room_prefix;
  config_.index_start = o_.index_start;
  config_.index_step = o_.index_step;
  config_.protocol = o_.protocol == "peerjs" ? Protocol::peerjs : Protocol::v1;
  config_.peerjs_key = o_.peerjs_key;
  config_.path = o_.path;
  config_.room_hint = o_.room_hint;
  config_.per_source = o_.per_source;
  config_.connect_concurrency = std::max(1, o_.connect_concurrency / o_.threads);
  config_.window = o_.window;
  config_.batch_writes = o_.batch_writes;
  const int n_sources = (o_.sessions + o_.per_source - 1) / o_.per_source;
  for (int i = 1; i <= n_sources; ++i) config_.sources.push_back(net::ip::make_address(o_.source_prefix + std::to_string(i)));
  for (int t = 0; t < o_.threads; ++t) workers_.push_back(std::make_unique<Worker>(config_, phase_));

  const ProcStat before = proc_stat(server_pids_);
  std::cerr << "connecting " << o_.sessions << " sessions from " << n_sources << " source address(es)\n";
  if (!connect_all()) return 1;
  std::this_thread::sleep_for(duration<double>(o_.settle_s));
  const ProcStat idle = proc_stat(server_pids_);
  const auto held = sum(&Worker::ready) - sum(&Worker::closed);
  report("sessions_held", static_cast<double>(held));
  if (!server_pids_.empty() && held > 0) {
    report("server_rss_before_kib", static_cast<double>(before.rss_kib));
    report("server_rss_idle_kib", static_cast<double>(idle.rss_kib));
    report("server_bytes_per_idle_session", static_cast<double>(idle.rss_kib - before.rss_kib) * 1024 / held);
  }
  if (o_.hold_s >= 0) {
    // Several load generators fill the rooms of one cluster: each keeps its sessions while the others measure.
    report("server_errors_received", static_cast<double>(sum(&Worker::errors)));
    std::cout.flush();
    std::this_thread::sleep_for(duration<double>(o_.hold_s));
    report("sessions_closed_by_server", static_cast<double>(sum(&Worker::closed)));
    return 0;
  }
  std::cerr << "saturation for " << o_.saturation_s << " s\n";
  measure_saturation();
  std::cerr << "paced at " << o_.rate << " msg/s for " << o_.paced_s << " s\n";
  measure_paced();
  report("server_errors_received", static_cast<double>(sum(&Worker::errors)));
  report("sessions_closed_by_server", static_cast<double>(sum(&Worker::closed)));
  report("server_rss_end_kib", static_cast<double>(proc_stat(server_pids_).rss_kib));
  if (o_.quiet_s > 0) {
    // Whether the memory of the burst goes back once the server is quiet (the sessions are still held).
    std::this_thread::sleep_for(duration<double>(o_.quiet_s));
    report("server_rss_quiet_kib", static_cast<double>(proc_stat(server_pids_).rss_kib));
  }
  return 0;
}

}  // namespace
}  // namespace sb::bench

int main(int argc, char** argv) {
  sb::bench::Options o;
  CLI::App app{"WebSocket signaling load generator (pairs of sessions, protocol v1 or PeerJS)"};
  app.add_option("--protocol", o.protocol, "v1 (rooms of two) or peerjs (ids p<global index>, PATH?key=&id=&token=)")
      ->check(CLI::IsMember({"v1", "peerjs"}));
  app.add_option("--peerjs-key", o.peerjs_key, "the PeerJS key in the URL");
  app.add_option("--server", o.server, "HOST:PORT of the signaling server, or a comma list of a cluster's nodes")
      ->required();
  app.add_option("--placement", o.placement, "same: a room's two sessions on one node; cross: on two nodes")
      ->check(CLI::IsMember({"same", "cross"}));
  app.add_option("--room-prefix", o.room_prefix, "rooms are PREFIX0, PREFIX1, ...");
  app.add_option("--index-start", o.index_start, "first global session index (rooms are index / 2)");
  app.add_option("--index-step", o.index_step, "global index step: N load generators with steps of N share rooms")
      ->check(CLI::Range(1, 64));
  app.add_option("--path", o.path, "WebSocket path");
  app.add_option("--room-hint", o.room_hint, "connect to PATH?room=NAME, as the web client does (true|false)");
  app.add_option("--sessions", o.sessions, "sessions to open (rooms of two)")->check(CLI::Range(2, 1000000));
  app.add_option("--threads", o.threads, "load generator threads")->check(CLI::Range(1, 64));
  app.add_option("--source-prefix", o.source_prefix, "source addresses are PREFIX1, PREFIX2, ... (127/8)");
  app.add_option("--per-source", o.per_source, "sessions per source address (ephemeral ports)")->check(CLI::Range(1, 28000));
  app.add_option("--connect-concurrency", o.connect_concurrency, "handshakes in flight");
  app.add_option("--window", o.window, "messages in flight per session at saturation")->check(CLI::Range(1, 1000));
  app.add_flag("--batch-writes", o.batch_writes,
               "answer the frames of one read in one write (default: one write per message, as browsers)");
  app.add_option("--saturation-seconds", o.saturation_s, "measured saturation time");
  app.add_option("--rate", o.rate, "offered messages per second in the paced phase");
  app.add_option("--paced-seconds", o.paced_s, "measured paced time");
  app.add_option("--settle-seconds", o.settle_s, "wait before reading idle memory");
  app.add_option("--connect-timeout", o.connect_timeout_s, "bound on the connect phase, seconds");
  app.add_option("--server-pid", o.server_pid, "server process(es), PID[,PID...], for RSS and CPU from /proc");
  app.add_option("--redis-pid", o.redis_pid, "a cluster's redis-server, for its CPU per message");
  app.add_option("--quiet-seconds", o.quiet_s,
                 "after the paced phase, hold the sessions idle this long and report the server's RSS again");
  app.add_option("--hold-seconds", o.hold_s, "no traffic: measure memory, hold the sessions this long, exit");
  CLI11_PARSE(app, argc, argv);
  sb::bench::raise_fd_limit(o.sessions);
  int rc = sb::bench::Controller(o).run();
  std::cout.flush();
  std::fflush(nullptr);
  _exit(rc);  // skip tearing down tens of thousands of sessions one by one
}
