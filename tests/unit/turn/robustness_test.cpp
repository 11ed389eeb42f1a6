// Bad input never crashes the core (run under ASan+UBSan in CI): random bytes, and valid messages with
// random bytes flipped, into every entry point, over UDP and TCP, with a live allocation, permission
// and channel in place. Deterministic: a fixed-seed generator (test input only, not security-relevant).
#include <random>

#include "turn/channel_data.hpp"
#include "turn_harness.hpp"

namespace sb::turn::test {
namespace {

std::vector<std::vector<std::uint8_t>> seeds(Harness& h, TestClient& c) {
  std::vector<std::vector<std::uint8_t>> out;
  auto keep = [&](const stun::Message& m) { out.emplace_back(m.bytes().begin(), m.bytes().end()); };
  for (auto method : {stun::Method::kAllocate, stun::Method::kRefresh, stun::Method::kCreatePermission,
                      stun::Method::kChannelBind}) {
    auto m = Harness::build(method, [](stun::Message& x) {
      x.add(stun::RequestedTransport{}).add(stun::Lifetime{600}).add(stun::ChannelNumber{0x4000});
      x.add(stun::XorPeerAddress{peer_v4(1)}).add(stun::EvenPort{true});
    });
    Harness::sign(m, c);
    keep(m);
  }
  stun::Message send(stun::MessageType{stun::Method::kSend, stun::Class::kIndication}, stun::TransactionId::random());
  const std::uint8_t data[13] = {1, 2, 3};
  send.add(stun::XorPeerAddress{peer_v4(1)}).add(stun::Data{data});
  keep(send);
  std::vector<std::uint8_t> cd(20);
  cd.resize(write_channel_data(0x4000, data, false, cd));
  out.push_back(cd);
  (void)h;
  return out;
}

void fuzz(Transport transport) {
  Harness h;
  h.start();
  TestClient c{udp_tuple(1)};
  c.tuple.transport = transport;
  ASSERT_TRUE(Harness::is_success(h.allocate(c)));
  ASSERT_TRUE(Harness::is_success(h.bind_channel(c, 0x4000, peer_v4(1))));
  const RelayId relay = h.binder.open.begin()->first;
  const auto corpus = seeds(h, c);
  std::mt19937 rng(12345);
  std::vector<std::uint8_t> peer_buf(kPeerHeadroom + 1500 + kPeerTailroom);
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::uint8_t> p;
    if (i % 4 == 0) {
      p.resize(rng() % 200);
      for (auto& b : p) b = static_cast<std::uint8_t>(rng());
      if (!p.empty() && i % 8 == 0) p[0] = static_cast<std::uint8_t>(0x40 + rng() % 16);
    } else {
      p = corpus[rng() % corpus.size()];
      const int flips = 1 + static_cast<int>(rng() % 4);
      for (int f = 0; f < flips; ++f) p[rng() % p.size()] = static_cast<std::uint8_t>(rng());
      if (rng() % 5 == 0) p.resize(rng() % (p.size() + 1));
    }
    const Output o = h.core->on_client_packet(c.tuple, p, h.now(), h.out);
    // Outputs only ever point into the input (to a peer) or the caller's output buffer (to the client).
    if (o.action == Action::kToPeer) {
      ASSERT_GE(o.bytes.data(), p.data());
      ASSERT_LE(o.bytes.data() + o.bytes.size(), p.data() + p.size());
    } else if (o.action == Action::kToClient) {
      ASSERT_EQ(o.bytes.data(), h.out.data());
      ASSERT_LE(o.bytes.size(), h.out.size());
    }
    const std::size_t n = rng() % 1500;
    h.core->on_peer_datagram(relay, peer_v4(static_cast<std::uint8_t>(rng() % 3)), peer_buf, n, h.now().mono);
    if (i % 1000 == 0) {
      h.advance(std::chrono::seconds(30));
      h.core->tick(h.now());
    }
  }
  StreamDeframer d(h.cfg.max_message_size);
  for (int i = 0; i < 20000; ++i) {
    auto space = d.write_space();
    if (space.empty()) break;  // an invalid frame ends the stream, as the connection would
    const std::size_t n = std::min<std::size_t>(space.size(), rng() % 64);
    for (std::size_t k = 0; k < n; ++k) space[k] = static_cast<std::uint8_t>(rng() % 3 == 0 ? 0x40 : rng());
    d.commit(n);
    for (auto f = d.next(); f.kind == stun::FrameKind::kStun || f.kind == stun::FrameKind::kChannelData;
         f = d.next()) {
      h.core->on_client_packet(c.tuple, f.bytes, h.now(), h.out);
    }
  }
}

TEST(TurnRobustness, RandomAndMutatedInputOverUdp) { fuzz(Transport::kUdp); }
TEST(TurnRobustness, RandomAndMutatedInputOverTcp) { fuzz(Transport::kTcp); }

}  // namespace
}  // namespace sb::turn::test
