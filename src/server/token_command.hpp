// `signalbox token ...`: mints a join token with a configured HS256 secret (docs/auth.md), as
// `livekit-cli create-token` does, so that an operator can hand out a link at once.
#pragma once

#include <ostream>

namespace sb::server {

// argv[0] is "token". Every server option (--jwt-secret, --config, --jwt-audience, ... and their environment
// variables) is read as the server reads it. Prints the token, or with --link BASE the page link, on `out`.
// Returns the exit code: 0, or 2 for bad options.
int run_token_command(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace sb::server
