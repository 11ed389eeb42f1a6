// The one metrics idiom: every part of signalbox (cores included: this holds no I/O) registers its counters,
// gauges and histograms here by name, keeps the returned reference, and updates it on its hot path. The
// server's /metrics renders the registry in the Prometheus text format (version 0.0.4).
//
//   metrics::Registry& r = ...;                       // owned by the server, outlives every core
//   metrics::Counter& relayed = r.counter("signalbox_turn_packets_total", "Packets relayed.",
//                                         {{"direction", "to-peer"}});
//   relayed.inc();                                     // any thread, lock-free
//
// Registering the same name and labels again (one TURN core per worker thread does) returns a new metric
// whose value is summed with the others at render: shards stay single-writer and share no cache line (each
// Counter and Gauge fills one). A part keeps its handles in a small struct built from the registry beside
// the code that counts (stun::Metrics, turn::Metrics, signaling::Counters); a new metric is one member and
// one registration there, and /metrics renders it with no other edit.
// A name has one type and one help text; registering it with another type throws std::logic_error (a
// programming error caught by the first test that builds the part).
//
// Thread-safety: registration takes a lock and may run at any time; updates are relaxed atomics; render()
// may run concurrently with both. Metric objects live as long as the registry (stable addresses).
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Monotonic count. inc() is a relaxed fetch_add: safe from any number of threads.
class alignas(64) Counter {
 public:
  void inc(std::uint64_t n = 1) { v_.fetch_add(n, std::memory_order_relaxed); }
  // For a counter only one thread ever writes (a TURN shard's): a plain load+store, no locked instruction.
  void inc_single_writer(std::uint64_t n = 1) {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

// A value that goes up and down (open connections, live allocations).
class alignas(64) Gauge {
 public:
  // Returns the value after the change (for a gauge that also bounds what it counts, e.g. connections).
  std::int64_t add(std::int64_t n) { return v_.fetch_add(n, std::memory_order_relaxed) + n; }
  void sub(std::int64_t n) { v_.fetch_sub(n, std::memory_order_relaxed); }
  void set(std::int64_t n) { v_.store(n, std::memory_order_relaxed); }
  std::int64_t value() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> v_{0};
};

// Cumulative histogram with fixed upper bounds (seconds, bytes, ...). observe() is lock-free.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Count of observations <= bounds()[i] (not cumulative; render() accumulates); the last slot is +Inf.
  std::uint64_t bucket(std::size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_bits_{0};  // a double, updated with compare-exchange
};

// Bucket bounds for latencies in seconds: 0.1 ms to 10 s, roughly x2.5 apart.
std::vector<double> latency_buckets();

class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Counter& counter(std::string_view name, std::string_view help, Labels labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, Labels labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> upper_bounds,
                       Labels labels = {});
  // A value computed at render time (a map's size, a sum kept elsewhere). `fn` must be thread-safe and must
  // not call into the registry. Values of one name and label set are summed like shards.
  void gauge_fn(std::string_view name, std::string_view help, Labels labels, std::function<double()> fn);
  void counter_fn(std::string_view name, std::string_view help, Labels labels, std::function<double()> fn);

  // One counter per value of an enum, labelled `label`=to_string(value), registered in enum order. Values
  // below `first` (a "none" that is never counted) get no counter: their slots stay nullptr.
  template <class Enum, std::size_t N, class ToString>
  std::array<Counter*, N> counter_family(std::string_view name, std::string_view help, std::string_view label,
                                         ToString&& to_string, std::size_t first = 0) {
    std::array<Counter*, N> out{};
    for (std::size_t i = first; i < N; ++i) {
      out[i] = &counter(name, help, {{std::string(label), std::string(to_string(static_cast<Enum>(i)))}});
    }
    return out;
  }

  // The Prometheus text exposition of everything registered, families in order of first registration.
  std::string render() const;

 private:
  enum class Type : std::uint8_t { counter, gauge, histogram };
  // One shard's value of a series: exactly one of these is set.
  struct Source {
    const Counter* counter = nullptr;
    const Gauge* gauge = nullptr;
    const Histogram* histogram = nullptr;
    std::function<double()> fn;
    double value() const;
  };
  // One label set and every shard registered with it (summed at render).
  struct Series {
    Labels labels;
    std::vector<Source> sources;
  };
  struct Family {
    std::string name;
    std::string help;
    Type type;
    std::vector<Series> series;  // in order of first registration
  };
  Family& family_locked(std::string_view name, std::string_view help, Type type);
  static void add_locked(Family& f, Labels labels, Source source);
  static void render_family(std::string& out, const Family& f);
  static void render_histogram(std::string& out, const Family& f, const Series& s);

  mutable std::mutex mu_;
  std::deque<Family> families_;        // guarded by mu_
  std::deque<Counter> counters_;       // guarded by mu_ (the deque; the values are atomics)
  std::deque<Gauge> gauges_;           // guarded by mu_
  std::deque<Histogram> histograms_;   // guarded by mu_
};

// Prometheus text format helpers (exposed for tests and for renderers of other formats).
std::string escape_label_value(std::string_view v);
std::string format_value(double v);

}  // namespace sb::metrics
