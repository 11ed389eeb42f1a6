// The TURN data path's UDP batchers (net/turn_udp.hpp) over two loopback sockets on ports of the kernel's
// choice: what recvmmsg hands back (bytes, sender, headroom, truncation, batches of kBatch) and what
// sendmmsg puts on the wire (head + body as one datagram, order, flush when full, drops counted).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <future>
#include <stdexcept>
#include <vector>

#include "net/socket_address.hpp"
#include "net/turn_udp.hpp"

namespace sb::net {
namespace {

using Bytes = std::vector<std::uint8_t>;

// A UDP socket bound to 127.0.0.1 on a port of the kernel's choice; closed on destruction.
class LoopbackUdp {
 public:
  LoopbackUdp() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_storage ss{};
    const socklen_t len = to_sockaddr(stun::TransportAddress::v4(0x7F000001, 0), ss);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) throw std::runtime_error("bind failed");
    socklen_t got = sizeof ss;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &got);
    address_ = from_sockaddr(ss);
  }
  ~LoopbackUdp() { ::close(fd_); }
  LoopbackUdp(const LoopbackUdp&) = delete;
  LoopbackUdp& operator=(const LoopbackUdp&) = delete;
  int fd() const { return fd_; }
  const stun::TransportAddress& address() const { return address_; }

  void send_to(const stun::TransportAddress& to, const Bytes& bytes) const {
    sockaddr_storage ss{};
    const socklen_t len = to_sockaddr(to, ss);
    ASSERT_EQ(::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&ss), len),
              static_cast<ssize_t>(bytes.size()));
  }
  // The next datagram, or empty after 2 s without one.
  Bytes receive() const {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 2000) != 1) return {};
    Bytes b(4096);
    const ssize_t n = ::recv(fd_, b.data(), b.size(), 0);
    b.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return b;
  }
  bool readable(int timeout_ms) const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, timeout_ms) == 1;
  }

 private:
  int fd_ = -1;
  stun::TransportAddress address_;
};

Bytes datagram(std::size_t i, std::size_t size) {
  Bytes b(size);
  for (std::size_t k = 0; k < size; ++k) b[k] = static_cast<std::uint8_t>(i * 7 + k);
  return b;
}

// Receives until `want` datagrams were seen (or 2 s pass without one); the sizes of each receive() batch.
std::vector<std::size_t> receive_all(RecvBatch& batch, const LoopbackUdp& on, std::size_t want,
                                     std::vector<Bytes>& got, std::vector<stun::TransportAddress>& from) {
  std::vector<std::size_t> batches;
  while (got.size() < want && on.readable(2000)) {
    const std::size_t n = batch.receive(on.fd());
    batches.push_back(n);
    for (std::size_t i = 0; i < n; ++i) {
      const Datagram d = batch.at(i);
      got.emplace_back(d.bytes.begin(), d.bytes.end());
      from.push_back(d.from);
    }
  }
  return batches;
}

TEST(RecvBatch, ReceivesUpToABatchPerCallWithBytesAndSender) {
  LoopbackUdp rx, tx;
  constexpr std::size_t kCount = RecvBatch::kBatch + 8;
  for (std::size_t i = 0; i < kCount; ++i) tx.send_to(rx.address(), datagram(i, 1 + i * 13));
  RecvBatch batch;
  std::vector<Bytes> got;
  std::vector<stun::TransportAddress> from;
  const auto batches = receive_all(batch, rx, kCount, got, from);
  ASSERT_EQ(got.size(), kCount);
  for (std::size_t n : batches) EXPECT_LE(n, RecvBatch::kBatch);
  for (std::size_t i = 0; i < kCount; ++i) {
    EXPECT_EQ(got[i], datagram(i, 1 + i * 13)) << i;
    EXPECT_EQ(from[i], tx.address()) << i;
  }
  EXPECT_EQ(batch.receive(rx.fd()), 0u) << "nothing left: 0, without blocking";
}

// STUN alone blocks in recvmmsg (TurnWorker::run_blocking_udp): the waiting receive sleeps until a datagram
// comes and then takes the rest that is there; stop() wakes it with a shutdown of the socket.
TEST(RecvBatch, AWaitingReceiveSleepsUntilADatagramAndAShutdownWakesIt) {
  LoopbackUdp rx, tx;
  RecvBatch batch;
  auto first = std::async(std::launch::async, [&] { return batch.receive(rx.fd(), true); });
  EXPECT_EQ(first.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout) << "it waits";
  tx.send_to(rx.address(), datagram(1, 20));
  ASSERT_EQ(first.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  ASSERT_EQ(first.get(), 1u);
  EXPECT_EQ(Bytes(batch.at(0).bytes.begin(), batch.at(0).bytes.end()), datagram(1, 20));

  for (std::size_t i = 0; i < 3; ++i) tx.send_to(rx.address(), datagram(i, 30));
  ASSERT_TRUE(rx.readable(2000));
  EXPECT_EQ(batch.receive(rx.fd(), true), 3u) << "what is queued comes in one call";

  auto last = std::async(std::launch::async, [&] { return batch.receive(rx.fd(), true); });
  EXPECT_EQ(last.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout);
  ::shutdown(rx.fd(), SHUT_RD);
  ASSERT_EQ(last.wait_for(std::chrono::seconds(5)), std::future_status::ready) << "a shutdown wakes it";
  EXPECT_EQ(last.get(), 0u);
}

TEST(RecvBatch, HeadroomLeavesSpaceInFrontAndTailroomShortensWhatFits) {
  LoopbackUdp rx, tx;
  constexpr std::size_t kHead = 36, kTail = 4;
  constexpr std::size_t kFits = RecvBatch::kMaxDatagram - kHead - kTail;
  RecvBatch batch(kHead, kTail);
  EXPECT_EQ(batch.headroom(), kHead);

  tx.send_to(rx.address(), datagram(1, kFits));
  ASSERT_TRUE(rx.readable(2000));
  ASSERT_EQ(batch.receive(rx.fd()), 1u);
  const Datagram first = batch.at(0);
  EXPECT_EQ(Bytes(first.bytes.begin(), first.bytes.end()), datagram(1, kFits));
  EXPECT_FALSE(batch.truncated(0));
  // The datagram starts `headroom` bytes into its buffer: a header can be written in front of it in place.
  EXPECT_EQ(first.bytes.data(), batch.buffer(0).data() + kHead);
  EXPECT_EQ(batch.buffer(0).size(), RecvBatch::kMaxDatagram);

  // One byte more would run into the tailroom: cut, and flagged so.
  tx.send_to(rx.address(), datagram(2, kFits + 1));
  ASSERT_TRUE(rx.readable(2000));
  ASSERT_EQ(batch.receive(rx.fd()), 1u);
  EXPECT_TRUE(batch.truncated(0));
  EXPECT_EQ(batch.at(0).bytes.size(), kFits);
}

TEST(RecvBatch, ADatagramLargerThanTheBufferIsFlaggedTruncated) {
  LoopbackUdp rx, tx;
  tx.send_to(rx.address(), datagram(3, RecvBatch::kMaxDatagram + 100));
  RecvBatch batch;
  ASSERT_TRUE(rx.readable(2000));
  ASSERT_EQ(batch.receive(rx.fd()), 1u);
  EXPECT_TRUE(batch.truncated(0));
  EXPECT_EQ(batch.at(0).bytes.size(), RecvBatch::kMaxDatagram);
}

TEST(SendBatch, HeadAndBodyGoOutAsOneDatagramInOrderAndAFullBatchFlushes) {
  LoopbackUdp rx, tx;
  SendBatch out;
  constexpr std::size_t kCount = SendBatch::kBatch + 5;
  const Bytes head = {0xAA, 0xBB, 0xCC, 0xDD};
  for (std::size_t i = 0; i < kCount; ++i) ASSERT_TRUE(out.push(tx.fd(), rx.address(), head, datagram(i, 10 + i)));
  EXPECT_EQ(out.pending(), 5u) << "the full batch went out when the 33rd datagram was queued";
  out.flush();
  EXPECT_EQ(out.pending(), 0u);
  EXPECT_EQ(out.dropped(), 0u);
  for (std::size_t i = 0; i < kCount; ++i) {
    Bytes want = head;
    const Bytes body = datagram(i, 10 + i);
    want.insert(want.end(), body.begin(), body.end());
    EXPECT_EQ(rx.receive(), want) << i;
  }
}

TEST(SendBatch, PayloadsAreCopiedSoCallersMayReuseTheirBuffers) {
  LoopbackUdp rx, tx;
  SendBatch out;
  Bytes buffer = {1, 2, 3};
  ASSERT_TRUE(out.push(tx.fd(), rx.address(), buffer));
  buffer = {9, 9, 9};
  out.flush();
  EXPECT_EQ(rx.receive(), (Bytes{1, 2, 3}));
}

TEST(SendBatch, AnotherSocketFlushesWhatWasQueuedForTheFirst) {
  LoopbackUdp rx, tx1, tx2;
  SendBatch out;
  ASSERT_TRUE(out.push(tx1.fd(), rx.address(), Bytes{1}));
  ASSERT_TRUE(out.push(tx2.fd(), rx.address(), Bytes{2}));
  EXPECT_EQ(out.pending(), 1u);
  out.flush();
  RecvBatch in;
  std::vector<Bytes> bytes;
  std::vector<stun::TransportAddress> from;
  receive_all(in, rx, 2, bytes, from);
  ASSERT_EQ(bytes.size(), 2u);
  EXPECT_EQ(bytes[0], Bytes{1});
  EXPECT_EQ(from[0], tx1.address());
  EXPECT_EQ(bytes[1], Bytes{2});
  EXPECT_EQ(from[1], tx2.address());
}

TEST(SendBatch, OversizedDatagramsAndRefusedSendsAreDroppedAndCounted) {
  LoopbackUdp rx, tx;
  SendBatch out;
  EXPECT_FALSE(out.push(tx.fd(), rx.address(), datagram(0, SendBatch::kMaxDatagram + 1)));
  EXPECT_EQ(out.dropped(), 1u);
  EXPECT_EQ(out.pending(), 0u);
  // An IPv6 destination on an IPv4 socket: the kernel refuses that one; the datagram after it still goes.
  ASSERT_TRUE(out.push(tx.fd(), *stun::TransportAddress::parse("[::1]:9"), Bytes{7}));
  ASSERT_TRUE(out.push(tx.fd(), rx.address(), Bytes{8}));
  out.flush();
  EXPECT_EQ(out.dropped(), 2u);
  EXPECT_EQ(rx.receive(), Bytes{8});
}

}  // namespace
}  // namespace sb::net
