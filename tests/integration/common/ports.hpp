// Ports for tests that must name a port in advance (servers bind port 0 wherever they can: use that first).
//
// A port the kernel hands out for a UDP socket may be taken for TCP (signalbox binds STUN/TURN on UDP and TCP
// on the same port), and any free port may be taken by another test between the pick and the bind. So a
// picked port is free for both, on every address it is meant for, and a server started on picked ports is
// started again on new ones, a bounded number of times, when it exits with "Address already in use".
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/server_process.hpp"

namespace sb::itest {

// `count` distinct ports, each free a moment ago for both UDP and TCP on every address of `ips` (IPv4).
std::vector<std::uint16_t> free_ports(std::size_t count, const std::vector<std::string>& ips = {"127.0.0.1"});
inline std::uint16_t free_port(const std::string& ip = "127.0.0.1") { return free_ports(1, {ip})[0]; }

// Starts the server `make(ports)` describes, `ports` from free_ports(count, ips); when it ends with
// "Address already in use" (another process took a port meanwhile), picks new ports and starts again, up to
// `attempts` times. Throws the last error otherwise.
std::unique_ptr<ServerProcess> start_on_free_ports(std::size_t count, const std::vector<std::string>& ips,
                                                   const std::function<ServerOptions(const std::vector<std::uint16_t>&)>& make,
                                                   int attempts = 5);

// A TCP port on 127.0.0.1 that refuses connections at once: bound, never listening, held for this object's
// life (so no one else takes it meanwhile).
class RefusingPort {
 public:
  RefusingPort();
  ~RefusingPort();
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace sb::itest
