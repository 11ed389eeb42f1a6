// The connectivity doctor inside `signalbox` (docs/doctor.md), unless --no-doctor: the page at /doctor/
// (web/doctor/, embedded like the call page; /doctor redirects there), GET /doctor/config, POST
// /doctor/report (with --doctor-reports), GET /admin/doctor/reports and the signalbox_doctor_* metrics.
// See doctor_endpoints.hpp for what each endpoint does.
//
//   sb::server::App app(config);
//   const bool stun_in_turn = add_turn(app);  // calls doctor_use_turn() while it binds
//   add_stun(app, stun_in_turn);
//   add_doctor(app);
#pragma once

#include "server/app.hpp"
#include "server/turn_setup.hpp"

namespace sb::server {

void add_doctor(App& app);

// Called by the TURN wiring once it is bound: the doctor's credentials then come from its TURN REST
// minter with --doctor-credential-ttl, and relay-to-relay is read from its peer policy.
void doctor_use_turn(App& app, const TurnSetup& setup);

}  // namespace sb::server
