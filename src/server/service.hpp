// A network service that runs inside `signalbox` next to signaling (STUN, TURN, ...). See app.hpp.
#pragma once

#include <string>
#include <vector>

namespace sb::server {

class Service {
 public:
  struct Listening {
    std::string scheme;    // printed as "listening <scheme> <endpoint>", e.g. "stun-udp"
    std::string endpoint;  // the bound HOST:PORT (the real port when configured with 0)
  };
  virtual ~Service() = default;
  virtual std::string name() const = 0;
  // Binds sockets (throws std::exception with a readable message on failure). Called once, before start().
  virtual std::vector<Listening> bind() = 0;
  // Starts serving on the App's io_context. Called once, from the main thread.
  virtual void start() = 0;
  // Stops serving (SIGTERM). Called once, on an io_context thread; must not block.
  virtual void stop() = 0;
};

}  // namespace sb::server
