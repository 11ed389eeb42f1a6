// The relay fast path. Offers, answers and candidates are nearly every frame a signaling server carries, and
// building a JSON tree of each only to write it out again was most of the server's CPU time. For frames in
// the shape every browser sends, this checks the JSON in one pass, without copying, and builds the frame to
// deliver from the sender's own string tokens, with `from` set by the server.
//
// Anything out of the ordinary (a \u escape, non-ASCII text, a duplicate or nested member, a size over a
// limit, invalid JSON) is not judged here: fast_relay returns nullopt and the caller parses the frame with
// parse_client_message, which gives the exact error. So the fast path only ever accepts frames the full
// codec accepts, with the same meaning; the signaling fuzz target checks exactly that.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "signaling/counters.hpp"
#include "signaling/protocol.hpp"

namespace sb::signaling {

struct FastRelay {
  RelayedType type = RelayedType::offer;
  std::string_view to;  // points into the frame given to fast_relay
  std::string frame;    // what `to` receives: {"type":…,"from":<from>,…}
};

// `from` must be a valid peer id (the sender's own, never read from the frame).
std::optional<FastRelay> fast_relay(std::string_view frame, std::string_view from, const Limits& limits);

}  // namespace sb::signaling
