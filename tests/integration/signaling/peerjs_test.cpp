// PeerJS on the real server: re-attaching an id with its token (as peer 1.0.x: the new connection takes the
// id over without OPEN and gets what is sent to the id from then on; another token gets ID-TAKEN).
#include "signaling_harness.hpp"

namespace sb::itest {
namespace {

using nlohmann::json;

class PeerjsServer : public SignalingTest {
 protected:
  void SetUp() override { start_server({"--peerjs-path", "/app", "--peerjs-expire-timeout", "30"}); }
  std::unique_ptr<WsClient> peer(const std::string& id, const std::string& token) {
    WsOptions o;
    o.target = "/app/peerjs?key=peerjs&id=" + id + "&token=" + token + "&version=1.5.5";
    return connect(o);
  }
  std::unique_ptr<WsClient> open(const std::string& id, const std::string& token) {
    auto c = peer(id, token);
    expect_message(*c, "OPEN");
    return c;
  }
};

TEST_F(PeerjsServer, ReattachWithTheSameTokenTakesTheIdOverWithoutOpen) {
  auto old = open("alice", "secret");
  auto bob = open("bob", "t-bob");
  // The old socket is still registered (as after a network drop the server has not noticed yet).
  auto again = peer("alice", "secret");
  ASSERT_TRUE(old->wait_closed(kWait)) << "the replaced connection is closed";
  EXPECT_EQ(old->close_code(), 1000);
  ASSERT_TRUE(bob->send_json({{"type", "OFFER"}, {"dst", "alice"}, {"payload", {{"sdp", "o"}}}}));
  const auto offer = expect_message(*again, "OFFER");  // the first frame: no OPEN before it
  EXPECT_EQ(str_field(offer, "src"), "bob");
  EXPECT_EQ(offer["payload"]["sdp"], "o");
  ASSERT_TRUE(again->send_json({{"type", "ANSWER"}, {"dst", "bob"}, {"src", "mallory"}, {"payload", 2}}));
  const auto answer = expect_message(*bob, "ANSWER");
  EXPECT_EQ(str_field(answer, "src"), "alice");
  // Its own close later releases the id: a newcomer with another token gets it.
  again->close();
  ASSERT_TRUE(again->wait_closed(kWait));
  for (int attempt = 0;; ++attempt) {
    auto next = peer("alice", "other");
    const auto first = next->receive_json(kWait);
    ASSERT_TRUE(first.has_value());
    if (str_field(*first, "type") == "OPEN") break;
    // The server may see the close a moment after the client does.
    ASSERT_LT(attempt, 20) << first->dump();
  }
}

TEST_F(PeerjsServer, MessagesSentWhileTheIdChangesHandsReachTheNewConnection) {
  auto old = open("alice", "secret");
  auto bob = open("bob", "t-bob");
  old->close();
  ASSERT_TRUE(old->wait_closed(kWait));
  // Whether the server saw alice leave yet or not, the offer either waits for her or goes to her connection.
  auto again = peer("alice", "secret");
  ASSERT_TRUE(bob->send_json({{"type", "OFFER"}, {"dst", "alice"}, {"payload", 1}}));
  auto first = again->receive_json(kWait);
  ASSERT_TRUE(first.has_value());
  if (str_field(*first, "type") == "OPEN") first = again->receive_json(kWait);  // a fresh registration
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(str_field(*first, "type"), "OFFER");
  EXPECT_EQ(str_field(*first, "src"), "bob");
  expect_silence(*bob);
}

TEST_F(PeerjsServer, ReattachWithAnotherTokenIsIdTakenAndTheHolderKeepsTheId) {
  auto holder = open("alice", "secret");
  auto bob = open("bob", "t-bob");
  auto thief = peer("alice", "guess");
  expect_peerjs_id_taken(*thief, *holder, *bob, "alice", "bob");
}

}  // namespace
}  // namespace sb::itest
