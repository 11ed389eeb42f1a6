// ChannelData messages (RFC 8656 §12.4, §12.5) and a de-framer for stream transports.
//
//   0                   1                   2                   3
//   |         Channel Number        |            Length             |
//   |                       Application Data  ...                   |
//
// Over UDP a ChannelData message is one datagram and may carry trailing bytes after Length (ignored).
// Over TCP/TLS it is padded to a multiple of 4 bytes (RFC 8656 §12.5); the padding is not counted in
// Length. None of these functions allocate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "stun/framing.hpp"

namespace sb::turn {

inline constexpr std::uint16_t kMinChannel = 0x4000;  // RFC 8656 §12
inline constexpr std::uint16_t kMaxChannel = 0x4FFF;  // 0x5000-0x7FFF are reserved
constexpr bool is_valid_channel(std::uint16_t n) { return n >= kMinChannel && n <= kMaxChannel; }

// [extension for interop, added with the relay front end] RFC 5766 §11 allowed channels 0x4000-0x7FFF;
// RFC 8656 §12 narrowed them to 0x4000-0x4FFF. Older clients, coturn's turnutils_uclient among them (it
// binds e.g. 0x6D80), still use the old range, so TurnConfig::rfc5766_channels lets the server accept it.
inline constexpr std::uint16_t kMaxChannelRfc5766 = 0x7FFF;
constexpr bool is_valid_channel(std::uint16_t n, bool rfc5766) {
  return n >= kMinChannel && n <= (rfc5766 ? kMaxChannelRfc5766 : kMaxChannel);
}
constexpr bool is_channel_data_first_byte(std::uint8_t b, bool rfc5766) {
  return b >= 0x40 && b <= (rfc5766 ? 0x7F : 0x4F);
}

struct ChannelDataView {
  std::uint16_t channel = 0;
  std::span<const std::uint8_t> data;  // points into the parsed bytes
};

// Parses one ChannelData message at the start of `bytes`. nullopt when shorter than the header, the
// channel is outside 0x4000-0x4FFF, or Length runs past the end. Extra bytes after the data (UDP
// trailing bytes or stream padding) are allowed and ignored.
std::optional<ChannelDataView> parse_channel_data(std::span<const std::uint8_t> bytes, bool rfc5766 = false);

// Bytes a ChannelData message with `data_size` bytes of data occupies; `pad` = stream transport.
constexpr std::size_t channel_data_size(std::size_t data_size, bool pad) {
  const std::size_t n = stun::kChannelDataHeaderSize + data_size;
  return pad ? (n + 3) & ~std::size_t{3} : n;
}

// Writes header, data and (when `pad`) zero padding into `out`. Returns the bytes written, 0 when `out`
// is too small or data is over 65535 bytes. `data` may not overlap `out` (see write_channel_data_header
// for in-place framing).
std::size_t write_channel_data(std::uint16_t channel, std::span<const std::uint8_t> data, bool pad,
                               std::span<std::uint8_t> out);

// In-place framing: the 4 header bytes are written just before `data_offset` in `buffer`, and padding
// after the data. Returns the framed message as a span of `buffer`, empty when it does not fit.
std::span<const std::uint8_t> frame_channel_data_in_place(std::uint16_t channel, std::span<std::uint8_t> buffer,
                                                          std::size_t data_offset, std::size_t data_size,
                                                          bool pad);

// Splits a TCP/TLS byte stream into STUN messages and ChannelData messages (RFC 8489 §6.2.2,
// RFC 8656 §12.5). One per connection; owns a fixed buffer of 2 * max_frame bytes allocated once.
// The network side reads straight into write_space(), commit()s, then calls next() until kNeedMore:
//
//   auto space = d.write_space();  n = read(fd, space.data(), space.size());  d.commit(n);
//   while (true) { auto f = d.next(); if (f.kind == kNeedMore) break; if (f.kind == kInvalid) close; ...
//                  core.on_client_packet(tuple, f.bytes, ...); }
//
// Spans from next() stay valid until the next write_space()/commit() (which may move buffered bytes).
class StreamDeframer {
 public:
  // `rfc5766`: also accept ChannelData with channel numbers 0x5000-0x7FFF (see is_valid_channel).
  explicit StreamDeframer(std::size_t max_frame, bool rfc5766 = false);

  struct Frame {
    stun::FrameKind kind = stun::FrameKind::kNeedMore;
    std::span<const std::uint8_t> bytes;  // the whole frame incl. ChannelData padding
  };

  std::span<std::uint8_t> write_space();  // never empty unless a frame is kInvalid (buffer is 2x max)
  void commit(std::size_t n);
  Frame next();
  std::size_t buffered() const { return end_ - begin_; }

 private:
  std::size_t max_frame_;
  std::vector<std::uint8_t> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool invalid_ = false;
  bool rfc5766_ = false;
};

}  // namespace sb::turn
