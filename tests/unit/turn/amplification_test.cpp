// What an unauthenticated request can make the server send (issue 10, "Amplification"): a spoofed source
// address gets every answer, so no answer before authentication carries SOFTWARE, every unauthenticated
// error answer (401, 438, 400) is rate-limited per source IP, and the size of each answer is the one
// docs/turn.md lists ("Answer sizes").
#include "turn_harness.hpp"

namespace sb::turn::test {
namespace {

using stun::Method;

struct Amplification : ::testing::Test {
  Harness h;
  void SetUp() override {
    h.cfg.software = std::string(200, 's');  // a long one, to make any leak obvious
    h.cfg.unauthorized_rate = 1;
    h.cfg.unauthorized_burst = 40;
    h.start();
  }
  // One answer to `request` from a fresh source; its size (0 = none) and whether it has SOFTWARE.
  std::pair<std::size_t, bool> answer(const stun::Message& request, std::uint8_t source) {
    const Output o = h.send_bytes(udp_tuple(source), request.bytes());
    if (o.action != Action::kToClient) return {0, false};
    auto m = stun::Message::decode(o.bytes);
    EXPECT_TRUE(m.ok());
    return {o.bytes.size(), m.ok() && m->view().has(stun::attr::kSoftware)};
  }
};

stun::Message bare(Method method) { return Harness::build(method, {}); }

stun::Message with_bad_nonce() {
  TestClient c{udp_tuple(1)};
  c.username = "a";
  c.realm = "r";
  c.nonce = "n";
  auto m = bare(Method::kAllocate);
  Harness::sign(m, c);
  return m;
}

TEST_F(Amplification, UnauthenticatedAnswersHaveNoSoftwareAndTheDocumentedSizes) {
  // 401 to a bare 20-byte Allocate: ERROR-CODE "Unauthorized", REALM "signalbox", 48-character NONCE.
  const auto unauthorized = answer(bare(Method::kAllocate), 1);
  EXPECT_EQ(unauthorized, std::make_pair(std::size_t{108}, false));
  // 438 to the smallest request that reaches the nonce check (68 bytes): same size as 401.
  const auto bad_nonce = with_bad_nonce();
  EXPECT_EQ(bad_nonce.size(), 68u);
  EXPECT_EQ(answer(bad_nonce, 2), std::make_pair(std::size_t{108}, false));
  // 400 to an unknown method; 400 to integrity without USERNAME/REALM/NONCE.
  const auto unknown = Harness::build(static_cast<Method>(0x0FF), {});
  EXPECT_EQ(answer(unknown, 3), std::make_pair(std::size_t{40}, false));
  auto no_user = bare(Method::kAllocate);
  no_user.add_message_integrity(stun::long_term_key_md5("a", "r", "p"));
  EXPECT_EQ(answer(no_user, 4), std::make_pair(std::size_t{40}, false));
  // Binding is not the core's to answer (stun::BindingService in front of it does, with its own bound).
  EXPECT_EQ(answer(stun::Message(stun::kBindingRequest, stun::TransactionId::random()), 5),
            std::make_pair(std::size_t{0}, false));
}

TEST_F(Amplification, AuthenticatedAnswersCarrySoftware) {
  TestClient c{udp_tuple(9)};
  auto r = h.allocate(c);
  ASSERT_TRUE(Harness::is_success(r));
  EXPECT_EQ(r->view().get<stun::Software>()->value, h.cfg.software);
  TestClient stranger{udp_tuple(10)};
  auto e = h.refresh(stranger, 600);  // 437 after authentication: the client proved who it is
  ASSERT_EQ(Harness::code_of(e), 437);
  EXPECT_TRUE(e->view().has(stun::attr::kSoftware));
}

// A garbage nonce used to draw 438 every time (200 of 200), 1.6x the request, with a fresh nonce.
TEST_F(Amplification, StaleNonceAnswersAreRateLimitedLike401) {
  const auto m = with_bad_nonce();
  int answered = 0;
  for (int i = 0; i < 200; ++i) {
    answered += h.send_bytes(udp_tuple(1, static_cast<std::uint16_t>(2000 + i)), m.bytes()).action == Action::kToClient;
  }
  EXPECT_EQ(answered, 40);
  EXPECT_EQ(h.core->metrics().dropped(DropReason::kRateLimited), 160u);
  EXPECT_EQ(h.core->metrics().auth_failed(AuthFailure::kBadNonce), 200u);
}

TEST_F(Amplification, UnauthenticatedBadRequestsShareTheLimit) {
  const auto unknown = Harness::build(static_cast<Method>(0x0FF), {});
  int answered = 0;
  for (int i = 0; i < 100; ++i) answered += h.send_bytes(udp_tuple(7), unknown.bytes()).action == Action::kToClient;
  EXPECT_EQ(answered, 40);
}

}  // namespace
}  // namespace sb::turn::test
