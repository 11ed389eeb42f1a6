// Relay-to-relay between two allocations of one server (issue 10), with the server's own relayed IP in
// the peer policy's own addresses, as signalbox configures it: CreatePermission and ChannelBind accept a
// relayed address of this server (on relay ports), the data path hands the packet to the owning shard
// (Action::kToLocalRelay) instead of sending it to our own address, and every other port of that
// address stays out of reach.
#include "turn/channel_data.hpp"
#include "turn_harness.hpp"

namespace sb::turn::test {
namespace {

using namespace std::chrono_literals;

const std::vector<std::uint8_t> kPayload = {9, 8, 7, 6, 5};

struct RelayToRelay : ::testing::Test {
  Harness h;
  TestClient alice{udp_tuple(1)};
  TestClient bob{udp_tuple(2)};
  TransportAddress ra, rb;  // their relayed addresses
  std::vector<std::uint8_t> sent;
  std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(2048);

  void SetUp() override {
    h.cfg.relayed_ips = {TransportAddress::v4({198, 51, 100, 1}, 0),
                         *TransportAddress::parse("[2001:db8::1]:0")};
    std::string err;
    auto p = DefaultPeerPolicy::from_strings(
        {}, {},
        {*util::parse_ip("198.51.100.1"), *util::parse_ip("2001:db8::1"), *util::parse_ip("198.51.100.7")}, err);
    ASSERT_TRUE(p) << err;
    h.policy = std::make_shared<DefaultPeerPolicy>(std::move(*p));
    h.start();
  }
  void allocate_both(const Attrs& extra = {}) {
    auto a = h.allocate(alice, extra);
    auto b = h.allocate(bob, extra);
    ASSERT_TRUE(Harness::is_success(a) && Harness::is_success(b));
    ra = Harness::relayed(*a);
    rb = Harness::relayed(*b);
  }
  Output send(TestClient& c, const TransportAddress& peer) {
    stun::Message m(stun::MessageType{stun::Method::kSend, stun::Class::kIndication}, stun::TransactionId::random());
    m.add(stun::XorPeerAddress{peer}).add(stun::Data{kPayload});
    sent.assign(m.bytes().begin(), m.bytes().end());
    return h.send_bytes(c.tuple, sent);
  }
  // What the owning shard does with a kToLocalRelay output.
  Output hand_over(TurnCore& owner, const Output& o) {
    std::copy(o.bytes.begin(), o.bytes.end(), buf.begin() + kPeerHeadroom);
    return owner.on_local_relay_datagram(o.relay, o.relay_port, o.peer, buf, o.bytes.size(), h.now().mono);
  }
  RelayId relay_of(const TransportAddress& relayed) {
    for (const auto& [id, e] : h.binder.open) {
      if (e.address == relayed) return id;
    }
    return 0;
  }
};

TEST_F(RelayToRelay, PermissionForAnotherAllocationOfThisServer) {
  allocate_both();
  // Before issue 10 this was 403: the relayed IP is one of the server's own addresses.
  EXPECT_TRUE(Harness::is_success(h.permit(alice, rb)));
  EXPECT_TRUE(Harness::is_success(h.permit(bob, ra)));
  // Other own addresses stay denied.
  EXPECT_EQ(Harness::code_of(h.permit(alice, TransportAddress::v4({198, 51, 100, 7}, 5000))), 403);
}

TEST_F(RelayToRelay, SendIndicationIsHandedToTheOtherAllocation) {
  allocate_both();
  ASSERT_TRUE(Harness::is_success(h.permit(alice, rb)));
  ASSERT_TRUE(Harness::is_success(h.permit(bob, ra)));
  const Output o = send(alice, rb);
  ASSERT_EQ(o.action, Action::kToLocalRelay);
  EXPECT_EQ(o.shard, 0u);
  EXPECT_EQ(o.relay, relay_of(rb));
  EXPECT_EQ(o.relay_port, rb.port);
  EXPECT_EQ(o.peer, ra);  // bob sees alice's relayed address, as on the wire
  EXPECT_TRUE(std::equal(o.bytes.begin(), o.bytes.end(), kPayload.begin(), kPayload.end()));
  const Output d = hand_over(*h.core, o);
  ASSERT_EQ(d.action, Action::kToClient);
  EXPECT_EQ(d.client, bob.tuple);
  auto m = stun::Message::decode(d.bytes);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->view().get<stun::XorPeerAddress>()->address, ra);
  const auto data = m->view().get<stun::Data>()->value;
  EXPECT_TRUE(std::equal(data.begin(), data.end(), kPayload.begin(), kPayload.end()));
  EXPECT_EQ(h.core->metrics().packets_to_local_relay.value(), 1u);
  EXPECT_EQ(h.core->metrics().packets_peer_to_client.value(), 1u);
}

TEST_F(RelayToRelay, ChannelDataToALocalRelay) {
  allocate_both();
  ASSERT_TRUE(Harness::is_success(h.bind_channel(alice, 0x4001, rb)));
  ASSERT_TRUE(Harness::is_success(h.bind_channel(bob, 0x4002, ra)));
  std::vector<std::uint8_t> cd(64);
  cd.resize(write_channel_data(0x4001, kPayload, false, cd));
  const Output o = h.send_bytes(alice.tuple, cd);
  ASSERT_EQ(o.action, Action::kToLocalRelay);
  const Output d = hand_over(*h.core, o);
  ASSERT_EQ(d.action, Action::kToClient);
  const auto view = parse_channel_data(d.bytes);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->channel, 0x4002);  // bob's channel for alice's relayed address
  EXPECT_TRUE(std::equal(view->data.begin(), view->data.end(), kPayload.begin(), kPayload.end()));
}

TEST_F(RelayToRelay, OtherPortsOfTheRelayedIpAreNotPeers) {
  allocate_both();
  ASSERT_TRUE(Harness::is_success(h.permit(alice, rb)));
  // A port below the relay range (say the STUN/TURN port) cannot be a channel peer...
  EXPECT_EQ(Harness::code_of(h.bind_channel(alice, 0x4001, TransportAddress::v4({198, 51, 100, 1}, 3478))), 403);
  // ... and data to a port with no live allocation goes nowhere (the permission is for the IP only).
  EXPECT_EQ(send(alice, TransportAddress::v4({198, 51, 100, 1}, 3478)).drop, DropReason::kNoRelayedPeer);
  auto free_port = rb;
  free_port.port = static_cast<std::uint16_t>(rb.port == 65535 ? 65534 : rb.port + 1);
  if (!(free_port == ra)) {
    EXPECT_EQ(send(alice, free_port).drop, DropReason::kNoRelayedPeer);
  }
  // An allocation that went away: its port is no longer a destination.
  ASSERT_TRUE(Harness::is_success(h.refresh(bob, 0)));
  EXPECT_EQ(send(alice, rb).drop, DropReason::kNoRelayedPeer);
}

TEST_F(RelayToRelay, OwnerChecksTheRelayStillBelongsToThePort) {
  allocate_both();
  ASSERT_TRUE(Harness::is_success(h.permit(alice, rb)));
  // bob has no permission for the relayed IP yet: his allocation drops it like any peer datagram.
  Output o = send(alice, rb);
  ASSERT_EQ(o.action, Action::kToLocalRelay);
  EXPECT_EQ(hand_over(*h.core, o).drop, DropReason::kNoPermission);
  // Permissions are per IP (RFC 8656 §9), and every relayed address shares it.
  ASSERT_TRUE(Harness::is_success(h.permit(bob, ra)));
  o = send(alice, rb);
  o.relay_port = static_cast<std::uint16_t>(o.relay_port + 1);  // a stale directory entry
  EXPECT_EQ(hand_over(*h.core, o).drop, DropReason::kNoRelayedPeer);
  o.relay_port = rb.port;
  EXPECT_EQ(hand_over(*h.core, o).action, Action::kToClient);
}

TEST_F(RelayToRelay, KernelDatagramsFromARelayedIpAreDenied) {
  allocate_both();
  ASSERT_TRUE(Harness::is_success(h.permit(bob, ra)));
  // Through the relay socket, "from" the relayed IP: some other process on the server's own address.
  std::copy(kPayload.begin(), kPayload.end(), buf.begin() + kPeerHeadroom);
  auto from = ra;
  from.port = 3478;
  EXPECT_EQ(h.core->on_peer_datagram(relay_of(rb), from, buf, kPayload.size(), h.now().mono).drop,
            DropReason::kPeerDenied);
  EXPECT_EQ(h.core->on_peer_datagram(relay_of(rb), ra, buf, kPayload.size(), h.now().mono).drop,
            DropReason::kPeerDenied);
}

TEST_F(RelayToRelay, AcrossShards) {
  // bob's allocation lives on a second core (another worker) of the same server.
  FakeBinder binder2;
  binder2.next_id = 900;
  auto core2 = std::make_unique<TurnCore>(*h.shared, binder2, h.registry, 1);
  auto a = h.allocate(alice);
  std::swap(h.core, core2);
  auto b = h.allocate(bob);
  ASSERT_TRUE(Harness::is_success(h.permit(bob, Harness::relayed(*a))));
  std::swap(h.core, core2);
  ASSERT_TRUE(Harness::is_success(a) && Harness::is_success(b));
  ra = Harness::relayed(*a);
  rb = Harness::relayed(*b);
  ASSERT_TRUE(Harness::is_success(h.permit(alice, rb)));
  const Output o = send(alice, rb);
  ASSERT_EQ(o.action, Action::kToLocalRelay);
  EXPECT_EQ(o.shard, 1u);
  EXPECT_GE(o.relay, 900u);
  const Output d = hand_over(*core2, o);
  ASSERT_EQ(d.action, Action::kToClient);
  EXPECT_EQ(d.client, bob.tuple);
  // The wrong shard does not own it.
  EXPECT_EQ(hand_over(*h.core, o).drop, DropReason::kNoRelayedPeer);
  core2.reset();  // closes bob's relay and clears its directory entry
  EXPECT_EQ(send(alice, rb).drop, DropReason::kNoRelayedPeer);
}

TEST_F(RelayToRelay, Ipv6RelayedAddresses) {
  allocate_both([](stun::Message& m) { m.add(stun::RequestedAddressFamily{Family::kIPv6}); });
  ASSERT_EQ(ra.family(), Family::kIPv6);
  ASSERT_TRUE(Harness::is_success(h.permit(alice, rb)));
  ASSERT_TRUE(Harness::is_success(h.permit(bob, ra)));
  const Output o = send(alice, rb);
  ASSERT_EQ(o.action, Action::kToLocalRelay);
  EXPECT_EQ(hand_over(*h.core, o).action, Action::kToClient);
}

TEST_F(RelayToRelay, AnAllowRuleForTheRelayedIpStillReachesItsOtherPorts) {
  // E.g. a test peer on loopback with relay IP 127.0.0.1 and --allow-peer 127.0.0.1: live relay ports
  // are handed over inside the server, every other port goes out through the kernel as allowed.
  Harness allow;
  allow.cfg.relayed_ips = h.cfg.relayed_ips;
  std::string err;
  allow.policy = std::make_shared<DefaultPeerPolicy>(*DefaultPeerPolicy::from_strings({"198.51.100.1"}, {}, {}, err));
  allow.start();
  auto a = allow.allocate(alice);
  auto b = allow.allocate(bob);
  ASSERT_TRUE(Harness::is_success(a) && Harness::is_success(b));
  ASSERT_TRUE(Harness::is_success(allow.permit(alice, Harness::relayed(*b))));
  stun::Message m(stun::MessageType{stun::Method::kSend, stun::Class::kIndication}, stun::TransactionId::random());
  m.add(stun::XorPeerAddress{Harness::relayed(*b)}).add(stun::Data{kPayload});
  EXPECT_EQ(allow.send_bytes(alice.tuple, m.bytes()).action, Action::kToLocalRelay);
  stun::Message n(stun::MessageType{stun::Method::kSend, stun::Class::kIndication}, stun::TransactionId::random());
  n.add(stun::XorPeerAddress{TransportAddress::v4({198, 51, 100, 1}, 3480)}).add(stun::Data{kPayload});
  EXPECT_EQ(allow.send_bytes(alice.tuple, n.bytes()).action, Action::kToPeer);
  EXPECT_TRUE(Harness::is_success(allow.bind_channel(alice, 0x4001, TransportAddress::v4({198, 51, 100, 1}, 3480))));
}

TEST_F(RelayToRelay, WithoutRelayedIpsTheOwnAddressIsDenied) {
  // The core only knows its relayed addresses from the configuration: without them it is 403, as before.
  Harness plain;
  plain.policy = h.policy;
  plain.start();
  TestClient x{udp_tuple(5)}, y{udp_tuple(6)};
  ASSERT_TRUE(Harness::is_success(plain.allocate(x)));
  auto r = plain.allocate(y);
  ASSERT_TRUE(Harness::is_success(r));
  EXPECT_EQ(Harness::code_of(plain.permit(x, Harness::relayed(*r))), 403);
}

}  // namespace
}  // namespace sb::turn::test
