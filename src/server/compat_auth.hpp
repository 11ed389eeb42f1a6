// Ayame registers decided by the auth webhook (docs/compatibility.md, "Auth"): the Ayame session's Authn on
// a server with `--auth webhook`, asking the server's webhook (net::AccessControl's client, its timeout, its
// in-flight bound, its per-IP failure accounting) with Ayame's request and reading Ayame's answer
// (auth/ayame_webhook.hpp).
#pragma once

#include <memory>

#include "net/access_control.hpp"
#include "signaling/ayame/session.hpp"

namespace sb::server {

// One per Ayame connection; `upgrade.io` runs the webhook's call.
std::unique_ptr<signaling::ayame::Authn> make_ayame_authn(std::shared_ptr<net::AccessControl> access,
                                                          const net::WsUpgrade& upgrade);

}  // namespace sb::server
