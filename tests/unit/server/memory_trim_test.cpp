// MemoryTrimmer against glibc's allocator: a burst's freed memory, pinned between live blocks so that free()
// cannot give it back from the top of the heap, is returned by a check, and counted.
#include "server/memory_trim.hpp"

#include <gtest/gtest.h>

#include <ctime>
#include <cstring>
#include <future>
#include <thread>
#include <memory>
#include <vector>

namespace sb::server {
namespace {

constexpr std::size_t kMiB = 1u << 20;
constexpr double kAnyLoad = 1e9;  // max_busy_cores that never holds a check back

// Allocates `bytes` in 512-byte blocks and touches them.
std::vector<std::unique_ptr<char[]>> allocate(std::size_t bytes) {
  constexpr std::size_t kBlock = 512;
  std::vector<std::unique_ptr<char[]>> all(bytes / kBlock);
  for (auto& b : all) {
    b = std::make_unique<char[]>(kBlock);
    std::memset(b.get(), 0x5a, kBlock);
  }
  return all;
}

// Frees all but every 64th block and the last, so 32 KiB runs of free memory lie between live blocks up to the
// end of what was allocated (free() cannot give it back from the top of the heap). Returns the blocks that stay.
std::vector<std::unique_ptr<char[]>> thin(std::vector<std::unique_ptr<char[]>> all) {
  std::vector<std::unique_ptr<char[]>> kept;
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (i % 64 == 63 || i + 1 == all.size()) kept.push_back(std::move(all[i]));
  }
  return kept;
}

std::vector<std::unique_ptr<char[]>> burst(std::size_t bytes) { return thin(allocate(bytes)); }

TEST(MemoryTrimmer, BelowTheThresholdACheckLeavesTheHeapsAlone) {
  metrics::Registry registry;
  MemoryTrimmer trimmer({10, 16 * kMiB, kAnyLoad}, registry);
  const auto out = trimmer.check();
  EXPECT_FALSE(out.trimmed);
  EXPECT_EQ(out.returned_bytes, 0);
  EXPECT_NE(registry.render().find("signalbox_memory_trims_total 0"), std::string::npos);
}

TEST(MemoryTrimmer, ABurstsFreedMemoryPinnedBetweenLiveBlocksIsGivenBack) {
  metrics::Registry registry;
  MemoryTrimmer trimmer({10, 16 * kMiB, kAnyLoad}, registry);
  auto kept = burst(128 * kMiB);
  const std::size_t resident = resident_bytes();
  ASSERT_GT(resident, 100 * kMiB) << "the burst is resident before the check";

  const auto out = trimmer.check();
  EXPECT_TRUE(out.trimmed);
  EXPECT_GE(out.slack_growth, static_cast<std::int64_t>(100 * kMiB));
  EXPECT_GE(out.returned_bytes, static_cast<std::int64_t>(64 * kMiB));
  EXPECT_LE(resident_bytes() + 64 * kMiB, resident);
  const auto text = registry.render();
  EXPECT_NE(text.find("signalbox_memory_trims_total 1"), std::string::npos) << text;
  EXPECT_EQ(text.find("signalbox_memory_trimmed_bytes_total 0"), std::string::npos) << text;

  // The live blocks are untouched.
  for (const auto& b : kept) ASSERT_EQ(b[0], 0x5a);
  // What was given back is not trimmed again: the next check finds no new slack.
  EXPECT_FALSE(trimmer.check().trimmed);

  // The next burst is.
  auto kept2 = burst(64 * kMiB);
  const auto again = trimmer.check();
  EXPECT_TRUE(again.trimmed);
  EXPECT_GE(again.returned_bytes, static_cast<std::int64_t>(32 * kMiB));
  EXPECT_NE(registry.render().find("signalbox_memory_trims_total 2"), std::string::npos);
}

TEST(MemoryTrimmer, ABusyProcessWaitsForAQuietCheck) {
  metrics::Registry registry;
  MemoryTrimmer trimmer({10, 16 * kMiB, 0.1}, registry);
  auto kept = burst(64 * kMiB);
  // Busy: the burst itself, then 150 ms of CPU (measured as CPU time, so a loaded machine only stretches it):
  // whatever share of a core this process gets, it is well above a tenth of one.
  const auto cpu_now = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
  };
  const auto until = cpu_now() + std::chrono::milliseconds(150);
  volatile std::uint64_t spin = 0;
  while (cpu_now() < until) spin = spin + 1;
  const auto busy = trimmer.check();
  EXPECT_TRUE(busy.busy);
  EXPECT_FALSE(busy.trimmed);
  EXPECT_GE(busy.slack_growth, static_cast<std::int64_t>(32 * kMiB));
  EXPECT_NE(registry.render().find("signalbox_memory_trims_total 0"), std::string::npos);

  // Quiet since that check: the next one trims.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto quiet = trimmer.check();
  EXPECT_FALSE(quiet.busy);
  EXPECT_TRUE(quiet.trimmed);
  EXPECT_GE(quiet.returned_bytes, static_cast<std::int64_t>(32 * kMiB));
}

TEST(MemoryTrimThread, ChecksOnItsOwnThreadAndReportsATrim) {
  metrics::Registry registry;
  std::promise<MemoryTrimmer::Outcome> trimmed;
  auto reported = trimmed.get_future();
  bool first = true;
  auto live = allocate(64 * kMiB);
  MemoryTrimThread thread({0.05, 16 * kMiB, 0.5}, registry, [&](const MemoryTrimmer::Outcome& out) {
    if (std::exchange(first, false)) trimmed.set_value(out);
  });
  // The thread measured its baseline with the burst's memory in use; most of it is freed now.
  auto kept = thin(std::move(live));
  ASSERT_EQ(reported.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  const auto out = reported.get();
  EXPECT_TRUE(out.trimmed);
  EXPECT_GE(out.returned_bytes, static_cast<std::int64_t>(16 * kMiB));
}

}  // namespace
}  // namespace sb::server
