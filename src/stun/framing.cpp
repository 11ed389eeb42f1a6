#include "stun/framing.hpp"

#include "stun/message.hpp"

namespace sb::stun {

Frame next_stream_frame(std::span<const std::uint8_t> buffered, std::size_t max_frame) {
  if (buffered.empty()) return {};
  const std::uint8_t first = buffered[0];
  const bool stun = (first & 0xC0) == 0;
  const bool channel = is_channel_data_byte(first);
  if (!stun && !channel) return {FrameKind::kInvalid, 0};
  if (buffered.size() < 4) return {};
  const std::size_t length = load_u16(buffered.data() + 2);
  std::size_t size = 0;
  if (stun) {
    // RFC 8489 §6.2.2: the length field frames the message; it is always a multiple of 4.
    if (length % 4 != 0) return {FrameKind::kInvalid, 0};
    size = kHeaderSize + length;
  } else {
    // RFC 8656 §12.5: over streams ChannelData is padded to a multiple of 4.
    size = kChannelDataHeaderSize + ((length + 3) & ~std::size_t{3});
  }
  if (size > max_frame) return {FrameKind::kInvalid, 0};
  if (buffered.size() < size) return {FrameKind::kNeedMore, size};
  return {stun ? FrameKind::kStun : FrameKind::kChannelData, size};
}

}  // namespace sb::stun
