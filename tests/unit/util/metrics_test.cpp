#include "util/metrics.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <thread>
#include <vector>

namespace sb::metrics {
namespace {

TEST(Metrics, CounterAndGaugeRender) {
  Registry r;
  auto& c = r.counter("sb_things_total", "Things.");
  auto& g = r.gauge("sb_open", "Open things.");
  c.inc();
  c.inc(4);
  g.add(3);
  g.sub(1);
  EXPECT_EQ(r.render(),
            "# HELP sb_things_total Things.\n# TYPE sb_things_total counter\nsb_things_total 5\n"
            "# HELP sb_open Open things.\n# TYPE sb_open gauge\nsb_open 2\n");
}

TEST(Metrics, ShardsWithEqualLabelsAreSummedAndLabelSetsKeepTheirOrder) {
  Registry r;
  auto& a1 = r.counter("sb_x_total", "X.", {{"dir", "in"}});
  auto& b1 = r.counter("sb_x_total", "X.", {{"dir", "out"}});
  auto& a2 = r.counter("sb_x_total", "X.", {{"dir", "in"}});
  a1.inc_single_writer(2);
  a2.inc_single_writer(3);
  b1.inc();
  EXPECT_EQ(r.render(), "# HELP sb_x_total X.\n# TYPE sb_x_total counter\nsb_x_total{dir=\"in\"} 5\n"
                        "sb_x_total{dir=\"out\"} 1\n");
}

TEST(Metrics, ComputedValuesAndEscapedLabels) {
  Registry r;
  r.gauge_fn("sb_rooms", "Rooms.", {{"node", "a\"b\\c\nd"}}, [] { return 7.0; });
  r.counter_fn("sb_bytes_total", "Bytes.", {}, [] { return 1.5; });
  EXPECT_EQ(r.render(), "# HELP sb_rooms Rooms.\n# TYPE sb_rooms gauge\nsb_rooms{node=\"a\\\"b\\\\c\\nd\"} 7\n"
                        "# HELP sb_bytes_total Bytes.\n# TYPE sb_bytes_total counter\nsb_bytes_total 1.5\n");
}

TEST(Metrics, HistogramIsCumulativeWithLeSemantics) {
  Registry r;
  auto& h = r.histogram("sb_rtt_seconds", "RTT.", {0.01, 0.001, 0.1}, {{"peer", "redis"}});
  h.observe(0.001);   // on a bound: counted in that bucket (le)
  h.observe(0.005);
  h.observe(0.5);     // above every bound: +Inf only
  EXPECT_EQ(h.count(), 3u);
  EXPECT_DOUBLE_EQ(h.sum(), 0.506);
  const std::string text = r.render();
  EXPECT_NE(text.find("# TYPE sb_rtt_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("sb_rtt_seconds_bucket{peer=\"redis\",le=\"0.001\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("sb_rtt_seconds_bucket{peer=\"redis\",le=\"0.01\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("sb_rtt_seconds_bucket{peer=\"redis\",le=\"0.10000000000000001\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("sb_rtt_seconds_bucket{peer=\"redis\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("sb_rtt_seconds_count{peer=\"redis\"} 3\n"), std::string::npos);
}

TEST(Metrics, EnumFamilyOneCounterPerValue) {
  enum class Cause { a, b };
  Registry r;
  auto family = r.counter_family<Cause, 2>("sb_closed_total", "Closed.", "cause",
                                           [](Cause c) { return c == Cause::a ? "a" : "b"; });
  family[1]->inc();
  EXPECT_EQ(r.render(), "# HELP sb_closed_total Closed.\n# TYPE sb_closed_total counter\n"
                        "sb_closed_total{cause=\"a\"} 0\nsb_closed_total{cause=\"b\"} 1\n");
}

TEST(Metrics, EnumFamilyFromAFirstValue) {
  enum class Reason { none, a, b };  // `none` is never counted: no series, no counter
  Registry r;
  auto family = r.counter_family<Reason, 3>(
      "sb_drops_total", "Drops.", "reason", [](Reason c) { return c == Reason::a ? "a" : "b"; }, 1);
  EXPECT_EQ(family[0], nullptr);
  family[2]->inc_single_writer(3);
  EXPECT_EQ(r.render(), "# HELP sb_drops_total Drops.\n# TYPE sb_drops_total counter\n"
                        "sb_drops_total{reason=\"a\"} 0\nsb_drops_total{reason=\"b\"} 3\n");
}

TEST(Metrics, ShardsShareNoCacheLine) {
  Registry r;
  auto& a = r.counter("sb_z_total", "Z.");
  auto& b = r.counter("sb_z_total", "Z.");
  auto& g = r.gauge("sb_g", "G.");
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(&a) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(&b) % 64, 0u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(&g) % 64, 0u);
  EXPECT_EQ(g.add(5), 5);  // add() returns the new value (what a gauge that also bounds a count needs)
}

TEST(Metrics, OneNameOneType) {
  Registry r;
  r.counter("sb_y", "Y.");
  EXPECT_THROW(r.gauge("sb_y", "Y."), std::logic_error);
  r.histogram("sb_h", "H.", {1, 2});
  EXPECT_THROW(r.histogram("sb_h", "H.", {1, 3}), std::logic_error);
}

TEST(Metrics, ConcurrentUpdatesAndRegistrationWhileRendering) {
  Registry r;
  auto& c = r.counter("sb_c_total", "C.");
  auto& h = r.histogram("sb_h_seconds", "H.", latency_buckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        h.observe(0.002);
        if (i % 1000 == 0) r.gauge("sb_g_" + std::to_string(t), "G.");
      }
    });
  }
  for (int i = 0; i < 50; ++i) (void)r.render();
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000u);
  EXPECT_EQ(h.count(), 40000u);
  EXPECT_NEAR(h.sum(), 80.0, 1e-6);
}

}  // namespace
}  // namespace sb::metrics
