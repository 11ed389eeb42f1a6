// One TURN-over-TCP connection (net/turn_stream.hpp) over a socketpair, without TLS: frames cut out of what
// the socket delivers however it is split, the per-call frame budget, a framing error or the peer's close
// ending the connection, and the bounded output buffer.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "net/turn_stream.hpp"
#include "stun/message.hpp"
#include "turn/channel_data.hpp"

namespace sb::net {
namespace {

using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kMaxFrame = 1500;
constexpr std::size_t kMaxOutput = 4096;

// A TurnStream on one end of a socketpair; the test is the client on the other end.
struct Pair {
  Pair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) throw std::runtime_error("socketpair failed");
    peer = fds[1];
    turn::FiveTuple tuple;
    tuple.transport = stun::Transport::kTcp;
    stream = std::make_unique<TurnStream>(fds[0], nullptr, tuple, kMaxFrame, kMaxOutput, false);
  }
  ~Pair() {
    stream.reset();
    if (peer >= 0) ::close(peer);
  }
  void write(const Bytes& b) const { ASSERT_EQ(::write(peer, b.data(), b.size()), static_cast<ssize_t>(b.size())); }
  // Reads what the stream has and returns its frames.
  std::vector<Bytes> frames(TurnStream::Status expect = TurnStream::Status::kOpen, std::size_t budget = SIZE_MAX) {
    std::vector<Bytes> out;
    const auto status = stream->on_readable(
        [&](std::span<const std::uint8_t> f) {
          out.emplace_back(f.begin(), f.end());
          return true;
        },
        budget);
    EXPECT_EQ(status, expect);
    return out;
  }
  Bytes read_peer(std::size_t n) const {
    Bytes b(n);
    std::size_t got = 0;
    while (got < n) {
      const ssize_t r = ::recv(peer, b.data() + got, n - got, 0);
      if (r <= 0) break;
      got += static_cast<std::size_t>(r);
    }
    b.resize(got);
    return b;
  }

  int peer = -1;
  std::unique_ptr<TurnStream> stream;
};

Bytes stun_request(std::uint8_t tag) {
  stun::Message m(stun::kBindingRequest, stun::TransactionId::random());
  const std::uint8_t v[3] = {tag, tag, tag};
  m.add_raw(0x8050, v);
  return {m.bytes().begin(), m.bytes().end()};
}

Bytes channel_data(std::uint16_t channel, Bytes payload) {
  std::array<std::uint8_t, 64> buf{};
  const auto n = turn::write_channel_data(channel, payload, true, buf);
  return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)};
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(TurnStream, FramesAreCutOutOfOneWriteAndOutOfSplitWrites) {
  Pair p;
  const Bytes a = stun_request(1), b = channel_data(0x4001, {9, 8, 7}), c = stun_request(2);
  p.write(concat({a, b, c}));
  EXPECT_EQ(p.frames(), (std::vector<Bytes>{a, b, c}));
  // A frame split across writes comes out once it is whole, not before.
  const Bytes d = stun_request(3);
  p.write(Bytes(d.begin(), d.begin() + 7));
  EXPECT_TRUE(p.frames().empty());
  EXPECT_EQ(p.stream->buffered(), 7u);
  p.write(Bytes(d.begin() + 7, d.end()));
  EXPECT_EQ(p.frames(), std::vector<Bytes>{d});
  EXPECT_EQ(p.stream->buffered(), 0u);
}

TEST(TurnStream, TheBudgetBoundsFramesPerCallAndTheRestComesNextCall) {
  Pair p;
  const Bytes a = stun_request(1), b = stun_request(2), c = channel_data(0x4002, {1});
  p.write(concat({a, b, c}));
  EXPECT_EQ(p.frames(TurnStream::Status::kOpen, 2), (std::vector<Bytes>{a, b}));
  EXPECT_TRUE(p.stream->has_more());
  EXPECT_EQ(p.frames(TurnStream::Status::kOpen, 2), std::vector<Bytes>{c});
  EXPECT_FALSE(p.stream->has_more());
}

TEST(TurnStream, AFramingErrorOrARefusedFrameOrThePeersCloseEndTheConnection) {
  {
    Pair p;
    p.write(Bytes(20, 0xFF));  // neither STUN (top bits 00) nor a ChannelData number
    EXPECT_TRUE(p.frames(TurnStream::Status::kClosed).empty());
  }
  {
    Pair p;
    p.write(concat({stun_request(1), stun_request(2)}));
    const auto status = p.stream->on_readable([](std::span<const std::uint8_t>) { return false; });
    EXPECT_EQ(status, TurnStream::Status::kClosed);
  }
  {
    Pair p;
    const Bytes a = stun_request(1);
    p.write(a);
    ::shutdown(p.peer, SHUT_WR);
    EXPECT_EQ(p.frames(TurnStream::Status::kClosed), std::vector<Bytes>{a}) << "what came before the close counts";
  }
}

TEST(TurnStream, AFrameOverTheLimitIsAnError) {
  Pair p;
  // A ChannelData header announcing more than max_frame bytes.
  const std::uint16_t len = kMaxFrame;
  p.write(Bytes{0x40, 0x00, static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len & 0xFF)});
  EXPECT_TRUE(p.frames(TurnStream::Status::kClosed).empty());
}

TEST(TurnStream, OutputIsQueuedUntilWritableAndBoundedByDroppingWhatDoesNotFit) {
  Pair p;
  const Bytes first(3000, 0x11), second(2000, 0x22), third(1000, 0x33);
  p.stream->send(first);
  p.stream->send(second);  // 5000 > 4096 queued: dropped whole
  p.stream->send(third);
  EXPECT_EQ(p.stream->dropped(), 1u);
  EXPECT_TRUE(p.stream->wants_write());
  EXPECT_EQ(p.stream->on_writable(), TurnStream::Status::kOpen);
  EXPECT_FALSE(p.stream->wants_write());
  EXPECT_EQ(p.read_peer(4000), concat({first, third}));
}

}  // namespace
}  // namespace sb::net
