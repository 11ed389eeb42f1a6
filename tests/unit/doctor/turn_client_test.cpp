// The doctor's TURN client messages against the real TURN core (no sockets): the 401 challenge, signed
// requests, the error codes the doctor tells apart (401, 403, 486), 438, Send and Data indications.
#include <gtest/gtest.h>

#include "../turn/turn_harness.hpp"
#include "doctor/report.hpp"
#include "doctor/turn_client.hpp"
#include "stun/attr_nat.hpp"

namespace sb::doctor {
namespace {

using turn::test::Harness;

// Sends requests made by `make` through the core the way the native doctor does: a retry when TurnAuth
// asks for one. Returns the final answer's code (0: success) and keeps the last answer.
struct Client {
  Harness& h;
  turn::FiveTuple tuple;
  TurnAuth auth;
  std::optional<stun::Message> last;

  int transact(stun::Message (*make)()) { return transact_with([&] { return make(); }); }
  template <class Make>
  int transact_with(Make make) {
    for (int i = 0; i < 3; ++i) {
      stun::Message m = make();
      auth.sign(m);
      last = h.send(tuple, m);
      if (!last) return -1;
      EXPECT_EQ(last->transaction_id(), m.transaction_id());
      const auto o = auth.read(last->view());
      if (!o.retry) return o.code;
    }
    return -2;
  }
};

TEST(DoctorTurnClient, AllocatesAfterTheChallengeAndLearnsTheRelayedAddress) {
  Harness h;
  h.start();
  Client c{h, turn::test::udp_tuple(7), TurnAuth("alice", "secret"), {}};
  EXPECT_FALSE(c.auth.challenged());
  EXPECT_EQ(c.transact(&allocate_request), 0);
  EXPECT_TRUE(c.auth.challenged());
  const auto relayed = relayed_address(c.last->view());
  ASSERT_TRUE(relayed);
  EXPECT_EQ(relayed->ip_string(), "198.51.100.1");
  EXPECT_EQ(mapped_address(c.last->view()), c.tuple.client);  // Allocate success carries XOR-MAPPED-ADDRESS
  EXPECT_EQ(c.transact_with([] { return refresh_request(0); }), 0);
}

TEST(DoctorTurnClient, WrongPasswordEndsIn401AfterOneRetry) {
  Harness h;
  h.start();
  Client c{h, turn::test::udp_tuple(8), TurnAuth("alice", "wrong"), {}};
  EXPECT_EQ(c.transact(&allocate_request), 401);
  EXPECT_EQ(turn_error_of(401), TurnError::unauthorized);
}

TEST(DoctorTurnClient, QuotaAndPeerPolicyAreToldApart) {
  Harness h;
  h.cfg.max_allocations_per_user = 1;
  h.start();
  Client first{h, turn::test::udp_tuple(9, 4000), TurnAuth("alice", "secret"), {}};
  ASSERT_EQ(first.transact(&allocate_request), 0);
  Client second{h, turn::test::udp_tuple(9, 4001), TurnAuth("alice", "secret"), {}};
  EXPECT_EQ(second.transact(&allocate_request), 486);
  EXPECT_EQ(turn_error_of(486), TurnError::quota);
  // The default peer policy refuses loopback: 403 on CreatePermission.
  EXPECT_EQ(first.transact_with([] { return create_permission_request(*stun::TransportAddress::parse("127.0.0.1:9")); }),
            403);
  EXPECT_EQ(turn_error_of(403), TurnError::forbidden);
  EXPECT_EQ(first.transact_with([] { return create_permission_request(turn::test::peer_v4(5)); }), 0);
}

TEST(DoctorTurnClient, StaleNonceIsRetriedWithTheNewNonce) {
  Harness h;
  h.cfg.nonce_lifetime = std::chrono::seconds(30);  // stale long before the allocation expires
  h.start();
  Client c{h, turn::test::udp_tuple(10), TurnAuth("alice", "secret"), {}};
  ASSERT_EQ(c.transact(&allocate_request), 0);
  h.advance(h.cfg.nonce_lifetime + std::chrono::seconds(5));
  EXPECT_EQ(c.transact_with([] { return refresh_request(600); }), 0);
}

TEST(DoctorTurnClient, SendIndicationReachesThePeerAndDataComesBack) {
  Harness h;
  h.start();
  Client c{h, turn::test::udp_tuple(11), TurnAuth("alice", "secret"), {}};
  ASSERT_EQ(c.transact(&allocate_request), 0);
  const auto peer = turn::test::peer_v4(6);
  ASSERT_EQ(c.transact_with([&] { return create_permission_request(peer); }), 0);
  const std::array<std::uint8_t, 5> payload{1, 2, 3, 4, 5};
  const auto indication = send_indication(peer, payload);  // the core's output points into these bytes
  const auto out = h.send_bytes(c.tuple, indication.bytes());
  ASSERT_EQ(out.action, turn::Action::kToPeer);
  EXPECT_EQ(out.peer, peer);
  EXPECT_TRUE(std::equal(out.bytes.begin(), out.bytes.end(), payload.begin(), payload.end()));
  // The peer answers on the relay; the core frames it as a Data indication (no channel bound).
  std::array<std::uint8_t, 2048> buf{};
  std::copy(payload.begin(), payload.end(), buf.begin() + turn::kPeerHeadroom);
  const auto back = h.core->on_peer_datagram(out.relay, peer, buf, payload.size(), h.now().mono);
  ASSERT_EQ(back.action, turn::Action::kToClient);
  const auto m = stun::Message::decode(back.bytes);
  ASSERT_TRUE(m.ok());
  const auto d = read_data_indication(m->view());
  ASSERT_TRUE(d);
  EXPECT_EQ(d->peer, peer);
  EXPECT_TRUE(std::equal(d->data.begin(), d->data.end(), payload.begin(), payload.end()));
  EXPECT_FALSE(read_data_indication(binding_request().view()));
}

TEST(DoctorTurnClient, BindingRequestCarriesChangeRequestOnlyWhenAsked) {
  EXPECT_FALSE(binding_request().view().has(stun::attr::kChangeRequest));
  const auto m = binding_request(true, false);
  const auto c = m.view().get<stun::ChangeRequest>();
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->change_ip);
  EXPECT_FALSE(c->change_port);
  EXPECT_NE(binding_request().transaction_id(), binding_request().transaction_id());
}

}  // namespace
}  // namespace sb::doctor
