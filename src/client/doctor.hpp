// signalbox-client --doctor (docs/doctor.md): runs the connectivity doctor's checks against the server of
// --server, prints the report (short text, or JSON with --doctor-json) on stdout, sends it to the server
// when the server records reports (unless --doctor-no-send), and exits 0, or 9 (doctor-problem) when the
// verdict is that calls cannot connect from here. Progress goes to stderr.
#pragma once

#include "client/exit_codes.hpp"
#include "client/options.hpp"

namespace sb::client {

ExitCode run_doctor(const ClientOptions& options);

}  // namespace sb::client
