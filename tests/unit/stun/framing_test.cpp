#include <gtest/gtest.h>

#include <vector>

#include "stun/attr_text.hpp"
#include "stun/framing.hpp"
#include "stun/message.hpp"

namespace sb::stun {
namespace {

TEST(StreamFraming, StunFramesByLengthField) {
  Message m(kBindingRequest, TransactionId{});
  m.add(Software{"abc"});
  std::vector<std::uint8_t> stream(m.bytes().begin(), m.bytes().end());
  const std::size_t one = stream.size();
  stream.insert(stream.end(), m.bytes().begin(), m.bytes().end());
  Frame f = next_stream_frame(stream, 1500);
  EXPECT_EQ(f.kind, FrameKind::kStun);
  EXPECT_EQ(f.size, one);
  f = next_stream_frame(std::span(stream).first(one - 1), 1500);
  EXPECT_EQ(f.kind, FrameKind::kNeedMore);
  EXPECT_EQ(next_stream_frame(std::span(stream).first(3), 1500).kind, FrameKind::kNeedMore);
  EXPECT_EQ(next_stream_frame({}, 1500).kind, FrameKind::kNeedMore);
}

TEST(StreamFraming, ChannelDataIsPaddedOnStreams) {
  const std::vector<std::uint8_t> cd{0x40, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5, 0, 0, 0};
  const Frame f = next_stream_frame(cd, 1500);
  EXPECT_EQ(f.kind, FrameKind::kChannelData);
  EXPECT_EQ(f.size, 12u);
}

TEST(StreamFraming, GarbageAndOversizeAreInvalid) {
  const std::vector<std::uint8_t> http{'G', 'E', 'T', ' '};
  EXPECT_EQ(next_stream_frame(http, 1500).kind, FrameKind::kInvalid);
  const std::vector<std::uint8_t> odd_len{0x00, 0x01, 0x00, 0x05};
  EXPECT_EQ(next_stream_frame(odd_len, 1500).kind, FrameKind::kInvalid);
  const std::vector<std::uint8_t> huge{0x00, 0x01, 0xFF, 0xFC};
  EXPECT_EQ(next_stream_frame(huge, 1500).kind, FrameKind::kInvalid);
}

}  // namespace
}  // namespace sb::stun
