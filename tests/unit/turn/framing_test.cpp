// ChannelData framing (RFC 8656 §12.4, §12.5) and the stream de-framer.
#include <gtest/gtest.h>

#include <vector>

#include "stun/message.hpp"
#include "turn/channel_data.hpp"

namespace sb::turn {
namespace {

TEST(ChannelData, WriteAndParse) {
  const std::vector<std::uint8_t> data = {0xDE, 0xAD, 0xBE, 0xEF, 0x01};
  std::array<std::uint8_t, 16> out{};
  EXPECT_EQ(write_channel_data(0x4001, data, false, out), 9u);
  EXPECT_EQ(out[0], 0x40);
  EXPECT_EQ(out[1], 0x01);
  EXPECT_EQ(out[2], 0x00);
  EXPECT_EQ(out[3], 0x05);
  auto v = parse_channel_data(std::span(out.data(), 9));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->channel, 0x4001);
  EXPECT_EQ(std::vector<std::uint8_t>(v->data.begin(), v->data.end()), data);
  out.fill(0xFF);
  EXPECT_EQ(write_channel_data(0x4001, data, true, out), 12u);
  EXPECT_EQ(out[9], 0);
  EXPECT_EQ(out[11], 0);
  EXPECT_EQ(write_channel_data(0x4001, data, true, std::span(out.data(), 11)), 0u);  // too small
}

TEST(ChannelData, ParseRejectsBadInput) {
  const std::uint8_t short_hdr[] = {0x40, 0x00, 0x00};
  EXPECT_FALSE(parse_channel_data(short_hdr));
  const std::uint8_t reserved[] = {0x50, 0x00, 0x00, 0x00};
  EXPECT_FALSE(parse_channel_data(reserved));
  const std::uint8_t truncated[] = {0x40, 0x00, 0x00, 0x08, 1, 2, 3};
  EXPECT_FALSE(parse_channel_data(truncated));
  const std::uint8_t trailing[] = {0x40, 0x00, 0x00, 0x01, 9, 0, 0, 0};  // UDP may carry padding
  auto v = parse_channel_data(trailing);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->data.size(), 1u);
}

TEST(ChannelData, InPlaceFraming) {
  std::vector<std::uint8_t> buf(32, 0xEE);
  buf[8] = 'a';
  buf[9] = 'b';
  buf[10] = 'c';
  auto f = frame_channel_data_in_place(0x4ABC, buf, 8, 3, true);
  ASSERT_EQ(f.size(), 8u);
  EXPECT_EQ(f.data(), buf.data() + 4);
  EXPECT_EQ(f[0], 0x4A);
  EXPECT_EQ(f[3], 3);
  EXPECT_EQ(f[4], 'a');
  EXPECT_EQ(f[7], 0);
  EXPECT_TRUE(frame_channel_data_in_place(0x4000, buf, 2, 3, false).empty());  // no headroom
}

std::vector<std::uint8_t> stun_bytes() {
  stun::Message m(stun::kBindingRequest, stun::TransactionId::random());
  const std::uint8_t v[5] = {1, 2, 3, 4, 5};
  m.add_raw(0x8050, v);
  return {m.bytes().begin(), m.bytes().end()};
}

TEST(StreamDeframer, SplitsMixedFramesDeliveredByteByByte) {
  std::vector<std::uint8_t> stream = stun_bytes();
  std::array<std::uint8_t, 16> cd{};
  const auto n = write_channel_data(0x4000, std::vector<std::uint8_t>{7, 7, 7}, true, cd);
  stream.insert(stream.end(), cd.begin(), cd.begin() + n);
  const auto second = stun_bytes();
  stream.insert(stream.end(), second.begin(), second.end());

  StreamDeframer d(1024);
  std::vector<std::pair<stun::FrameKind, std::size_t>> frames;
  for (std::uint8_t b : stream) {
    auto space = d.write_space();
    ASSERT_FALSE(space.empty());
    space[0] = b;
    d.commit(1);
    for (auto f = d.next(); f.kind != stun::FrameKind::kNeedMore; f = d.next()) {
      ASSERT_NE(f.kind, stun::FrameKind::kInvalid);
      frames.emplace_back(f.kind, f.bytes.size());
    }
  }
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].first, stun::FrameKind::kStun);
  EXPECT_EQ(frames[0].second, second.size());
  EXPECT_EQ(frames[1].first, stun::FrameKind::kChannelData);
  EXPECT_EQ(frames[1].second, 8u);  // 4 + 3 + 1 padding
  EXPECT_EQ(frames[2].first, stun::FrameKind::kStun);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(StreamDeframer, ManyFramesInOneReadAndCompaction) {
  StreamDeframer d(64);
  std::size_t got = 0;
  for (int round = 0; round < 50; ++round) {
    std::array<std::uint8_t, 16> cd{};
    const auto n = write_channel_data(0x4001, std::vector<std::uint8_t>(5, 1), true, cd);
    auto space = d.write_space();
    ASSERT_GE(space.size(), n);
    std::copy(cd.begin(), cd.begin() + n, space.begin());
    d.commit(n);
    if (round % 3 != 0) continue;  // drain only every third write
    while (d.next().kind == stun::FrameKind::kChannelData) ++got;
  }
  while (d.next().kind == stun::FrameKind::kChannelData) ++got;
  EXPECT_EQ(got, 50u);
}

TEST(StreamDeframer, GarbageAndOversizedFramesAreInvalid) {
  StreamDeframer d(64);
  auto space = d.write_space();
  space[0] = 0xC0;  // neither STUN nor ChannelData
  d.commit(1);
  EXPECT_EQ(d.next().kind, stun::FrameKind::kInvalid);
  EXPECT_TRUE(d.write_space().empty());
  StreamDeframer big(64);
  auto s2 = big.write_space();
  const std::uint8_t hdr[] = {0x40, 0x00, 0x01, 0x00};  // 256 bytes > 64
  std::copy(std::begin(hdr), std::end(hdr), s2.begin());
  big.commit(4);
  EXPECT_EQ(big.next().kind, stun::FrameKind::kInvalid);
}

}  // namespace
}  // namespace sb::turn
