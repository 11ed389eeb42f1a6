// The PeerJS and Ayame protocols on signalbox's port (docs/compatibility.md): their WebSocket endpoints
// beside /ws, and PeerJS's HTTP API. Each is on only when its path is configured.
#pragma once

#include <memory>

#include "net/access_control.hpp"
#include "net/server_state.hpp"
#include "server/config.hpp"
#include "server/http_routes.hpp"
#include "util/metrics.hpp"

namespace sb::server {

// Call after state.init(): the sessions use the state's router, ICE servers, counters and clock.
// Their metrics go to `registry`. `access` (nullptr: none): with the auth webhook, it decides Ayame's
// registers (the configuration refuses every other combination of access control and these protocols).
void install_compat(const CompatConfig& config, net::ServerState& state, HttpRoutes& routes,
                    metrics::Registry& registry, std::shared_ptr<net::AccessControl> access = nullptr);

}  // namespace sb::server
