// signalbox: signaling (HTTP + WebSocket), and the services App wires next to it.
#include <csignal>
#include <iostream>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "server/app.hpp"
#include "server/config.hpp"
#include "server/doctor_app.hpp"
#include "server/stun_app.hpp"
#include "server/turn_app.hpp"

int main(int argc, char** argv) {
  auto loaded = sb::server::load_config(argc, argv);
  if (loaded.exit_now) {
    std::cout << loaded.output << std::flush;
    return 0;
  }
  if (!loaded.error.empty()) {
    std::cerr << "signalbox: " << loaded.error << (loaded.error.back() == '\n' ? "" : "\n");
    return 2;
  }
  // Logs go to stderr; stdout carries only the machine-readable "listening"/"ready" lines.
  spdlog::set_default_logger(spdlog::stderr_color_mt("signalbox"));
  spdlog::set_level(spdlog::level::from_str(loaded.config.log_level));
  std::signal(SIGPIPE, SIG_IGN);
  try {
    sb::server::App app(loaded.config);
    const bool stun_in_turn = sb::server::add_turn(app);  // TURN, and STUN Binding on its shared ports
    sb::server::add_stun(app, stun_in_turn);  // own STUN listeners only when TURN is off (see stun_app.hpp)
    sb::server::add_doctor(app);              // the connectivity doctor's page and endpoints
    return app.run(std::cout);
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
}
