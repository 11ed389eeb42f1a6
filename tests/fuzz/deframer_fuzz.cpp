// libFuzzer target for the TCP/TLS stream deframer (turn::StreamDeframer, RFC 8489 §6.2.2, RFC 8656 §12.5),
// the first code to see a TURN client's bytes on a stream. The input's first byte picks the chunking;
// the rest is the stream. Whatever the chunks, the deframer must yield the same frames as when the stream
// arrives whole, every frame must be well formed and no longer than the limit, and buffered() must
// account for exactly the bytes not yet handed out.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "stun/framing.hpp"
#include "stun/message.hpp"
#include "turn/channel_data.hpp"

namespace {

using sb::stun::FrameKind;
using sb::turn::StreamDeframer;

constexpr std::size_t kMaxFrame = 4096;

struct Frame {
  FrameKind kind;
  std::vector<std::uint8_t> bytes;
  bool operator==(const Frame&) const = default;
};

void check_frame(const StreamDeframer::Frame& f, bool rfc5766) {
  if (f.bytes.size() > kMaxFrame + 3 || f.bytes.size() < 4) __builtin_trap();
  const std::size_t length = sb::stun::load_u16(f.bytes.data() + 2);
  if (f.kind == FrameKind::kStun) {
    if ((f.bytes[0] & 0xC0) != 0 || f.bytes.size() != sb::stun::kHeaderSize + length) __builtin_trap();
  } else {
    const auto cd = sb::turn::parse_channel_data(f.bytes, rfc5766);
    if (!cd || cd->data.size() != length || f.bytes.size() != ((4 + length + 3) & ~std::size_t{3})) __builtin_trap();
  }
}

// Feeds `stream` in chunks of the given sizes (cycled); returns the frames until the first invalid one.
std::vector<Frame> deframe(std::span<const std::uint8_t> stream, std::span<const std::uint8_t> chunks, bool rfc5766,
                           bool& invalid) {
  StreamDeframer d(kMaxFrame, rfc5766);
  std::vector<Frame> out;
  std::size_t pos = 0, handed = 0, c = 0;
  invalid = false;
  while (pos < stream.size() && !invalid) {
    auto space = d.write_space();
    if (space.empty()) __builtin_trap();  // only an invalid frame may leave no room
    std::size_t n = chunks.empty() ? space.size() : 1 + chunks[c++ % chunks.size()] % 97;
    n = std::min({n, space.size(), stream.size() - pos});
    std::copy(stream.begin() + static_cast<long>(pos), stream.begin() + static_cast<long>(pos + n), space.begin());
    d.commit(n);
    pos += n;
    for (auto f = d.next(); f.kind != FrameKind::kNeedMore; f = d.next()) {
      if (f.kind == FrameKind::kInvalid) {
        invalid = true;
        break;
      }
      check_frame(f, rfc5766);
      handed += f.bytes.size();
      out.push_back({f.kind, {f.bytes.begin(), f.bytes.end()}});
    }
    if (!invalid && handed + d.buffered() != pos) __builtin_trap();
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const bool rfc5766 = (data[0] & 0x80) != 0;
  const std::size_t n_chunks = data[0] & 0x0F;
  if (size < 1 + n_chunks) return 0;
  const std::span<const std::uint8_t> chunks(data + 1, n_chunks);
  const std::span<const std::uint8_t> stream(data + 1 + n_chunks, size - 1 - n_chunks);
  bool invalid_whole = false, invalid_chunked = false;
  const auto whole = deframe(stream, {}, rfc5766, invalid_whole);
  const auto chunked = deframe(stream, chunks, rfc5766, invalid_chunked);
  if (whole != chunked || invalid_whole != invalid_chunked) __builtin_trap();
  return 0;
}
