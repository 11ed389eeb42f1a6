// The relay hot paths allocate nothing on the heap: ChannelData and Send indications from the client,
// peer datagrams to the client as ChannelData and as Data indications. Own executable: sb_counting_new
// replaces the global operator new to count allocations.

#include "counting_new.hpp"
#include "turn/channel_data.hpp"
#include "turn_harness.hpp"

namespace sb::turn::test {
namespace {

TEST(TurnHotPath, RelayingAllocatesNothing) {
  Harness h;
  h.cfg.bandwidth_bytes_per_s = 1'000'000'000;  // exercise the token bucket too
  h.start();
  TestClient c{udp_tuple(1)};
  ASSERT_TRUE(Harness::is_success(h.allocate(c)));
  const auto chan_peer = peer_v4(1), ind_peer = peer_v4(2);
  ASSERT_TRUE(Harness::is_success(h.bind_channel(c, 0x4000, chan_peer)));
  ASSERT_TRUE(Harness::is_success(h.permit(c, ind_peer)));
  const RelayId relay = h.binder.open.begin()->first;

  std::vector<std::uint8_t> payload(1000, 0x5A);
  std::vector<std::uint8_t> frame(1100);
  const auto n = write_channel_data(0x4000, payload, false, frame);
  stun::Message send(stun::MessageType{stun::Method::kSend, stun::Class::kIndication}, stun::TransactionId::random());
  send.add(stun::XorPeerAddress{ind_peer}).add(stun::Data{payload});
  std::vector<std::uint8_t> peer_buf(kPeerHeadroom + payload.size() + kPeerTailroom);
  const Now now = h.now();

  const std::size_t before = sb::test::allocation_count();
  std::size_t ok = 0;
  for (int i = 0; i < 1000; ++i) {
    ok += h.core->on_client_packet(c.tuple, std::span(frame.data(), n), now, h.out).action == Action::kToPeer;
    ok += h.core->on_client_packet(c.tuple, send.bytes(), now, h.out).action == Action::kToPeer;
    ok += h.core->on_peer_datagram(relay, chan_peer, peer_buf, payload.size(), now.mono).action == Action::kToClient;
    ok += h.core->on_peer_datagram(relay, ind_peer, peer_buf, payload.size(), now.mono).action == Action::kToClient;
    // Drops are on the hot path too (floods of unbound channels, unknown peers).
    h.core->on_peer_datagram(relay, peer_v4(99), peer_buf, payload.size(), now.mono);
    h.core->on_client_packet(udp_tuple(77), std::span(frame.data(), n), now, h.out);
  }
  const std::size_t after = sb::test::allocation_count();
  EXPECT_EQ(ok, 4000u);
  EXPECT_EQ(after - before, 0u);
}

// Relay-to-relay between two allocations of the server: the hand-over and the delivery allocate nothing.
TEST(TurnHotPath, RelayToRelayAllocatesNothing) {
  Harness h;
  h.cfg.relayed_ips = {TransportAddress::v4({198, 51, 100, 1}, 0)};
  h.start();
  TestClient a{udp_tuple(1)}, b{udp_tuple(2)};
  auto ra = h.allocate(a);
  auto rb = h.allocate(b);
  ASSERT_TRUE(Harness::is_success(ra) && Harness::is_success(rb));
  ASSERT_TRUE(Harness::is_success(h.bind_channel(a, 0x4000, Harness::relayed(*rb))));
  ASSERT_TRUE(Harness::is_success(h.permit(b, Harness::relayed(*ra))));
  std::vector<std::uint8_t> payload(1000, 0x5A);
  std::vector<std::uint8_t> frame(1100);
  const auto n = write_channel_data(0x4000, payload, false, frame);
  std::vector<std::uint8_t> buf(kPeerHeadroom + payload.size() + kPeerTailroom);
  const Now now = h.now();

  const std::size_t before = sb::test::allocation_count();
  std::size_t ok = 0;
  for (int i = 0; i < 1000; ++i) {
    const Output o = h.core->on_client_packet(a.tuple, std::span(frame.data(), n), now, h.out);
    if (o.action != Action::kToLocalRelay) continue;
    std::copy(o.bytes.begin(), o.bytes.end(), buf.begin() + kPeerHeadroom);
    ok += h.core->on_local_relay_datagram(o.relay, o.relay_port, o.peer, buf, o.bytes.size(), now.mono).action ==
          Action::kToClient;
  }
  EXPECT_EQ(ok, 1000u);
  EXPECT_EQ(sb::test::allocation_count() - before, 0u);
}

}  // namespace
}  // namespace sb::turn::test
