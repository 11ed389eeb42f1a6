// Latency histogram with 1 µs buckets up to 1 s (anything slower lands in the last bucket). One per
// worker thread; merged by the controller after the threads have stopped.
#pragma once

#include <cstdint>
#include <vector>

namespace sb::bench {

class Histogram {
 public:
  static constexpr std::size_t kBuckets = 1'000'000;
  Histogram() : counts_(kBuckets, 0) {}

  void add_ns(std::uint64_t ns) {
    std::uint64_t us = ns / 1000;
    ++counts_[us < kBuckets ? us : kBuckets - 1];
    ++total_;
  }
  void merge(const Histogram& o) {
    for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
  }
  std::uint64_t total() const { return total_; }
  // The smallest latency in µs with at least fraction `q` of samples at or below it; 0 when empty.
  double quantile_us(double q) const {
    if (total_ == 0) return 0;
    const auto want = static_cast<std::uint64_t>(q * static_cast<double>(total_) + 0.5);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= want && seen > 0) return static_cast<double>(i) + 0.5;
    }
    return static_cast<double>(kBuckets);
  }

 private:
  std::vector<std::uint32_t> counts_;
  std::uint64_t total_ = 0;
};

}  // namespace sb::bench
