// signaling::Counters render the documented /metrics families through the registry (issue 12).
#include "signaling/counters.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "signaling/memory_router.hpp"

namespace sb::signaling {
namespace {

TEST(SignalingCounters, ExposeTheDocumentedFamilies) {
  metrics::Registry r;
  Counters counters(r);
  auto router = std::make_shared<MemoryRouter>(RouterLimits{2, 10});
  register_router_gauges(r, router);
  counters.connections.add(2);
  counters.count_relayed(RelayedType::offer);
  counters.count_relayed(RelayedType::candidate);
  counters.count_relayed(RelayedType::candidate);
  counters.count_error(ErrorCode::room_full);
  counters.closed_timeout_total.inc();
  router->join(JoinRequest{"room", {}, 0, true}, std::weak_ptr<Member>());
  const auto text = r.render();
  for (const char* line : {"signalbox_connections 2\n", "signalbox_rooms 1\n", "signalbox_peers 1\n",
                           "signalbox_messages_relayed_total{type=\"offer\"} 1\n",
                           "signalbox_messages_relayed_total{type=\"answer\"} 0\n",
                           "signalbox_messages_relayed_total{type=\"candidate\"} 2\n",
                           "signalbox_errors_total{code=\"room-full\"} 1\n",
                           "signalbox_errors_total{code=\"invalid-json\"} 0\n",
                           "signalbox_closed_total{cause=\"idle-timeout\"} 1\n",
                           "# TYPE signalbox_messages_relayed_total counter\n",
                           "# HELP signalbox_closed_total Connections closed by the server, by cause.\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
}

}  // namespace
}  // namespace sb::signaling
