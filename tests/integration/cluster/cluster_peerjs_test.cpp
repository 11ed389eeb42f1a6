// PeerJS re-attach across the nodes of a cluster (issue 15; docs/cluster.md, "Re-attach across nodes"): a
// connection on one node with the id and token of a client connected to the other takes the id over as on one
// node (no OPEN, the old socket closed with 1000, what is sent to the id from then on reaches the new socket);
// another token gets ID-TAKEN; messages sent while the id changes nodes all arrive, on one socket or the other;
// a dead holder's id is refused until the sweep frees it. Raw WebSocket clients speaking PeerJS.
#include <gtest/gtest.h>
#include <signal.h>

#include <set>
#include <thread>

#include "cluster_fixture.hpp"

namespace sb::itest {
namespace {

// A burst of messages from one client is part of one test: the per-connection rate limit stays out of its way.
const std::vector<std::string> kPeerjs = {"--peerjs-path", "/", "--peerjs-expire-timeout", "30",
                                          "--rate-limit", "10000", "--rate-burst", "10000"};
const std::string kRoom = "sb:room:peerjs/peerjs";

class ClusterPeerjs : public ClusterTest {
 protected:
  void SetUp() override {
    start_node("node1", kPeerjs);
    start_node("node2", kPeerjs);
  }
  std::uint16_t port(const std::string& node) { return nodes_.at(node)->port("http"); }
};

TEST_F(ClusterPeerjs, ReattachOnAnotherNodeTakesTheIdOverWithoutOpen) {
  auto old = peerjs_open(port("node1"), "alice", "secret");
  auto bob = peerjs_open(port("node1"), "bob");    // on the holder's node
  auto carol = peerjs_open(port("node2"), "carol");  // on the new node
  auto again = peerjs_connect(port("node2"), "alice", "secret");
  ASSERT_TRUE(old->wait_closed(kWait)) << "the replaced connection is closed";
  EXPECT_EQ(old->close_code(), 1000);
  // The id's record names node2 now, and holds a digest of the token, never the token.
  const std::string record = redis({"HGET", kRoom, "alice"});
  EXPECT_EQ(record.rfind("node2\n", 0), 0u) << record;
  EXPECT_EQ(record.find("secret"), std::string::npos) << record;
  EXPECT_EQ(redis({"SISMEMBER", "sb:members:node2", "peerjs/peerjs\nalice"}), "1");
  EXPECT_EQ(redis({"SISMEMBER", "sb:members:node1", "peerjs/peerjs\nalice"}), "0");

  ASSERT_TRUE(bob->send_json({{"type", "OFFER"}, {"dst", "alice"}, {"payload", {{"sdp", "from node1"}}}}));
  const auto offer = expect_message(*again, "OFFER");  // the first frame: no OPEN before it
  EXPECT_EQ(str_field(offer, "src"), "bob");
  EXPECT_EQ(offer["payload"]["sdp"], "from node1");
  ASSERT_TRUE(carol->send_json({{"type", "CANDIDATE"}, {"dst", "alice"}, {"payload", {{"c", 1}}}}));
  EXPECT_EQ(str_field(expect_message(*again, "CANDIDATE"), "src"), "carol");
  ASSERT_TRUE(again->send_json({{"type", "ANSWER"}, {"dst", "bob"}, {"src", "mallory"}, {"payload", 2}}));
  EXPECT_EQ(str_field(expect_message(*bob, "ANSWER"), "src"), "alice");
  expect_silence(*bob, 0ms);

  // The id is node2's: its own close frees it for anyone, on either node.
  again->close();
  ASSERT_TRUE(again->wait_closed(kWait));
  const auto freed = within(kWait, [&] { return redis({"HEXISTS", kRoom, "alice"}) == "0"; });
  ASSERT_TRUE(freed.has_value()) << "the re-attached id outlived its connection";
  peerjs_open(port("node1"), "alice", "another");
}

TEST_F(ClusterPeerjs, ReattachOnAnotherNodeWithAnotherTokenIsIdTaken) {
  auto holder = peerjs_open(port("node1"), "alice", "secret");
  auto bob = peerjs_open(port("node2"), "bob");
  auto thief = peerjs_connect(port("node2"), "alice", "guess");
  expect_peerjs_id_taken(*thief, *holder, *bob, "alice", "bob");
  EXPECT_EQ(redis({"HGET", kRoom, "alice"}).rfind("node1\n", 0), 0u);
}

// Every message bob sends to alice while her id moves from node1 to node2 reaches one of her two sockets, once:
// the old one until the take-over, the new one after it (peer 1.0.2 also writes to whichever socket the id has
// when the message arrives).
TEST_F(ClusterPeerjs, MessagesSentWhileTheIdChangesNodesAreNotLost) {
  constexpr int kDuring = 200, kAfter = 20;
  auto old = peerjs_open(port("node1"), "alice", "secret");
  auto bob = peerjs_open(port("node1"), "bob");
  const auto offer = [&](int i) { return bob->send_json({{"type", "OFFER"}, {"dst", "alice"}, {"payload", i}}); };
  std::thread sender([&] {
    for (int i = 0; i < kDuring; ++i) EXPECT_TRUE(offer(i));
  });
  auto again = peerjs_connect(port("node2"), "alice", "secret");
  sender.join();
  ASSERT_TRUE(old->wait_closed(kWait));
  for (int i = kDuring; i < kDuring + kAfter; ++i) ASSERT_TRUE(offer(i));

  std::multiset<int> got;
  int on_old = 0;
  while (auto m = old->receive_json(0ms)) {
    ASSERT_EQ(str_field(*m, "type"), "OFFER") << m->dump();
    got.insert((*m)["payload"].get<int>());
    ++on_old;
  }
  while (static_cast<int>(got.size()) < kDuring + kAfter) {
    auto m = again->receive_json(kWait);
    ASSERT_TRUE(m.has_value()) << got.size() << " of " << kDuring + kAfter << " messages arrived";
    ASSERT_EQ(str_field(*m, "type"), "OFFER") << m->dump();
    got.insert((*m)["payload"].get<int>());
  }
  for (int i = 0; i < kDuring + kAfter; ++i) EXPECT_EQ(got.count(i), 1u) << "message " << i;
  std::cout << "[ measured ] " << on_old << " of " << kDuring << " messages sent during the take-over reached the "
            << "old socket, the rest the new one\n";
  expect_silence(*again);
  expect_silence(*bob, 0ms);  // no EXPIRE
}

// A holder that died cannot hand its id over: ID-TAKEN, until the sweep removes the dead node's members (node-ttl
// + 2 s); then the id is free and the client registers afresh (OPEN).
TEST_F(ClusterPeerjs, ADeadHoldersIdIsTakenUntilTheSweepFreesIt) {
  auto old = peerjs_open(port("node1"), "alice", "secret");
  const auto killed = Clock::now();
  nodes_.at("node1")->signal(SIGKILL);
  ASSERT_TRUE(nodes_.at("node1")->wait_exit(kWait).has_value());
  auto again = peerjs_connect(port("node2"), "alice", "secret");
  expect_message(*again, "ID-TAKEN");
  const auto freed = within(kDeadNodeBound + kSlack, [&] { return redis({"HEXISTS", kRoom, "alice"}) == "0"; });
  ASSERT_TRUE(freed.has_value()) << "the dead node's id was never swept";
  EXPECT_LT(Clock::now() - killed, 15s);
  peerjs_open(port("node2"), "alice", "secret");
}

}  // namespace
}  // namespace sb::itest
