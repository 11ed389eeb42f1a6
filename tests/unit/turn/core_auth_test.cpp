// Long-term authentication through the core (RFC 8489 §9.2.4): 401 challenge, good/bad/stale nonces,
// wrong password, 441, SHA-256 integrity, REST credentials, 401 rate limiting.
#include "turn_harness.hpp"

namespace sb::turn::test {
namespace {

using stun::Method;

TEST(TurnAuth, FirstRequestIsChallengedWithRealmAndNonce) {
  Harness h;
  h.start();
  TestClient c{udp_tuple(1)};
  auto r = h.send(c.tuple, Harness::build(Method::kAllocate, [](stun::Message& m) { m.add(stun::RequestedTransport{}); }));
  ASSERT_TRUE(r);
  EXPECT_EQ(Harness::error_code(*r), 401);
  EXPECT_EQ(r->view().get<stun::Realm>()->value, "signalbox");
  EXPECT_EQ(r->view().get<stun::Nonce>()->value.size(), NonceCodec::kNonceSize);
  EXPECT_FALSE(r->view().message_integrity());
  EXPECT_EQ(h.core->metrics().auth_failed(AuthFailure::kNoCredentials), 1u);
  EXPECT_EQ(h.core->allocation_count(), 0u);
}

TEST(TurnAuth, GoodCredentialsAllocateAndResponseIsSigned) {
  Harness h;
  h.start();
  TestClient c{udp_tuple(1)};
  auto r = h.allocate(c);
  ASSERT_TRUE(Harness::is_success(r));
  const auto key = stun::long_term_key_md5("alice", "signalbox", "secret");
  EXPECT_TRUE(stun::verify_message_integrity(r->view(), key));
  EXPECT_EQ(r->view().get<stun::XorMappedAddress>()->address, c.tuple.client);
  EXPECT_EQ(r->view().get<stun::Lifetime>()->seconds, 600u);
  EXPECT_EQ(h.core->allocation_count(), 1u);
  EXPECT_EQ(h.binder.open.size(), 1u);
}

TEST(TurnAuth, WrongPasswordIs401) {
  Harness h;
  h.start();
  TestClient c{udp_tuple(1)};
  c.password = "wrong";
  auto r = h.allocate(c);
  EXPECT_EQ(Harness::code_of(r), 401);
  EXPECT_EQ(h.core->metrics().auth_failed(AuthFailure::kBadIntegrity), 1u);
  EXPECT_EQ(h.core->allocation_count(), 0u);
}

TEST(TurnAuth, UnknownUserIs401) {
  Harness h;
  h.start();
  TestClient c{udp_tuple(1)};
  c.username = "mallory";
  EXPECT_EQ(Harness::code_of(h.allocate(c)), 401);
  EXPECT_EQ(h.core->metrics().auth_failed(AuthFailure::kUnknownUser), 1u);
}

TEST(TurnAuth, MissingNonceWithIntegrityIs400) {
  Harness h;
  h.start();
  TestClient c{udp_tuple(1)};
  auto m = Harness::build(Method::kAllocate, [](stun::Message& x) { x.add(stun::RequestedTransport{}); });
  m.add(stun::Username{"alice"}).add(stun::Realm{"signalbox"});
  m.add_message_integrity(stun::long_term_key_md5("alice", "signalbox", "secret"));
  EXPECT_EQ(Harness::code_of(h.send(c.tuple, m)), 400);
}

TEST(TurnAuth, StaleNonceIs438WithAFreshNonceThatWorks) {
  Harness h;
  h.cfg.nonce_lifetime = std::chrono::seconds(600);
  h.start();
  TestClient c{udp_tuple(1)};
  ASSERT_TRUE(Harness::is_success(h.allocate(c, [](stun::Message& m) { m.add(stun::Lifetime{3600}); })));
  const std::string old_nonce = c.nonce;
  h.advance(std::chrono::seconds(601));
  auto m = Harness::build(Method::kRefresh, {});
  Harness::sign(m, c);
  auto r = h.send(c.tuple, m);
  ASSERT_EQ(Harness::code_of(r), 438);
  const std::string fresh(r->view().get<stun::Nonce>()->value);
  EXPECT_NE(fresh, old_nonce);
  EXPECT_EQ(r->view().get<stun::Realm>()->value, "signalbox");
  EXPECT_EQ(h.core->metrics().auth_failed(AuthFailure::kStaleNonce), 1u);
  c.nonce = fresh;
  auto m2 = Harness::build(Method::kRefresh, {});
  Harness::sign(m2, c);
  EXPECT_TRUE(Harness::is_success(h.send(c.tuple, m2)));
}

TEST(TurnAuth, ForgedOrForeignNonceIs438) {
  Harness h;
  h.start();
  TestClient c{udp_tuple(1)};
  c.nonce = std::string(NonceCodec::kNonceSize, 'a');
  auto m = Harness::build(Method::kAllocate, [](stun::Message& x) { x.add(stun::RequestedTransport{}); });
  Harness::sign(m, c);
  EXPECT_EQ(Harness::code_of(h.send(c.tuple, m)), 438);
  // A nonce minted for another client address is not accepted from this one.
  TestClient other{udp_tuple(2)};
  ASSERT_TRUE(Harness::is_success(h.allocate(other)));
  c.nonce = other.nonce;
  auto m2 = Harness::build(Method::kAllocate, [](stun::Message& x) { x.add(stun::RequestedTransport{}); });
  Harness::sign(m2, c);
  EXPECT_EQ(Harness::code_of(h.send(c.tuple, m2)), 438);
  EXPECT_EQ(h.core->metrics().auth_failed(AuthFailure::kBadNonce), 2u);
}

TEST(TurnAuth, OtherUsersCredentialsOnAnAllocationAre441) {
  Harness h;
  h.start();
  TestClient alice{udp_tuple(1)};
  ASSERT_TRUE(Harness::is_success(h.allocate(alice)));
  TestClient bob{udp_tuple(1)};  // same 5-tuple, other user
  bob.username = "bob";
  bob.password = "hunter2";
  EXPECT_EQ(Harness::code_of(h.refresh(bob, 600)), 441);
  EXPECT_EQ(Harness::code_of(h.permit(bob, peer_v4(1))), 441);
  EXPECT_EQ(h.core->metrics().auth_failed(AuthFailure::kWrongUser), 2u);
}

TEST(TurnAuth, Sha256IntegrityIsVerifiedAndAnsweredInKind) {
  Harness h;
  h.start();
  TestClient c{udp_tuple(1)};
  c.sha256 = true;
  c.fingerprint = true;
  auto r = h.allocate(c);
  ASSERT_TRUE(Harness::is_success(r));
  const auto key = stun::long_term_key_md5("alice", "signalbox", "secret");
  EXPECT_TRUE(stun::verify_message_integrity_sha256(r->view(), key));
  EXPECT_FALSE(r->view().message_integrity());
  EXPECT_TRUE(stun::verify_fingerprint(r->view()));
  c.password = "wrong";
  EXPECT_EQ(Harness::code_of(h.refresh(c, 600)), 401);
}

TEST(TurnAuth, RestCredentialsExpireAndTwoSecretsRotate) {
  Harness h;
  h.source = std::make_shared<RestCredentials>(std::vector<std::string>{"new-secret", "old-secret"});
  h.start();
  const auto unix_now = h.clock.unix_seconds();
  for (const char* secret : {"new-secret", "old-secret"}) {
    const auto cred = mint_rest_credential(secret, "carol", unix_now, 3600);
    TestClient c{udp_tuple(secret[0] == 'n' ? 1 : 2)};
    c.username = cred.username;
    c.password = cred.password;
    EXPECT_TRUE(Harness::is_success(h.allocate(c))) << secret;
  }
  // Per-user quota counts "carol", not the whole REST username.
  EXPECT_EQ(h.shared->allocations_of("carol"), 2u);
  const auto unknown = mint_rest_credential("retired-secret", "carol", unix_now, 3600);
  TestClient c3{udp_tuple(3)};
  c3.username = unknown.username;
  c3.password = unknown.password;
  EXPECT_EQ(Harness::code_of(h.allocate(c3)), 401);
  const auto expired = mint_rest_credential("new-secret", "carol", unix_now - 100, 60);
  TestClient c4{udp_tuple(4)};
  c4.username = expired.username;
  c4.password = expired.password;
  EXPECT_EQ(Harness::code_of(h.allocate(c4)), 401);
  EXPECT_EQ(h.core->metrics().auth_failed(AuthFailure::kExpired), 1u);
}

// A TURN REST credential's expiry ends what it can start, not the allocation it made: a relayed call outlives
// a short credential lifetime (10 min by default), while nothing new can be allocated with it.
TEST(TurnAuth, RestCredentialExpiryEndsNewAllocationsNotLiveOnes) {
  Harness h;
  h.source = std::make_shared<RestCredentials>(std::vector<std::string>{"s"});
  h.cfg.nonce_lifetime = std::chrono::seconds(3600);
  h.start();
  const auto cred = mint_rest_credential("s", "dave", h.clock.unix_seconds(), 120);
  TestClient c{udp_tuple(1)}, other{udp_tuple(2)};
  c.username = other.username = cred.username;
  c.password = other.password = cred.password;
  ASSERT_TRUE(Harness::is_success(h.allocate(c)));
  h.advance(std::chrono::seconds(121));
  // The allocation it made keeps being refreshed and used...
  EXPECT_TRUE(Harness::is_success(h.refresh(c, 600)));
  EXPECT_TRUE(Harness::is_success(h.permit(c, peer_v4(1))));
  h.advance(std::chrono::seconds(500));
  EXPECT_TRUE(Harness::is_success(h.refresh(c, 600)));
  // ... but no new allocation, from this 5-tuple or another; and with a wrong password still nothing.
  EXPECT_EQ(Harness::code_of(h.allocate(other)), 401);
  TestClient wrong = c;
  wrong.password = "nope";
  EXPECT_EQ(Harness::code_of(h.refresh(wrong, 600)), 401);
  EXPECT_TRUE(Harness::is_success(h.refresh(c, 0)));
  EXPECT_EQ(Harness::code_of(h.allocate(c)), 401);
  // Once its allocation is gone, the expired credential serves nothing on that 5-tuple either.
  EXPECT_EQ(Harness::code_of(h.refresh(c, 600)), 401);
  EXPECT_EQ(h.core->metrics().auth_failed(AuthFailure::kExpired), 3u);
}

TEST(TurnAuth, UnauthorizedAnswersAreRateLimitedPerSource) {
  Harness h;
  h.cfg.unauthorized_rate = 1;
  h.cfg.unauthorized_burst = 3;
  h.start();
  const auto req = Harness::build(Method::kAllocate, [](stun::Message& m) { m.add(stun::RequestedTransport{}); });
  int answered = 0;
  for (int i = 0; i < 10; ++i) answered += h.send(udp_tuple(1, static_cast<std::uint16_t>(1000 + i)), req) ? 1 : 0;
  EXPECT_EQ(answered, 3);  // source ports do not matter: the IP is limited
  EXPECT_EQ(h.core->metrics().dropped(DropReason::kRateLimited), 7u);
  EXPECT_TRUE(h.send(udp_tuple(2), req));  // another source has its own budget
  h.advance(std::chrono::seconds(2));
  EXPECT_TRUE(h.send(udp_tuple(1), req));
}

TEST(TurnAuth, UnknownComprehensionRequiredAttributeIs420) {
  Harness h;
  h.start();
  TestClient c{udp_tuple(1)};
  auto r = h.request(c, Method::kAllocate, [](stun::Message& m) {
    m.add(stun::RequestedTransport{});
    const std::uint8_t v[4] = {1, 2, 3, 4};
    m.add_raw(0x7F01, v);
  });
  ASSERT_EQ(Harness::code_of(r), 420);
  const auto u = r->view().get<stun::UnknownAttributes>();
  ASSERT_TRUE(u);
  ASSERT_EQ(u->count, 1u);
  EXPECT_EQ(u->types[0], 0x7F01);
}

// The front end answers Binding before the core sees it (net/turn_worker.cpp, stun::BindingService): one
// Binding handler. A Binding request that reaches the core anyway is dropped, unanswered.
TEST(TurnAuth, BindingRequestIsNotTheCoresToAnswer) {
  Harness h;
  h.start();
  const auto t = udp_tuple(9, 1234);
  auto r = h.send(t, stun::Message(stun::kBindingRequest, stun::TransactionId::random()));
  EXPECT_FALSE(r);
}

}  // namespace
}  // namespace sb::turn::test
