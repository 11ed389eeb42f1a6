// signalbox-client: a native WebRTC peer for signalbox (docs/native-client.md).
#include <gst/gst.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <cstdio>
#include <cstdlib>

#include "client/client.hpp"
#include "client/doctor.hpp"
#include "client/progress.hpp"

int main(int argc, char** argv) {
  using sb::client::ExitCode;
  // stdout carries only "event ..." lines; logs go to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("signalbox-client"));
  if (const char* lvl = std::getenv("SIGNALBOX_CLIENT_LOG")) spdlog::set_level(spdlog::level::from_str(lvl));

  auto parsed = sb::client::parse_command_line(argc, argv);
  if (parsed.exit_now) {
    std::fputs(parsed.output.c_str(), stdout);
    return 0;
  }
  if (!parsed.error.empty()) {
    spdlog::error("bad options: {} (see --help)", parsed.error);
    sb::client::emit("exit {} {}", static_cast<int>(ExitCode::bad_options), to_string(ExitCode::bad_options));
    return static_cast<int>(ExitCode::bad_options);
  }
  if (parsed.options.doctor) return static_cast<int>(sb::client::run_doctor(parsed.options));
  gst_init(nullptr, nullptr);
  ExitCode code = ExitCode::ok;
  {
    boost::asio::io_context io;  // the client's one event loop (see client.hpp)
    sb::client::Client client(io, std::move(parsed.options));
    client.start();
    io.run();
    code = client.exit_code();
  }
  return static_cast<int>(code);
}
