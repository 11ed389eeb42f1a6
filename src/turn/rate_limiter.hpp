// Rate limit for 401 answers per source IP (issue: "Rate-limit 401 answers per source. No per-source
// state before authentication"). A fixed table of token buckets indexed by a keyed hash of the source
// IP: memory is bounded by the table size whatever the number of sources, and sources that collide
// share a bucket (harmless: it only makes the limit stricter for them). Per shard, single-threaded.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "turn/types.hpp"

namespace sb::turn {

class UnauthorizedLimiter {
 public:
  // `buckets` is rounded up to a power of two. rate <= 0 disables limiting.
  UnauthorizedLimiter(double rate_per_s, std::uint32_t burst, std::uint32_t buckets);
  // True when a 401 may be sent to `source` now (and takes a token).
  bool allow(const TransportAddress& source, util::TimePoint now);

 private:
  struct Bucket {
    float tokens = 0;
    std::uint32_t last_ms = 0;  // ms since the limiter's epoch, wraps after 49 days (handled)
    bool used = false;
  };
  double rate_;
  double burst_;
  std::vector<Bucket> table_;
  std::uint64_t mask_;
  std::array<std::uint64_t, 2> key_{};  // random hash key so sources cannot aim at one bucket
  util::TimePoint epoch_{};
  bool epoch_set_ = false;
};

}  // namespace sb::turn
