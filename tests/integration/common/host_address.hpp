// This host's own non-loopback address, for servers whose TURN relay address must not be loopback (the
// relay tests run with the default peer policy, issue 10). On the dev machine that is 192.0.2.2 / fd00::2.
#pragma once

#include <string>

namespace sb::itest {

// The first IPv4 (or, with `v6`, global or unique-local IPv6) address of an interface that is not loopback.
// Throws std::runtime_error when there is none: the tests that need one fail, they never skip.
std::string host_address(bool v6 = false);

}  // namespace sb::itest
