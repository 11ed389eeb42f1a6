// The clock protocol cores are given. Cores never read time themselves: the caller
// passes `now` in, and tests inject a ManualClock.
#pragma once

#include <chrono>
#include <cstdint>

namespace sb::util {

using Duration = std::chrono::steady_clock::duration;
using TimePoint = std::chrono::steady_clock::time_point;

// Seconds as the configuration gives them (a double) → milliseconds.
inline std::chrono::milliseconds seconds_to_ms(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  // Wall-clock seconds since the Unix epoch (TURN REST credential expiry, nonces).
  virtual std::int64_t unix_seconds() const = 0;
};

class SteadyClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
  std::int64_t unix_seconds() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock tests move by hand.
class ManualClock final : public Clock {
 public:
  TimePoint now() const override { return now_; }
  std::int64_t unix_seconds() const override {
    return unix_base_ + std::chrono::duration_cast<std::chrono::seconds>(now_.time_since_epoch()).count();
  }
  void advance(Duration d) { now_ += d; }
  void set_unix_base(std::int64_t s) { unix_base_ = s; }

 private:
  TimePoint now_{};
  std::int64_t unix_base_ = 1'700'000'000;
};

}  // namespace sb::util
