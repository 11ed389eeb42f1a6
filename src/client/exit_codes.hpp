// Process exit codes of signalbox-client. Stable: scripts and tests branch on them, and
// docs/native-client.md lists them. Never renumber; add new codes at the end.
#pragma once

#include <string_view>

namespace sb::client {

enum class ExitCode : int {
  ok = 0,                  // finished: Ctrl-C / SIGTERM, --exit-after-frames reached, --duration elapsed
  internal_error = 1,      // a GStreamer pipeline error or a bug
  bad_options = 2,         // invalid command line (CLI11 uses 2 as well for parse errors)
  server_unreachable = 3,  // every connect attempt failed, or the server closed the connection
  room_full = 4,           // `error` room-full or server-full in answer to `join`
  ice_failed = 5,          // ICE reached `failed` or did not connect within --ice-timeout
  no_device = 6,           // the camera or microphone named by --video / --audio cannot be opened
  timeout = 7,             // --timeout elapsed before the --exit-after-frames goal was met
  rejected = 8,            // the server answered `join` with another error (e.g. invalid room name)
  doctor_problem = 9,      // --doctor: the verdict is that calls cannot connect from here (severity bad)
};

constexpr std::string_view to_string(ExitCode c) {
  switch (c) {
    case ExitCode::ok: return "ok";
    case ExitCode::internal_error: return "internal-error";
    case ExitCode::bad_options: return "bad-options";
    case ExitCode::server_unreachable: return "server-unreachable";
    case ExitCode::room_full: return "room-full";
    case ExitCode::ice_failed: return "ice-failed";
    case ExitCode::no_device: return "no-device";
    case ExitCode::timeout: return "timeout";
    case ExitCode::rejected: return "rejected";
    case ExitCode::doctor_problem: return "doctor-problem";
  }
  return "unknown";
}

}  // namespace sb::client
