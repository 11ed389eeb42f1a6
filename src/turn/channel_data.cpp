#include "turn/channel_data.hpp"

#include <cstring>

#include "stun/message.hpp"

namespace sb::turn {

std::optional<ChannelDataView> parse_channel_data(std::span<const std::uint8_t> bytes, bool rfc5766) {
  if (bytes.size() < stun::kChannelDataHeaderSize) return std::nullopt;
  const std::uint16_t channel = stun::load_u16(bytes.data());
  const std::size_t length = stun::load_u16(bytes.data() + 2);
  if (!is_valid_channel(channel, rfc5766)) return std::nullopt;
  if (length > bytes.size() - stun::kChannelDataHeaderSize) return std::nullopt;
  return ChannelDataView{channel, bytes.subspan(stun::kChannelDataHeaderSize, length)};
}

std::size_t write_channel_data(std::uint16_t channel, std::span<const std::uint8_t> data, bool pad,
                               std::span<std::uint8_t> out) {
  const std::size_t total = channel_data_size(data.size(), pad);
  if (data.size() > 0xFFFF || out.size() < total) return 0;
  stun::store_u16(out.data(), channel);
  stun::store_u16(out.data() + 2, static_cast<std::uint16_t>(data.size()));
  if (!data.empty()) std::memcpy(out.data() + stun::kChannelDataHeaderSize, data.data(), data.size());
  const std::size_t used = stun::kChannelDataHeaderSize + data.size();
  if (total > used) std::memset(out.data() + used, 0, total - used);
  return total;
}

std::span<const std::uint8_t> frame_channel_data_in_place(std::uint16_t channel, std::span<std::uint8_t> buffer,
                                                          std::size_t data_offset, std::size_t data_size,
                                                          bool pad) {
  if (data_offset < stun::kChannelDataHeaderSize || data_size > 0xFFFF) return {};
  const std::size_t start = data_offset - stun::kChannelDataHeaderSize;
  const std::size_t total = channel_data_size(data_size, pad);
  if (start + total > buffer.size()) return {};
  stun::store_u16(buffer.data() + start, channel);
  stun::store_u16(buffer.data() + start + 2, static_cast<std::uint16_t>(data_size));
  const std::size_t end = data_offset + data_size;
  if (start + total > end) std::memset(buffer.data() + end, 0, start + total - end);
  return buffer.subspan(start, total);
}

StreamDeframer::StreamDeframer(std::size_t max_frame, bool rfc5766)
    : max_frame_(max_frame), buffer_(2 * max_frame), rfc5766_(rfc5766) {}

namespace {

// RFC 5766 channels 0x5000-0x7FFF over a stream: framed like any ChannelData (RFC 8656 §12.5 padding).
stun::Frame legacy_channel_frame(std::span<const std::uint8_t> buffered, std::size_t max_frame) {
  if (buffered.size() < stun::kChannelDataHeaderSize) return {};
  const std::size_t length = stun::load_u16(buffered.data() + 2);
  const std::size_t size = stun::kChannelDataHeaderSize + ((length + 3) & ~std::size_t{3});
  if (size > max_frame) return {stun::FrameKind::kInvalid, 0};
  if (buffered.size() < size) return {stun::FrameKind::kNeedMore, size};
  return {stun::FrameKind::kChannelData, size};
}

}  // namespace

std::span<std::uint8_t> StreamDeframer::write_space() {
  if (invalid_) return {};
  // Move the unconsumed tail to the front once it no longer leaves room for a whole frame.
  if (begin_ > 0 && buffer_.size() - end_ < max_frame_) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  return std::span<std::uint8_t>(buffer_).subspan(end_);
}

void StreamDeframer::commit(std::size_t n) { end_ = std::min(end_ + n, buffer_.size()); }

StreamDeframer::Frame StreamDeframer::next() {
  if (invalid_) return {stun::FrameKind::kInvalid, {}};
  const std::span<const std::uint8_t> pending(buffer_.data() + begin_, end_ - begin_);
  const bool legacy = rfc5766_ && !pending.empty() && pending[0] >= 0x50 && pending[0] <= 0x7F;
  const stun::Frame f = legacy ? legacy_channel_frame(pending, max_frame_) : stun::next_stream_frame(pending, max_frame_);
  if (f.kind == stun::FrameKind::kInvalid) {
    invalid_ = true;
    return {stun::FrameKind::kInvalid, {}};
  }
  if (f.kind == stun::FrameKind::kNeedMore) {
    if (begin_ == end_) begin_ = end_ = 0;
    return {};
  }
  begin_ += f.size;
  return {f.kind, pending.first(f.size)};
}

}  // namespace sb::turn
