// A protocol session's view of its own connection. src/net implements it on a WebSocket; tests use a fake.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "signaling/protocol.hpp"

namespace sb::signaling {

// WebSocket close codes the signaling layer uses (RFC 6455 §7.4.1, plus the 4000 range for ours).
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;      // server shutting down
inline constexpr std::uint16_t policy_violation = 1008;  // sustained rate-limit abuse
inline constexpr std::uint16_t too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
inline constexpr std::uint16_t try_again_later = 1013;  // connection limit reached
inline constexpr std::uint16_t send_queue_overflow = 4000;
inline constexpr std::uint16_t session_taken_over = 4002;  // a `resume` on another connection took the session
inline constexpr std::uint16_t access_denied = 4003;  // access control refused the join (docs/auth.md)
}  // namespace close_code

// Called only on the connection's own executor, from inside the session's handlers (on_text, on_event,
// on_closed): the frame is queued at once, behind everything queued before it. Other members never reach a
// connection through this; they go through the router, which delivers events (events.hpp).
class PeerLink {
 public:
  virtual ~PeerLink() = default;
  // Queues one text frame. Shared, so a relayed frame is written as it arrived, without a copy.
  virtual void send(std::shared_ptr<const std::string> frame) = 0;
  // Queues `frame` (a JSON object) with `"seq":seq` as its first member (SeqPrefix). A link that can write the
  // prefix and the shared frame as one message overrides this; the default copies.
  virtual void send_numbered(std::shared_ptr<const std::string> frame, std::uint64_t seq) {
    send(std::make_shared<const std::string>(with_seq(*frame, seq)));
  }
  // Sends a close frame after the frames already queued.
  virtual void close(std::uint16_t code, std::string reason) = 0;
};

}  // namespace sb::signaling
