// The session's only view of its transport. src/net implements it on a WebSocket; tests use a fake.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

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
}  // namespace close_code

class PeerLink {
 public:
  virtual ~PeerLink() = default;
  // Queues one text frame. Thread-safe: routers call it from other sessions' threads. Frames are shared
  // so a broadcast serializes once.
  virtual void send(std::shared_ptr<const std::string> frame) = 0;
  // Sends a close frame after the frames already queued. Thread-safe.
  virtual void close(std::uint16_t code, std::string reason) = 0;
};

}  // namespace sb::signaling
