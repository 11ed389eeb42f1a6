// Allocate / Refresh / expiry (RFC 8656 §7, §8): lifetimes, 437, quotas (486), 508, 440, 442,
// EVEN-PORT and RESERVATION-TOKEN, dual-stack, TCP close.
#include "turn_harness.hpp"

namespace sb::turn::test {
namespace {

using stun::Method;
using namespace std::chrono_literals;

TEST(TurnAllocate, RelayPortComesFromTheConfiguredRange) {
  Harness h;
  h.cfg.min_port = 50000;
  h.cfg.max_port = 50009;
  h.start();
  std::set<std::uint16_t> ports;
  for (std::uint8_t i = 1; i <= 10; ++i) {
    TestClient c{udp_tuple(i)};
    c.username = i % 2 ? "alice" : "bob";
    c.password = i % 2 ? "secret" : "hunter2";
    auto r = h.allocate(c);
    ASSERT_TRUE(Harness::is_success(r));
    const auto relayed = Harness::relayed(*r);
    EXPECT_GE(relayed.port, 50000);
    EXPECT_LE(relayed.port, 50009);
    ports.insert(relayed.port);
  }
  EXPECT_EQ(ports.size(), 10u);  // alice and bob: 5 each within the default per-user quota of 10
}

TEST(TurnAllocate, SecondAllocateOnSameTupleIs437ButRetransmissionIsAnsweredAgain) {
  Harness h;
  h.start();
  TestClient c{udp_tuple(1)};
  ASSERT_TRUE(Harness::is_success(h.allocate(c)));
  EXPECT_EQ(Harness::code_of(h.allocate(c)), 437);
  // Retransmission: the very same request bytes (same transaction id) → the same success again.
  auto m = Harness::build(Method::kAllocate, [](stun::Message& x) { x.add(stun::RequestedTransport{}); });
  TestClient d{udp_tuple(2)};
  ASSERT_TRUE(Harness::is_success(h.allocate(d)));  // learn a nonce for tuple 2
  ASSERT_TRUE(Harness::is_success(h.refresh(d, 0)));
  Harness::sign(m, d);
  auto first = h.send(d.tuple, m);
  auto again = h.send(d.tuple, m);
  ASSERT_TRUE(Harness::is_success(first));
  ASSERT_TRUE(Harness::is_success(again));
  EXPECT_EQ(Harness::relayed(*first), Harness::relayed(*again));
  EXPECT_EQ(h.core->allocation_count(), 2u);
}

TEST(TurnAllocate, RequestsWithoutAllocationAre437) {
  Harness h;
  h.start();
  TestClient c{udp_tuple(1)};
  EXPECT_EQ(Harness::code_of(h.refresh(c, 600)), 437);
  EXPECT_EQ(Harness::code_of(h.permit(c, peer_v4(1))), 437);
  EXPECT_EQ(Harness::code_of(h.bind_channel(c, 0x4000, peer_v4(1))), 437);
}

TEST(TurnAllocate, MissingOrWrongTransportIs400Or442) {
  Harness h;
  h.start();
  TestClient c{udp_tuple(1)};
  EXPECT_EQ(Harness::code_of(h.request(c, Method::kAllocate, {})), 400);
  auto r = h.request(c, Method::kAllocate, [](stun::Message& m) {
    m.add(stun::RequestedTransport{stun::RequestedTransport::kTcp});
  });
  EXPECT_EQ(Harness::code_of(r), 442);
  // DONT-FRAGMENT is accepted.
  EXPECT_TRUE(Harness::is_success(h.allocate(c, [](stun::Message& m) { m.add(stun::DontFragment{}); })));
}

TEST(TurnAllocate, LifetimeIsClampedAndRefreshZeroDeletes) {
  Harness h;
  h.start();
  TestClient c{udp_tuple(1)};
  auto r = h.allocate(c, [](stun::Message& m) { m.add(stun::Lifetime{100000}); });
  ASSERT_TRUE(Harness::is_success(r));
  EXPECT_EQ(r->view().get<stun::Lifetime>()->seconds, 3600u);
  auto r2 = h.refresh(c, 60);  // below the default → the default
  EXPECT_EQ(r2->view().get<stun::Lifetime>()->seconds, 600u);
  auto r3 = h.refresh(c, 0);
  ASSERT_TRUE(Harness::is_success(r3));
  EXPECT_EQ(r3->view().get<stun::Lifetime>()->seconds, 0u);
  EXPECT_EQ(h.core->allocation_count(), 0u);
  EXPECT_TRUE(h.binder.open.empty());
  EXPECT_EQ(h.shared->allocations(), 0u);
  EXPECT_EQ(h.shared->ports().used(Family::kIPv4), 0u);
  EXPECT_EQ(Harness::code_of(h.refresh(c, 600)), 437);
}

TEST(TurnAllocate, AllocationExpiresUnlessRefreshed) {
  Harness h;
  h.start();
  TestClient a{udp_tuple(1)}, b{udp_tuple(2)};
  ASSERT_TRUE(Harness::is_success(h.allocate(a)));
  ASSERT_TRUE(Harness::is_success(h.allocate(b)));
  h.advance(500s);
  ASSERT_TRUE(Harness::is_success(h.refresh(a, 600)));
  h.advance(101s);  // b is past 600 s, a was refreshed at 500 s
  EXPECT_EQ(h.core->tick(h.now()), 1u);
  EXPECT_EQ(h.core->allocation_count(), 1u);
  EXPECT_EQ(h.core->metrics().allocations_expired.value(), 1u);
  EXPECT_EQ(h.binder.open.size(), 1u);
  EXPECT_EQ(Harness::code_of(h.refresh(b, 600)), 437);
  h.advance(500s);
  h.core->tick(h.now());
  EXPECT_EQ(h.core->allocation_count(), 0u);
  EXPECT_EQ(h.shared->allocations(), 0u);
}

TEST(TurnAllocate, ExpiredAllocationIsGoneEvenBeforeTheSweep) {
  Harness h;
  h.start();
  TestClient c{udp_tuple(1)};
  ASSERT_TRUE(Harness::is_success(h.allocate(c)));
  h.advance(601s);
  EXPECT_EQ(Harness::code_of(h.refresh(c, 600)), 437);  // no tick() in between
  EXPECT_TRUE(Harness::is_success(h.allocate(c)));       // and the 5-tuple is free again
}

TEST(TurnAllocate, QuotasPerUserAndTotalAre486) {
  Harness h;
  h.cfg.max_allocations_per_user = 2;
  h.cfg.max_allocations = 3;
  h.start();
  TestClient a1{udp_tuple(1)}, a2{udp_tuple(2)}, a3{udp_tuple(3)};
  EXPECT_TRUE(Harness::is_success(h.allocate(a1)));
  EXPECT_TRUE(Harness::is_success(h.allocate(a2)));
  EXPECT_EQ(Harness::code_of(h.allocate(a3)), 486);
  TestClient b1{udp_tuple(4)}, b2{udp_tuple(5)};
  b1.username = b2.username = "bob";
  b1.password = b2.password = "hunter2";
  EXPECT_TRUE(Harness::is_success(h.allocate(b1)));
  EXPECT_EQ(Harness::code_of(h.allocate(b2)), 486);  // total of 3 reached
  EXPECT_TRUE(Harness::is_success(h.refresh(a1, 0)));
  EXPECT_TRUE(Harness::is_success(h.allocate(b2)));
}

TEST(TurnAllocate, NoBindablePortIs508) {
  Harness h;
  h.cfg.min_port = 50000;
  h.cfg.max_port = 50001;
  h.start();
  h.binder.busy = {50000};
  TestClient a{udp_tuple(1)}, b{udp_tuple(2)}, c{udp_tuple(3)};
  auto r = h.allocate(a);
  ASSERT_TRUE(Harness::is_success(r));
  EXPECT_EQ(Harness::relayed(*r).port, 50001);
  EXPECT_EQ(Harness::code_of(h.allocate(b)), 508);  // 50000 cannot be bound, 50001 is taken
  EXPECT_EQ(h.shared->allocations(), 1u);            // the failed one released its quota
  h.binder.fail_all = true;
  h.binder.busy.clear();
  EXPECT_EQ(Harness::code_of(h.allocate(c)), 508);
}

TEST(TurnAllocate, EvenPortWithReservationToken) {
  Harness h;
  h.cfg.min_port = 50000;
  h.cfg.max_port = 50100;
  h.start();
  TestClient rtp{udp_tuple(1, 40000)}, rtcp{udp_tuple(1, 40001)};
  auto r = h.allocate(rtp, [](stun::Message& m) { m.add(stun::EvenPort{true}); });
  ASSERT_TRUE(Harness::is_success(r));
  const auto port = Harness::relayed(*r).port;
  EXPECT_EQ(port % 2, 0);
  const auto token = r->view().get<stun::ReservationToken>();
  ASSERT_TRUE(token);
  auto r2 = h.allocate(rtcp, [&](stun::Message& m) { m.add(*token); });
  ASSERT_TRUE(Harness::is_success(r2));
  EXPECT_EQ(Harness::relayed(*r2).port, port + 1);
  // A token is good once.
  TestClient third{udp_tuple(1, 40002)};
  EXPECT_EQ(Harness::code_of(h.allocate(third, [&](stun::Message& m) { m.add(*token); })), 508);
  // EVEN-PORT without R gives an even port and no token; token + EVEN-PORT together is 400.
  TestClient fourth{udp_tuple(1, 40003)};
  auto r4 = h.allocate(fourth, [](stun::Message& m) { m.add(stun::EvenPort{false}); });
  ASSERT_TRUE(Harness::is_success(r4));
  EXPECT_EQ(Harness::relayed(*r4).port % 2, 0);
  EXPECT_FALSE(r4->view().has(stun::attr::kReservationToken));
  TestClient fifth{udp_tuple(1, 40004)};
  EXPECT_EQ(Harness::code_of(h.allocate(fifth, [&](stun::Message& m) {
              m.add(stun::EvenPort{false}).add(*token);
            })), 400);
}

TEST(TurnAllocate, ReservationExpires) {
  Harness h;
  h.cfg.nonce_lifetime = 3600s;
  h.start();
  TestClient rtp{udp_tuple(1, 40000)}, rtcp{udp_tuple(1, 40001)};
  auto r = h.allocate(rtp, [](stun::Message& m) { m.add(stun::EvenPort{true}); });
  ASSERT_TRUE(Harness::is_success(r));
  const auto token = r->view().get<stun::ReservationToken>();
  EXPECT_EQ(h.shared->ports().used(Family::kIPv4), 2u);
  h.advance(31s);
  h.core->tick(h.now());
  EXPECT_EQ(h.shared->ports().used(Family::kIPv4), 1u);
  EXPECT_EQ(Harness::code_of(h.allocate(rtcp, [&](stun::Message& m) { m.add(*token); })), 508);
}

TEST(TurnAllocate, AddressFamilies) {
  Harness h;
  h.start();
  TestClient v6{udp_tuple(1)};
  auto r = h.allocate(v6, [](stun::Message& m) { m.add(stun::RequestedAddressFamily{Family::kIPv6}); });
  ASSERT_TRUE(Harness::is_success(r));
  EXPECT_EQ(Harness::relayed(*r).family(), Family::kIPv6);
  // Dual allocation: two XOR-RELAYED-ADDRESS, IPv4 first.
  TestClient dual{udp_tuple(2)};
  auto d = h.allocate(dual, [](stun::Message& m) { m.add(stun::AdditionalAddressFamily{Family::kIPv6}); });
  ASSERT_TRUE(Harness::is_success(d));
  int relays = 0;
  const auto view = d->view();
  for (std::size_t i = 0; i < view.attribute_count(); ++i) relays += view.attribute(i).type == stun::attr::kXorRelayedAddress;
  EXPECT_EQ(relays, 2);
  // REQUESTED-ADDRESS-FAMILY with ADDITIONAL-ADDRESS-FAMILY → 400.
  TestClient both{udp_tuple(3)};
  EXPECT_EQ(Harness::code_of(h.allocate(both, [](stun::Message& m) {
              m.add(stun::RequestedAddressFamily{Family::kIPv4}).add(stun::AdditionalAddressFamily{Family::kIPv6});
            })), 400);
}

TEST(TurnAllocate, UnsupportedFamilyIs440AndDualFallsBackWithAddressErrorCode) {
  Harness h;
  h.binder.v6 = false;
  h.start();
  TestClient v6{udp_tuple(1)};
  EXPECT_EQ(Harness::code_of(h.allocate(v6, [](stun::Message& m) {
              m.add(stun::RequestedAddressFamily{Family::kIPv6});
            })), 440);
  TestClient dual{udp_tuple(2)};
  auto d = h.allocate(dual, [](stun::Message& m) { m.add(stun::AdditionalAddressFamily{Family::kIPv6}); });
  ASSERT_TRUE(Harness::is_success(d));
  EXPECT_EQ(Harness::relayed(*d).family(), Family::kIPv4);
  const auto aec = d->view().get<stun::AddressErrorCode>();
  ASSERT_TRUE(aec);
  EXPECT_EQ(aec->code, 440);
  EXPECT_EQ(aec->family, Family::kIPv6);
}

TEST(TurnAllocate, DualAllocationKeepsIpv4WhenIpv6CannotBeBound) {
  Harness h;
  h.binder.fail_v6 = true;
  h.start();
  TestClient dual{udp_tuple(2)};
  auto d = h.allocate(dual, [](stun::Message& m) { m.add(stun::AdditionalAddressFamily{Family::kIPv6}); });
  ASSERT_TRUE(Harness::is_success(d));
  EXPECT_EQ(Harness::relayed(*d).family(), Family::kIPv4);
  ASSERT_TRUE(d->view().get<stun::AddressErrorCode>());
  EXPECT_EQ(d->view().get<stun::AddressErrorCode>()->code, 508);
  EXPECT_EQ(h.shared->ports().used(Family::kIPv6), 0u);  // the failed IPv6 ports were given back
  TestClient v6{udp_tuple(3)};
  EXPECT_EQ(Harness::code_of(h.allocate(v6, [](stun::Message& m) {
              m.add(stun::RequestedAddressFamily{Family::kIPv6});
            })), 508);
}

TEST(TurnAllocate, TcpConnectionCloseDeletesTheAllocation) {
  Harness h;
  h.start();
  TestClient c{udp_tuple(1)};
  c.tuple.transport = Transport::kTcp;
  ASSERT_TRUE(Harness::is_success(h.allocate(c)));
  h.core->on_client_closed(c.tuple);
  EXPECT_EQ(h.core->allocation_count(), 0u);
  EXPECT_TRUE(h.binder.open.empty());
  EXPECT_EQ(h.shared->allocations(), 0u);
}

TEST(TurnAllocate, DestroyingTheCoreReleasesEverything) {
  Harness h;
  h.start();
  TestClient c{udp_tuple(1)};
  ASSERT_TRUE(Harness::is_success(h.allocate(c)));
  h.core.reset();
  EXPECT_TRUE(h.binder.open.empty());
  EXPECT_EQ(h.shared->allocations(), 0u);
  EXPECT_EQ(h.shared->ports().used(Family::kIPv4), 0u);
}

TEST(TurnAllocate, SnapshotListsTheAllocation) {
  Harness h;
  h.start();
  TestClient c{udp_tuple(1)};
  auto r = h.allocate(c);
  ASSERT_TRUE(Harness::is_success(h.permit(c, peer_v4(7))));
  ASSERT_TRUE(Harness::is_success(h.bind_channel(c, 0x4001, peer_v4(8))));
  h.advance(100s);
  const auto snap = h.core->snapshot(h.now().mono);
  ASSERT_EQ(snap.size(), 1u);
  EXPECT_EQ(snap[0].username, "alice");
  EXPECT_EQ(snap[0].client, c.tuple);
  ASSERT_EQ(snap[0].relayed.size(), 1u);
  EXPECT_EQ(snap[0].relayed[0], Harness::relayed(*r));
  EXPECT_EQ(snap[0].lifetime_left_s, 500);
  EXPECT_EQ(snap[0].permissions.size(), 2u);
  ASSERT_EQ(snap[0].channels.size(), 1u);
  EXPECT_EQ(snap[0].channels[0].first, 0x4001);
}

}  // namespace
}  // namespace sb::turn::test
