// CreatePermission, ChannelBind and the data path (RFC 8656 §9-§12): expiry, quotas, 403, rebinding
// rules, Send → peer, peer → Data indication / ChannelData (UDP and TCP padding), bandwidth cap.
#include "turn/channel_data.hpp"
#include "turn_harness.hpp"

namespace sb::turn::test {
namespace {

using stun::Method;
using namespace std::chrono_literals;

struct Relay : ::testing::Test {
  Harness h;
  TestClient c{udp_tuple(1)};
  TransportAddress relay_addr;
  RelayId relay_id = 0;

  void SetUp() override { start(); }
  void start() {
    h.start();
    auto r = h.allocate(c, [](stun::Message& m) { m.add(stun::Lifetime{3600}); });
    ASSERT_TRUE(Harness::is_success(r));
    relay_addr = Harness::relayed(*r);
    ASSERT_EQ(h.binder.open.size(), 1u);
    relay_id = h.binder.open.begin()->first;
  }
  // A peer datagram through the in-place API; returns the output (bytes point into `buf`).
  std::vector<std::uint8_t> buf = std::vector<std::uint8_t>(2048);
  Output from_peer(const TransportAddress& peer, std::span<const std::uint8_t> payload) {
    std::copy(payload.begin(), payload.end(), buf.begin() + kPeerHeadroom);
    return h.core->on_peer_datagram(relay_id, peer, buf, payload.size(), h.now().mono);
  }
  Output send_indication(const TransportAddress& peer, std::span<const std::uint8_t> data) {
    stun::Message m(stun::MessageType{Method::kSend, stun::Class::kIndication}, stun::TransactionId::random());
    m.add(stun::XorPeerAddress{peer}).add(stun::Data{data});
    sent_ = std::vector<std::uint8_t>(m.bytes().begin(), m.bytes().end());
    return h.send_bytes(c.tuple, sent_);
  }
  std::vector<std::uint8_t> sent_;
};

const std::vector<std::uint8_t> kPayload = {1, 2, 3, 4, 5, 6, 7};

TEST_F(Relay, SendIndicationNeedsAPermission) {
  EXPECT_EQ(send_indication(peer_v4(1), kPayload).drop, DropReason::kNoPermission);
  ASSERT_TRUE(Harness::is_success(h.permit(c, peer_v4(1, 9999))));  // permissions ignore the port
  const Output o = send_indication(peer_v4(1, 5000), kPayload);
  ASSERT_EQ(o.action, Action::kToPeer);
  EXPECT_EQ(o.relay, relay_id);
  EXPECT_EQ(o.peer, peer_v4(1, 5000));
  EXPECT_TRUE(std::equal(o.bytes.begin(), o.bytes.end(), kPayload.begin(), kPayload.end()));
  // Zero copy: the payload span points into the request bytes.
  EXPECT_GE(o.bytes.data(), sent_.data());
  EXPECT_LT(o.bytes.data(), sent_.data() + sent_.size());
  EXPECT_EQ(h.core->metrics().packets_client_to_peer.value(), 1u);
  EXPECT_EQ(h.core->metrics().bytes_client_to_peer.value(), kPayload.size());
}

TEST_F(Relay, PeerDatagramBecomesADataIndication) {
  EXPECT_EQ(from_peer(peer_v4(2), kPayload).drop, DropReason::kNoPermission);
  ASSERT_TRUE(Harness::is_success(h.permit(c, peer_v4(2))));
  const Output o = from_peer(peer_v4(2), kPayload);
  ASSERT_EQ(o.action, Action::kToClient);
  EXPECT_EQ(o.client, c.tuple);
  auto m = stun::MessageView::parse(o.bytes);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type(), (stun::MessageType{Method::kData, stun::Class::kIndication}));
  EXPECT_EQ(m->get<stun::XorPeerAddress>()->address, peer_v4(2));
  const auto data = m->get<stun::Data>()->value;
  EXPECT_TRUE(std::equal(data.begin(), data.end(), kPayload.begin(), kPayload.end()));
  EXPECT_EQ(o.bytes.size() % 4, 0u);
  EXPECT_EQ(h.core->metrics().packets_peer_to_client.value(), 1u);
}

TEST_F(Relay, PermissionExpiresAfter300sUnlessRefreshed) {
  ASSERT_TRUE(Harness::is_success(h.permit(c, peer_v4(3))));
  h.advance(299s);
  EXPECT_EQ(from_peer(peer_v4(3), kPayload).action, Action::kToClient);
  h.advance(2s);
  EXPECT_EQ(from_peer(peer_v4(3), kPayload).drop, DropReason::kNoPermission);
  h.core->tick(h.now());
  EXPECT_EQ(h.core->permission_count(), 0u);
  EXPECT_EQ(h.core->metrics().permissions_expired.value(), 1u);
  ASSERT_TRUE(Harness::is_success(h.permit(c, peer_v4(3))));
  h.advance(200s);
  ASSERT_TRUE(Harness::is_success(h.permit(c, peer_v4(3))));  // refresh
  h.advance(200s);
  EXPECT_EQ(from_peer(peer_v4(3), kPayload).action, Action::kToClient);
}

TEST_F(Relay, CreatePermissionWithSeveralPeersIsAllOrNothing) {
  auto ok = h.request(c, Method::kCreatePermission, [](stun::Message& m) {
    m.add(stun::XorPeerAddress{peer_v4(4)}).add(stun::XorPeerAddress{peer_v4(5)});
  });
  ASSERT_TRUE(Harness::is_success(ok));
  EXPECT_EQ(h.core->permission_count(), 2u);
  auto denied = h.request(c, Method::kCreatePermission, [](stun::Message& m) {
    m.add(stun::XorPeerAddress{peer_v4(6)}).add(stun::XorPeerAddress{TransportAddress::v4({10, 0, 0, 1}, 1)});
  });
  EXPECT_EQ(Harness::code_of(denied), 403);
  EXPECT_EQ(h.core->permission_count(), 2u);
  EXPECT_EQ(h.core->metrics().denied_peers.value(), 1u);
  EXPECT_EQ(Harness::code_of(h.request(c, Method::kCreatePermission, {})), 400);
}

TEST_F(Relay, PeerOfAFamilyWithoutRelayIs443) {
  const auto v6peer = *TransportAddress::parse("[2001:db8:1::5]:7000");
  EXPECT_EQ(Harness::code_of(h.permit(c, v6peer)), 443);
}

TEST_F(Relay, PermissionQuotaIs508) {
  h.core.reset();
  h.binder.open.clear();
  h.cfg.max_permissions_per_allocation = 2;
  c.nonce.clear();
  start();
  EXPECT_TRUE(Harness::is_success(h.permit(c, peer_v4(1))));
  EXPECT_TRUE(Harness::is_success(h.permit(c, peer_v4(2))));
  EXPECT_TRUE(Harness::is_success(h.permit(c, peer_v4(1))));  // a refresh needs no new slot
  EXPECT_EQ(Harness::code_of(h.permit(c, peer_v4(3))), 508);
  h.advance(301s);
  EXPECT_TRUE(Harness::is_success(h.permit(c, peer_v4(3))));  // expired slots are reused
}

TEST_F(Relay, SendToDeniedPeerIsDroppedAndCounted) {
  EXPECT_EQ(send_indication(TransportAddress::v4({127, 0, 0, 1}, 9), kPayload).drop, DropReason::kPeerDenied);
  EXPECT_EQ(h.core->metrics().denied_peers.value(), 1u);
  EXPECT_EQ(h.core->metrics().dropped(DropReason::kPeerDenied), 1u);
}

TEST_F(Relay, ChannelDataRoundTripOverUdp) {
  ASSERT_TRUE(Harness::is_success(h.bind_channel(c, 0x4000, peer_v4(9))));
  std::array<std::uint8_t, 64> frame{};
  const auto n = write_channel_data(0x4000, kPayload, false, frame);
  const Output to = h.send_bytes(c.tuple, std::span(frame.data(), n));
  ASSERT_EQ(to.action, Action::kToPeer);
  EXPECT_EQ(to.peer, peer_v4(9));
  EXPECT_TRUE(std::equal(to.bytes.begin(), to.bytes.end(), kPayload.begin(), kPayload.end()));
  const Output back = from_peer(peer_v4(9), kPayload);
  ASSERT_EQ(back.action, Action::kToClient);
  EXPECT_EQ(back.bytes.size(), 4 + kPayload.size());  // no padding over UDP
  const auto cd = parse_channel_data(back.bytes);
  ASSERT_TRUE(cd);
  EXPECT_EQ(cd->channel, 0x4000);
  EXPECT_TRUE(std::equal(cd->data.begin(), cd->data.end(), kPayload.begin(), kPayload.end()));
  // Another port of the same IP has the permission but not the channel → Data indication.
  const Output other = from_peer(peer_v4(9, 5001), kPayload);
  ASSERT_EQ(other.action, Action::kToClient);
  EXPECT_TRUE(stun::looks_like_stun(other.bytes));
  EXPECT_EQ(h.core->metrics().channel_data_to_peer.value(), 1u);
  EXPECT_EQ(h.core->metrics().channel_data_to_client.value(), 1u);
}

TEST_F(Relay, UnboundChannelIsDropped) {
  std::array<std::uint8_t, 64> frame{};
  const auto n = write_channel_data(0x4001, kPayload, false, frame);
  EXPECT_EQ(h.send_bytes(c.tuple, std::span(frame.data(), n)).drop, DropReason::kNoChannel);
  // From a 5-tuple without allocation.
  EXPECT_EQ(h.send_bytes(udp_tuple(50), std::span(frame.data(), n)).drop, DropReason::kNoAllocation);
}

TEST_F(Relay, ChannelBindRules) {
  const auto p1 = peer_v4(10), p2 = peer_v4(11);
  EXPECT_EQ(Harness::code_of(h.bind_channel(c, 0x3FFF, p1)), 400);  // below range
  EXPECT_EQ(Harness::code_of(h.bind_channel(c, 0x5000, p1)), 400);  // reserved range
  EXPECT_EQ(Harness::code_of(h.request(c, Method::kChannelBind, [](stun::Message& m) {
              m.add(stun::ChannelNumber{0x4000});
            })), 400);                                                // no peer
  ASSERT_TRUE(Harness::is_success(h.bind_channel(c, 0x4000, p1)));
  EXPECT_TRUE(Harness::is_success(h.bind_channel(c, 0x4000, p1)));  // same pair: refresh
  EXPECT_EQ(Harness::code_of(h.bind_channel(c, 0x4000, p2)), 400);  // number taken by another peer
  EXPECT_EQ(Harness::code_of(h.bind_channel(c, 0x4001, p1)), 400);  // peer bound to another number
  EXPECT_EQ(Harness::code_of(h.bind_channel(c, 0x4001, TransportAddress::v4({192, 168, 1, 1}, 1))), 403);
  EXPECT_TRUE(Harness::is_success(h.bind_channel(c, 0x4FFF, p2)));
  EXPECT_EQ(h.core->channel_count(), 2u);
  EXPECT_EQ(h.core->metrics().channels_bound.value(), 2u);
}

TEST_F(Relay, ChannelExpiresAfter600sThenCoolsDown) {
  const auto p1 = peer_v4(12), p2 = peer_v4(13);
  ASSERT_TRUE(Harness::is_success(h.bind_channel(c, 0x4002, p1)));
  ASSERT_TRUE(Harness::is_success(h.refresh(c, 3600)));
  h.advance(200s);
  ASSERT_TRUE(Harness::is_success(h.permit(c, p1)));  // keep the permission, test the channel alone
  h.advance(200s);
  ASSERT_TRUE(Harness::is_success(h.permit(c, p1)));
  h.advance(199s);  // 599 s
  std::array<std::uint8_t, 64> frame{};
  const auto n = write_channel_data(0x4002, kPayload, false, frame);
  EXPECT_EQ(h.send_bytes(c.tuple, std::span(frame.data(), n)).action, Action::kToPeer);
  h.advance(2s);  // 601 s
  EXPECT_EQ(h.send_bytes(c.tuple, std::span(frame.data(), n)).drop, DropReason::kNoChannel);
  EXPECT_EQ(from_peer(p1, kPayload).action, Action::kToClient);  // now as a Data indication
  EXPECT_TRUE(stun::looks_like_stun(from_peer(p1, kPayload).bytes));
  // During the 5-minute cooldown the number cannot go to another peer, but the same pair may rebind.
  EXPECT_EQ(Harness::code_of(h.bind_channel(c, 0x4002, p2)), 400);
  h.advance(300s);
  h.core->tick(h.now());
  EXPECT_EQ(h.core->channel_count(), 0u);
  EXPECT_EQ(h.core->metrics().channels_expired.value(), 1u);
  EXPECT_TRUE(Harness::is_success(h.bind_channel(c, 0x4002, p2)));
}

TEST_F(Relay, ChannelQuotaIs508) {
  h.core.reset();
  h.binder.open.clear();
  h.cfg.max_channels_per_allocation = 1;
  c.nonce.clear();
  start();
  EXPECT_TRUE(Harness::is_success(h.bind_channel(c, 0x4000, peer_v4(1))));
  EXPECT_EQ(Harness::code_of(h.bind_channel(c, 0x4001, peer_v4(2))), 508);
}

TEST_F(Relay, BandwidthCapDropsAndCounts) {
  h.core.reset();
  h.binder.open.clear();
  h.cfg.bandwidth_bytes_per_s = 1000;
  c.nonce.clear();
  start();
  ASSERT_TRUE(Harness::is_success(h.permit(c, peer_v4(1))));
  const std::vector<std::uint8_t> big(400, 0xAB);
  EXPECT_EQ(send_indication(peer_v4(1), big).action, Action::kToPeer);
  EXPECT_EQ(from_peer(peer_v4(1), big).action, Action::kToClient);
  EXPECT_EQ(send_indication(peer_v4(1), big).drop, DropReason::kBandwidth);  // 1200 > 1000
  h.advance(1s);
  EXPECT_EQ(send_indication(peer_v4(1), big).action, Action::kToPeer);
  EXPECT_EQ(h.core->metrics().dropped(DropReason::kBandwidth), 1u);
}

struct RelayTcp : Relay {
  void SetUp() override {
    c.tuple.transport = Transport::kTcp;
    start();
  }
};

TEST_F(RelayTcp, ChannelDataToClientIsPaddedOverStreams) {
  ASSERT_TRUE(Harness::is_success(h.bind_channel(c, 0x4005, peer_v4(20))));
  const Output back = from_peer(peer_v4(20), kPayload);  // 7 bytes
  ASSERT_EQ(back.action, Action::kToClient);
  EXPECT_EQ(back.bytes.size(), 12u);  // 4 + 7 + 1 padding
  EXPECT_EQ(back.bytes[11], 0);
  // A padded frame from the client through the de-framer goes to the peer without its padding.
  StreamDeframer d(4096);
  std::array<std::uint8_t, 64> frame{};
  const auto n = write_channel_data(0x4005, kPayload, true, frame);
  auto space = d.write_space();
  std::copy(frame.begin(), frame.begin() + n, space.begin());
  d.commit(n);
  const auto f = d.next();
  ASSERT_EQ(f.kind, stun::FrameKind::kChannelData);
  const Output to = h.send_bytes(c.tuple, f.bytes);
  ASSERT_EQ(to.action, Action::kToPeer);
  EXPECT_EQ(to.bytes.size(), kPayload.size());
}

TEST_F(RelayTcp, MalformedStunOnAStreamClosesTheConnection) {
  std::array<std::uint8_t, 20> junk{};
  junk[0] = 0x00;
  junk[1] = 0x01;
  const Output o = h.send_bytes(c.tuple, junk);  // no magic cookie
  EXPECT_EQ(o.action, Action::kClose);
  EXPECT_EQ(o.client, c.tuple);
}

}  // namespace
}  // namespace sb::turn::test

namespace sb::turn::test {
namespace {

TEST(RelayRfc5766Channels, OldChannelRangeWorksOnlyWhenEnabled) {
  Harness h;
  h.cfg.rfc5766_channels = true;
  h.start();
  TestClient c{udp_tuple(1)};
  ASSERT_TRUE(Harness::is_success(h.allocate(c)));
  ASSERT_TRUE(Harness::is_success(h.bind_channel(c, 0x6D80, peer_v4(1))));  // as turnutils_uclient binds
  EXPECT_EQ(Harness::code_of(h.bind_channel(c, 0x8000, peer_v4(2))), 400);  // still bounded
  const std::vector<std::uint8_t> payload = {9, 8, 7};
  std::array<std::uint8_t, 16> frame{};
  const auto n = write_channel_data(0x6D80, payload, false, frame);
  const Output to = h.send_bytes(c.tuple, std::span(frame.data(), n));
  ASSERT_EQ(to.action, Action::kToPeer);
  EXPECT_EQ(to.peer, peer_v4(1));
  std::vector<std::uint8_t> buf(kPeerHeadroom + payload.size() + kPeerTailroom);
  std::copy(payload.begin(), payload.end(), buf.begin() + kPeerHeadroom);
  const Output back = h.core->on_peer_datagram(h.binder.open.begin()->first, peer_v4(1), buf, payload.size(),
                                               h.now().mono);
  ASSERT_EQ(back.action, Action::kToClient);
  const auto cd = parse_channel_data(back.bytes, true);
  ASSERT_TRUE(cd);
  EXPECT_EQ(cd->channel, 0x6D80);
  EXPECT_FALSE(parse_channel_data(back.bytes, false));  // strict parsing refuses the old range

  StreamDeframer strict(256), legacy(256, true);
  for (StreamDeframer* d : {&strict, &legacy}) {
    auto space = d->write_space();
    std::copy(frame.begin(), frame.begin() + 8, space.begin());  // 4 + 3 + 1 padding
    d->commit(8);
  }
  EXPECT_EQ(strict.next().kind, stun::FrameKind::kInvalid);
  const auto f = legacy.next();
  EXPECT_EQ(f.kind, stun::FrameKind::kChannelData);
  EXPECT_EQ(f.bytes.size(), 8u);
}

}  // namespace
}  // namespace sb::turn::test
