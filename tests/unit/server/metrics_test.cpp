#include "server/metrics.hpp"

#include <gtest/gtest.h>

#include "server/signaling_metrics.hpp"
#include "signaling/memory_router.hpp"

namespace sb::server {
namespace {

TEST(PromWriter, GaugeAndCounterFormat) {
  PromWriter w;
  w.gauge("x_open", "Open things.", 3);
  w.counter("x_total", "All things.", 12345678901.0);
  EXPECT_EQ(w.text(),
            "# HELP x_open Open things.\n# TYPE x_open gauge\nx_open 3\n"
            "# HELP x_total All things.\n# TYPE x_total counter\nx_total 12345678901\n");
}

TEST(PromWriter, LabelsAreEscaped) {
  PromWriter w;
  w.family("y_total", "counter", "Help with \\ and\nnewline.", {{{{"k", "a\"b\\c\nd"}}, 1}, {{{"k", "z"}}, 0.5}});
  EXPECT_EQ(w.text(),
            "# HELP y_total Help with \\\\ and\\nnewline.\n# TYPE y_total counter\n"
            "y_total{k=\"a\\\"b\\\\c\\nd\"} 1\ny_total{k=\"z\"} 0.5\n");
}

TEST(MetricsRegistry, RendersInRegistrationOrder) {
  MetricsRegistry r;
  r.add("a", [](PromWriter& w) { w.gauge("a", "A.", 1); });
  r.add("b", [](PromWriter& w) { w.gauge("b", "B.", 2); });
  const auto text = r.render();
  EXPECT_LT(text.find("a 1\n"), text.find("b 2\n"));
}

TEST(SignalingMetrics, ExposesTheDocumentedFamilies) {
  MetricsRegistry r;
  auto counters = std::make_shared<signaling::Counters>();
  auto router = std::make_shared<signaling::MemoryRouter>(signaling::RouterLimits{2, 10});
  register_signaling_metrics(r, counters, router);
  counters->connections = 2;
  counters->count_relayed(signaling::RelayedType::offer);
  counters->count_relayed(signaling::RelayedType::candidate);
  counters->count_relayed(signaling::RelayedType::candidate);
  counters->count_error(signaling::ErrorCode::room_full);
  router->join(signaling::JoinRequest{"room", {}, 0, true}, std::weak_ptr<signaling::Member>());
  const auto text = r.render();
  for (const char* line : {"signalbox_connections 2\n", "signalbox_rooms 1\n", "signalbox_peers 1\n",
                           "signalbox_messages_relayed_total{type=\"offer\"} 1\n",
                           "signalbox_messages_relayed_total{type=\"answer\"} 0\n",
                           "signalbox_messages_relayed_total{type=\"candidate\"} 2\n",
                           "signalbox_errors_total{code=\"room-full\"} 1\n",
                           "signalbox_errors_total{code=\"invalid-json\"} 0\n",
                           "# TYPE signalbox_messages_relayed_total counter\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
}

}  // namespace
}  // namespace sb::server
