// Adds the TURN relay to `signalbox` (unless --no-turn): binds the shared STUN/TURN ports with one
// front end (net::TurnService: UDP, TCP and TLS on --stun-listen / --stun-tls-listen), whose workers
// register the signalbox_turn_* metrics in app.metrics(), the admin route /admin/turn/allocations (loopback / --admin-allow only), and
// the iceServers entry with per-peer TURN REST credentials.
//
// Because TURN and STUN share their ports (RFC 8656 §3.1), the front end also answers STUN Binding (one
// stun::BindingService per worker), and prints `listening stun-udp|stun-tcp|stun-tls` lines for its
// sockets. add_turn() returns true in that case: add_stun() must then NOT start the front end a second
// time with TURN off (it would share the ports through SO_REUSEPORT and split the traffic).
#pragma once

#include "server/app.hpp"

namespace sb::server {

bool add_turn(App& app);

}  // namespace sb::server
