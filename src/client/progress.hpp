// Machine-readable progress on stdout, one line each: "event <name> <args...>" (docs/native-client.md).
// Human-readable logs go to stderr (spdlog); tests and scripts parse only these lines.
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <string>

namespace sb::client {

template <class... Args>
void emit(fmt::format_string<Args...> f, Args&&... args) {
  std::string line = "event " + fmt::format(f, std::forward<Args>(args)...);
  for (char& c : line)
    if (c == '\n' || c == '\r') c = ' ';  // one event, one line
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

}  // namespace sb::client
