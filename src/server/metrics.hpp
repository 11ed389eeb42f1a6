// A small metrics registry rendering the Prometheus text exposition format (version 0.0.4).
// Services register a renderer at start-up (signaling here; STUN and TURN add theirs the same way):
//
//   app.metrics().add("turn", [counters](PromWriter& w) {
//     w.counter("signalbox_turn_allocations_total", "TURN allocations created", counters->allocations);
//   });
//
// Registration happens before serving; render() may run concurrently from any I/O thread.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/metrics.hpp"

namespace sb::server {

// Appends metric families to a string. Each family is written once: HELP, TYPE, then its samples.
class PromWriter {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;

  void gauge(std::string_view name, std::string_view help, double value);
  void counter(std::string_view name, std::string_view help, double value);
  // A family with one sample per label set.
  void family(std::string_view name, std::string_view type, std::string_view help,
              const std::vector<std::pair<Labels, double>>& samples);

  const std::string& text() const { return out_; }

 private:
  void header(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const Labels& labels, double value);
  std::string out_;
};

using metrics::escape_label_value;
using metrics::format_value;

class MetricsRegistry {
 public:
  using Renderer = std::function<void(PromWriter&)>;
  // `section` only orders the output (by registration) and names the source in logs.
  void add(std::string section, Renderer renderer);
  // The typed registry (util/metrics.hpp): new metrics go there; render() appends it after the renderers.
  metrics::Registry& registry() { return registry_; }
  std::string render() const;

 private:
  metrics::Registry registry_;
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, Renderer>> renderers_;  // guarded by mu_
};

}  // namespace sb::server
