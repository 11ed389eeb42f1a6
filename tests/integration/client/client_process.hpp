// signalbox-client under test: a Process (common/process.hpp) whose stdin the test writes lines to (the data
// channel) and whose stdout carries the "event ..." lines. The binary is the compile definition
// SIGNALBOX_CLIENT_BIN of the test target.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/process.hpp"

namespace sb::itest {

inline ProcessOptions client_process(std::vector<std::string> args) {
  ProcessOptions o;
  o.argv = {SIGNALBOX_CLIENT_BIN};
  o.argv.insert(o.argv.end(), std::make_move_iterator(args.begin()), std::make_move_iterator(args.end()));
  o.stdin_pipe = true;
  return o;
}

}  // namespace sb::itest
