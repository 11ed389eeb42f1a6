#include "util/metrics.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace sb::metrics {

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  counts_ = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
}

void Histogram::observe(double v) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);  // first bound >= v: le semantics
  counts_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  std::uint64_t old = sum_bits_.load(std::memory_order_relaxed);
  while (!sum_bits_.compare_exchange_weak(old, std::bit_cast<std::uint64_t>(std::bit_cast<double>(old) + v),
                                          std::memory_order_relaxed)) {
  }
}

double Histogram::sum() const { return std::bit_cast<double>(sum_bits_.load(std::memory_order_relaxed)); }

std::vector<double> latency_buckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

Registry::Family& Registry::family_locked(std::string_view name, std::string_view help, Type type) {
  for (auto& f : families_) {
    if (f.name != name) continue;
    if (f.type != type) throw std::logic_error("metric " + std::string(name) + " registered with two types");
    return f;
  }
  return families_.emplace_back(Family{std::string(name), std::string(help), type, {}});
}

void Registry::add_locked(Family& f, Labels labels, Source source) {
  for (auto& series : f.series) {
    if (series.labels == labels) {
      series.sources.push_back(std::move(source));
      return;
    }
  }
  f.series.push_back(Series{std::move(labels), {}});
  f.series.back().sources.push_back(std::move(source));
}

double Registry::Source::value() const {
  if (fn) return fn();
  if (counter) return static_cast<double>(counter->value());
  if (gauge) return static_cast<double>(gauge->value());
  return 0;
}

Counter& Registry::counter(std::string_view name, std::string_view help, Labels labels) {
  std::lock_guard lock(mu_);
  auto& c = counters_.emplace_back();
  add_locked(family_locked(name, help, Type::counter), std::move(labels), Source{&c, nullptr, nullptr, {}});
  return c;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, Labels labels) {
  std::lock_guard lock(mu_);
  auto& g = gauges_.emplace_back();
  add_locked(family_locked(name, help, Type::gauge), std::move(labels), Source{nullptr, &g, nullptr, {}});
  return g;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help, std::vector<double> upper_bounds,
                               Labels labels) {
  std::lock_guard lock(mu_);
  auto& h = histograms_.emplace_back(std::move(upper_bounds));
  auto& f = family_locked(name, help, Type::histogram);
  for (const auto& s : f.series) {
    if (s.sources.front().histogram->bounds() != h.bounds()) {
      throw std::logic_error("histogram " + std::string(name) + " registered with two sets of buckets");
    }
  }
  add_locked(f, std::move(labels), Source{nullptr, nullptr, &h, {}});
  return h;
}

void Registry::gauge_fn(std::string_view name, std::string_view help, Labels labels, std::function<double()> fn) {
  std::lock_guard lock(mu_);
  add_locked(family_locked(name, help, Type::gauge), std::move(labels), Source{nullptr, nullptr, nullptr, std::move(fn)});
}

void Registry::counter_fn(std::string_view name, std::string_view help, Labels labels,
                          std::function<double()> fn) {
  std::lock_guard lock(mu_);
  add_locked(family_locked(name, help, Type::counter), std::move(labels),
             Source{nullptr, nullptr, nullptr, std::move(fn)});
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.17g", v);
  }
  return buf;
}

namespace {

void append_labels(std::string& out, const Labels& labels, std::string_view extra_key = {},
                   std::string_view extra_value = {}) {
  if (labels.empty() && extra_key.empty()) return;
  out += '{';
  bool first = true;
  auto one = [&](std::string_view k, std::string_view v) {
    if (!first) out += ',';
    first = false;
    out += k;
    out += "=\"";
    out += escape_label_value(v);
    out += '"';
  };
  for (const auto& [k, v] : labels) one(k, v);
  if (!extra_key.empty()) one(extra_key, extra_value);
  out += '}';
}

void append_sample(std::string& out, std::string_view name, const Labels& labels, double value,
                   std::string_view extra_key = {}, std::string_view extra_value = {}) {
  out += name;
  append_labels(out, labels, extra_key, extra_value);
  out += ' ';
  out += format_value(value);
  out += '\n';
}

const char* type_name(int t) { return t == 0 ? "counter" : t == 1 ? "gauge" : "histogram"; }

}  // namespace

void Registry::render_family(std::string& out, const Family& f) {
  out += "# HELP " + f.name + ' ';
  for (char c : f.help) {  // HELP escapes backslash and newline only
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  out += "\n# TYPE " + f.name + ' ' + type_name(static_cast<int>(f.type)) + '\n';
  for (const auto& s : f.series) {
    if (f.type == Type::histogram) {
      render_histogram(out, f, s);
      continue;
    }
    double v = 0;
    for (const auto& source : s.sources) v += source.value();
    append_sample(out, f.name, s.labels, v);
  }
}

void Registry::render_histogram(std::string& out, const Family& f, const Series& s) {
  const auto& bounds = s.sources.front().histogram->bounds();
  std::vector<std::uint64_t> buckets(bounds.size() + 1, 0);
  std::uint64_t count = 0;
  double sum = 0;
  for (const auto& source : s.sources) {
    for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += source.histogram->bucket(i);
    count += source.histogram->count();
    sum += source.histogram->sum();
  }
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    cumulative += buckets[i];
    const std::string le = i < bounds.size() ? format_value(bounds[i]) : "+Inf";
    append_sample(out, f.name + "_bucket", s.labels, static_cast<double>(cumulative), "le", le);
  }
  append_sample(out, f.name + "_sum", s.labels, sum);
  append_sample(out, f.name + "_count", s.labels, static_cast<double>(count));
}

std::string Registry::render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& f : families_) render_family(out, f);
  return out;
}

}  // namespace sb::metrics
