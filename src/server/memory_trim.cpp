#include "server/memory_trim.hpp"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>

namespace sb::server {

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages_total = 0, pages_resident = 0;
  if (!(statm >> pages_total >> pages_resident)) return 0;
  return pages_resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

namespace {

// Resident bytes that the allocator has not handed out: free memory in its heaps, plus fixed overhead.
std::int64_t slack() {
  const auto info = mallinfo2();
  return static_cast<std::int64_t>(resident_bytes()) - static_cast<std::int64_t>(info.uordblks + info.hblkhd);
}

// User plus system CPU seconds of the whole process.
double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

}  // namespace

MemoryTrimmer::MemoryTrimmer(MemoryTrimConfig config, metrics::Registry& registry)
    : config_(config),
      baseline_(slack()),
      last_wall_(std::chrono::steady_clock::now()),
      last_cpu_s_(cpu_seconds()),
      trims_(registry.counter("signalbox_memory_trims_total",
                              "Times the allocator's free memory was handed back to the system (--memory-trim-*).")),
      returned_(registry.counter("signalbox_memory_trimmed_bytes_total",
                                 "Resident bytes the process gave back to the system by those trims.")) {}

MemoryTrimmer::Outcome MemoryTrimmer::check() {
  Outcome out;
  const std::int64_t now = slack();
  out.slack_growth = now - baseline_;
  // Memory given back by free() itself (from the top of a heap) lowers the slack: follow it down.
  if (now < baseline_) baseline_ = now;
  const double busy = busy_cores();
  if (out.slack_growth < static_cast<std::int64_t>(config_.min_free_bytes)) return out;
  if (busy > config_.max_busy_cores) {
    out.busy = true;
    return out;
  }
  const auto before = static_cast<std::int64_t>(resident_bytes());
  const auto start = std::chrono::steady_clock::now();
  malloc_trim(0);
  out.took = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
  const auto after = static_cast<std::int64_t>(resident_bytes());
  baseline_ = slack();
  out.trimmed = true;
  out.returned_bytes = before - after;
  trims_.inc();
  if (out.returned_bytes > 0) returned_.inc(static_cast<std::uint64_t>(out.returned_bytes));
  return out;
}

double MemoryTrimmer::busy_cores() {
  const auto wall = std::chrono::steady_clock::now();
  const double cpu = cpu_seconds();
  const double elapsed = std::chrono::duration<double>(wall - last_wall_).count();
  const double cores = elapsed > 0 ? (cpu - last_cpu_s_) / elapsed : 0;
  last_wall_ = wall;
  last_cpu_s_ = cpu;
  return cores;
}

MemoryTrimThread::MemoryTrimThread(MemoryTrimConfig config, metrics::Registry& registry,
                                   std::function<void(const MemoryTrimmer::Outcome&)> on_trim)
    : trimmer_(config, registry), on_trim_(std::move(on_trim)), thread_([this] { run(); }) {}

MemoryTrimThread::~MemoryTrimThread() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void MemoryTrimThread::run() {
  const auto interval = std::chrono::duration<double>(trimmer_.config().interval_s);
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
    lock.unlock();
    const auto out = trimmer_.check();
    if (out.trimmed && on_trim_) on_trim_(out);
    lock.lock();
  }
}

}  // namespace sb::server
