// Runs a program nobody here wrote (coturn's turnutils_stunclient / turnutils_natdiscovery) with a
// deadline: output captured, the child killed by PID when the deadline passes.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace sb::itest {

struct ToolResult {
  int exit_code = -1;      // -1: killed at the deadline or could not start
  bool timed_out = false;
  std::string output;      // stdout and stderr
};

ToolResult run_tool(const std::vector<std::string>& argv, std::chrono::milliseconds deadline);

// A UDP port on `ip` that was free a moment ago (bound to port 0, read, closed).
std::uint16_t free_udp_port(const std::string& ip);

}  // namespace sb::itest
