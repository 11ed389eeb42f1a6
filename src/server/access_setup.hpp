// Wiring of access control (docs/auth.md) from the configuration: keys loaded (PEM files read here), the token
// policy, the webhook client, and the server state's hooks.
#pragma once

#include <memory>

#include "net/access_control.hpp"
#include "net/server_state.hpp"
#include "server/config.hpp"

namespace sb::server {

// The access control `config` asks for; null with --auth none. Throws std::runtime_error (a readable
// message) for a key that cannot be loaded or a webhook that cannot be used.
std::shared_ptr<net::AccessControl> make_access_control(const Config& config, std::shared_ptr<const util::Clock> clock,
                                                        metrics::Registry& metrics);

// Sets `state`'s upgrade check, gatekeeper factory and pre-admission limits (call before state.init()).
void install_access_control(net::ServerState& state, std::shared_ptr<net::AccessControl> access,
                            const AuthConfig& config);

}  // namespace sb::server
