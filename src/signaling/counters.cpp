#include "signaling/counters.hpp"

namespace sb::signaling {

const char* to_string(RelayedType t) {
  switch (t) {
    case RelayedType::offer: return "offer";
    case RelayedType::answer: return "answer";
    case RelayedType::candidate: return "candidate";
    case RelayedType::other: return "other";
  }
  return "unknown";
}

}  // namespace sb::signaling
