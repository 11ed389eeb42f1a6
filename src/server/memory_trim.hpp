// Gives the system back the memory that a burst of traffic left free inside the allocator's heaps.
//
// glibc returns freed memory to the system only from the top of a heap. After a burst (every session relaying at
// once), the freed frames and buffers lie between allocations that live on, so the process keeps the burst's peak
// resident: 19,000 PeerJS sessions measured 131 MB resident after a saturation phase, against 56 MB idle before it,
// while only 49 MB were in use (docs/benchmarks.md). malloc_trim(0) also releases whole free pages inside the heaps;
// there it brought the process to 62 MB.
//
// A check compares what is resident with what the allocator has handed out (mallinfo2): the difference is memory
// held free (plus the process's fixed overhead, measured at start and after every trim). It trims when that
// slack has grown by the configured amount since, so a steady server never trims, a trim is not repeated for
// memory already given back, and the next burst is trimmed again. It also waits while the process is busy (more
// than max_busy_cores of CPU since the last check): in a burst the freed memory is used again at once, and a trim
// would only cost page faults and the allocator's lock; once the burst is over, the next quiet check trims.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "util/metrics.hpp"

namespace sb::server {

struct MemoryTrimConfig {
  double interval_s = 10;                     // between checks; 0 = never
  std::size_t min_free_bytes = 32u << 20;     // growth of the slack (resident, not in use) that makes a check trim
  double max_busy_cores = 0.25;               // CPU the process used since the last check, in cores, above which
                                              // it waits: mid-burst, freed memory is about to be used again
};

class MemoryTrimmer {
 public:
  MemoryTrimmer(MemoryTrimConfig config, metrics::Registry& registry);

  struct Outcome {
    bool trimmed = false;
    bool busy = false;                 // not trimmed: the process was busier than max_busy_cores
    std::int64_t slack_growth = 0;    // resident minus in use, over the baseline, before the check
    std::int64_t returned_bytes = 0;  // resident set before minus after (0 when not trimmed)
    std::chrono::microseconds took{};  // how long the trim held the allocator
  };
  // Called from one thread at a time. Under AddressSanitizer the allocator is ASan's, which mallinfo2 does not
  // see: the slack is then the whole heap, and a check may trim glibc's (nearly empty) heaps to no effect.
  Outcome check();

  const MemoryTrimConfig& config() const { return config_; }

 private:
  // CPU cores the process used since the previous call.
  double busy_cores();

  MemoryTrimConfig config_;
  std::int64_t baseline_;  // slack after the last trim (or at construction)
  std::chrono::steady_clock::time_point last_wall_;
  double last_cpu_s_;
  metrics::Counter& trims_;
  metrics::Counter& returned_;
};

// Runs a trimmer's checks every interval on a thread of its own, so that a trim (about 10 ms for 100 MiB) holds up
// no I/O thread's connections beyond the allocator's own locks. Stops (and joins) on destruction.
class MemoryTrimThread {
 public:
  MemoryTrimThread(MemoryTrimConfig config, metrics::Registry& registry,
                   std::function<void(const MemoryTrimmer::Outcome&)> on_trim);
  ~MemoryTrimThread();
  MemoryTrimThread(const MemoryTrimThread&) = delete;
  MemoryTrimThread& operator=(const MemoryTrimThread&) = delete;

 private:
  void run();

  MemoryTrimmer trimmer_;
  std::function<void(const MemoryTrimmer::Outcome&)> on_trim_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// The process's resident set in bytes (/proc/self/statm), 0 if unreadable.
std::size_t resident_bytes();

}  // namespace sb::server
