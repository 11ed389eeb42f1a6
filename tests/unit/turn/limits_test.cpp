// Abuse limits of the core (issue 10): allocations per client IP whatever the usernames (re-joining minted
// a fresh username each time), the default per-allocation bandwidth cap and the server-wide one.
#include "turn_harness.hpp"

namespace sb::turn::test {
namespace {

using namespace std::chrono_literals;

TEST(TurnLimits, AllocationsPerClientIpWhateverTheUsername) {
  Harness h;
  h.cfg.max_allocations_per_ip = 2;
  h.start();
  TestClient a{udp_tuple(1, 1001)}, b{udp_tuple(1, 1002)}, c{udp_tuple(1, 1003)};
  b.username = c.username = "bob";
  b.password = c.password = "hunter2";
  EXPECT_TRUE(Harness::is_success(h.allocate(a)));
  EXPECT_TRUE(Harness::is_success(h.allocate(b)));
  EXPECT_EQ(Harness::code_of(h.allocate(c)), 486);  // bob has quota left; 192.0.2.1 has none
  TestClient other{udp_tuple(2)};
  EXPECT_TRUE(Harness::is_success(h.allocate(other)));
  EXPECT_EQ(h.core->metrics().quota_refusals_of(Quota::kIpFull), 1u);
  EXPECT_TRUE(Harness::is_success(h.refresh(a, 0)));
  EXPECT_TRUE(Harness::is_success(h.allocate(c)));
}

TEST(TurnLimits, Ipv6ClientsCountPerSlash64) {
  Harness h;
  h.cfg.max_allocations_per_ip = 1;
  h.start();
  auto v6 = [](const char* ip) {
    return FiveTuple{*TransportAddress::parse(std::string("[") + ip + "]:5000"),
                     *TransportAddress::parse("[2001:db8::1]:3478"), Transport::kUdp};
  };
  TestClient a{v6("2001:db8:5:6::1")}, b{v6("2001:db8:5:6::2")}, c{v6("2001:db8:5:7::1")};
  EXPECT_TRUE(Harness::is_success(h.allocate(a)));
  EXPECT_EQ(Harness::code_of(h.allocate(b)), 486);
  EXPECT_TRUE(Harness::is_success(h.allocate(c)));
}

// One anonymous credential relayed 14.8 MB/s: now 16 Mbit/s (2 MB/s) per allocation unless configured.
TEST(TurnLimits, DefaultBandwidthCapIs16MbitPerAllocation) {
  EXPECT_EQ(TurnConfig{}.bandwidth_bytes_per_s, 2'000'000u);
  Harness h;
  h.start();
  TestClient c{udp_tuple(1)};
  ASSERT_TRUE(Harness::is_success(h.allocate(c)));
  ASSERT_TRUE(Harness::is_success(h.permit(c, peer_v4(1))));
  const std::vector<std::uint8_t> payload(1000, 0x11);
  stun::Message m(stun::MessageType{stun::Method::kSend, stun::Class::kIndication}, stun::TransactionId::random());
  m.add(stun::XorPeerAddress{peer_v4(1)}).add(stun::Data{payload});
  int relayed = 0;
  for (int i = 0; i < 2500; ++i) relayed += h.send_bytes(c.tuple, m.bytes()).action == Action::kToPeer;
  EXPECT_EQ(relayed, 2000);  // one second's worth at once, then nothing until time passes
  h.advance(1s);
  EXPECT_EQ(h.send_bytes(c.tuple, m.bytes()).action, Action::kToPeer);
}

TEST(TurnLimits, ServerWideCapIsSharedOutAmongShards) {
  Harness h;
  h.cfg.bandwidth_bytes_per_s = 0;  // no cap per allocation: only the server's
  h.cfg.total_bandwidth_bytes_per_s = 20'000;
  h.start();
  h.core = std::make_unique<TurnCore>(*h.shared, h.binder, h.registry, 0, 2);  // one of two shards: 10,000 B/s
  TestClient a{udp_tuple(1)}, b{udp_tuple(2)};
  ASSERT_TRUE(Harness::is_success(h.allocate(a)) && Harness::is_success(h.allocate(b)));
  ASSERT_TRUE(Harness::is_success(h.permit(a, peer_v4(1))) && Harness::is_success(h.permit(b, peer_v4(1))));
  const std::vector<std::uint8_t> payload(1000, 0x22);
  stun::Message m(stun::MessageType{stun::Method::kSend, stun::Class::kIndication}, stun::TransactionId::random());
  m.add(stun::XorPeerAddress{peer_v4(1)}).add(stun::Data{payload});
  int relayed = 0;
  for (int i = 0; i < 10; ++i) {
    relayed += h.send_bytes(a.tuple, m.bytes()).action == Action::kToPeer;
    relayed += h.send_bytes(b.tuple, m.bytes()).action == Action::kToPeer;
  }
  EXPECT_EQ(relayed, 10);  // both allocations together
  EXPECT_EQ(h.core->metrics().dropped(DropReason::kServerBandwidth), 10u);
  h.advance(1s);
  EXPECT_EQ(h.send_bytes(a.tuple, m.bytes()).action, Action::kToPeer);
}

}  // namespace
}  // namespace sb::turn::test
