// Framing on stream transports (RFC 8489 §6.2.2 over TCP/TLS; RFC 8656 §12.5 ChannelData) and telling
// STUN from ChannelData by the first byte (RFC 7983 §7; 0x00-0x3F STUN, 0x40-0x4F ChannelData).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace sb::stun {

enum class FrameKind : std::uint8_t {
  kNeedMore,     // not enough bytes yet to know the frame's length, or to hold the whole frame
  kStun,         // a STUN message of `size` bytes (header + length field)
  kChannelData,  // a ChannelData message; `size` includes the padding to 4 that streams carry
  kInvalid,      // neither: a stream peer that sends this must be disconnected
};

struct Frame {
  FrameKind kind = FrameKind::kNeedMore;
  std::size_t size = 0;  // bytes to consume once kind is kStun or kChannelData and buffered >= size
};

// Looks at the start of a stream buffer. kNeedMore until `buffered` holds the whole frame; kInvalid when
// the first byte is neither STUN nor ChannelData, a STUN length is not a multiple of 4, or the frame
// would exceed `max_frame` (a configured limit).
Frame next_stream_frame(std::span<const std::uint8_t> buffered, std::size_t max_frame);

// ChannelData header (RFC 8656 §12.4): channel number 0x4000-0x4FFF, 16-bit length, then data.
inline constexpr std::size_t kChannelDataHeaderSize = 4;
inline bool is_channel_data_byte(std::uint8_t first) { return first >= 0x40 && first <= 0x4F; }

}  // namespace sb::stun
