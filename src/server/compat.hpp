// The PeerJS and Ayame protocols on signalbox's port (docs/compatibility.md): their WebSocket endpoints
// beside /ws, and PeerJS's HTTP API. Each is on only when its path is configured.
#pragma once

#include "net/server_state.hpp"
#include "server/config.hpp"
#include "server/http_routes.hpp"
#include "util/metrics.hpp"

namespace sb::server {

// Call after state.init(): the sessions use the state's router, ICE servers, counters and clock.
// Their metrics go to `registry`.
void install_compat(const CompatConfig& config, net::ServerState& state, HttpRoutes& routes,
                    metrics::Registry& registry);

}  // namespace sb::server
