// signalbox nodes as processes sharing a throwaway redis-server: a room split across nodes, the capacity race,
// a killed node, Redis restarted and flushed, a node drained with SIGTERM, forged targets, and TURN credentials
// that work on every node. The failure bounds of docs/cluster.md are measured here.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <map>
#include <thread>

#include "cluster_fixture.hpp"
#include "turn_probe.hpp"

namespace sb::itest {
namespace {

// a on node1, b on node2 in one room, each told of the other.
struct Pair {
  std::unique_ptr<WsClient> a, b;
  std::string a_id, b_id;
};
Pair pair_across(ClusterTest* t, std::function<std::unique_ptr<WsClient>(const std::string&)> connect,
                 const std::string& room) {
  (void)t;
  Pair p{connect("node1"), connect("node2"), "", ""};
  p.a_id = join(*p.a, room, "alice");
  p.b_id = join(*p.b, room, "bob");
  auto announced = expect_message(*p.a, "peer-joined");
  EXPECT_EQ(str_field(announced, "id"), p.b_id);
  EXPECT_EQ(str_field(announced, "name"), "bob");
  return p;
}

#define PAIR(room) pair_across(this, [this](const std::string& n) { return connect(n); }, room)

TEST_F(ClusterTest, JoinAndRelaySplitAcrossNodes) {
  // The per-connection rate limit and send queue would stop 1,000 candidates in one burst (a burst read from
  // Redis arrives at once); this test is about their order.
  const std::vector<std::string> burst = {"--rate-limit", "100000", "--rate-burst", "100000",
                                          "--send-queue-messages", "2000"};
  start_node("node1", burst);
  start_node("node2", burst);
  auto a = connect("node1");
  auto b = connect("node2");
  const auto a_id = join(*a, "split", "alice");
  ASSERT_TRUE(b->send_json({{"type", "join"}, {"room", "split"}, {"name", "bob"}}));
  auto joined = expect_message(*b, "joined");
  ASSERT_EQ(joined["peers"].size(), 1u) << joined.dump();
  EXPECT_EQ(str_field(joined["peers"][0], "id"), a_id);
  EXPECT_EQ(str_field(joined["peers"][0], "name"), "alice");
  const auto b_id = str_field(joined, "id");
  EXPECT_EQ(str_field(expect_message(*a, "peer-joined"), "id"), b_id);

  ASSERT_TRUE(b->send_json({{"type", "offer"}, {"to", a_id}, {"sdp", "v=0 offer"}}));
  auto offer = expect_message(*a, "offer");
  EXPECT_EQ(str_field(offer, "from"), b_id);
  EXPECT_EQ(str_field(offer, "sdp"), "v=0 offer");
  ASSERT_TRUE(a->send_json({{"type", "answer"}, {"to", b_id}, {"sdp", "v=0 answer"}}));
  EXPECT_EQ(str_field(expect_message(*b, "answer"), "from"), a_id);
  constexpr int kCandidates = 1000;
  for (int i = 0; i < kCandidates; ++i) {
    ASSERT_TRUE(a->send_json({{"type", "candidate"}, {"to", b_id},
                              {"candidate", {{"candidate", "candidate:" + std::to_string(i) + " 1 udp 1 192.0.2.2 9 typ host"},
                                             {"sdpMid", "0"}, {"sdpMLineIndex", 0}}}}));
  }
  for (int i = 0; i < kCandidates; ++i) {
    auto c = expect_message(*b, "candidate");
    ASSERT_EQ(str_field(c, "from"), a_id);
    ASSERT_EQ(c["candidate"]["candidate"], "candidate:" + std::to_string(i) + " 1 udp 1 192.0.2.2 9 typ host");
  }
  const auto m = parse_prometheus(http_get("127.0.0.1", nodes_["node1"]->port("http"), "/metrics").body);
  EXPECT_GE(metric(m, "signalbox_cluster_messages_total", {{"direction", "out"}}).value_or(0), kCandidates + 1);
  EXPECT_EQ(metric(m, "signalbox_cluster_redis_up").value_or(0), 1);
  const auto health = http_get("127.0.0.1", nodes_["node2"]->port("http"), "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body.substr(0, 3), "ok\n") << health.body;
}

TEST_F(ClusterTest, CapacityRaceAdmitsExactlyTheRoomSize) {
  start_node("node1", {"--max-peers-per-room", "4"});
  start_node("node2", {"--max-peers-per-room", "4"});
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 10; ++i) clients.push_back(connect(i % 2 ? "node2" : "node1"));
  for (auto& c : clients) ASSERT_TRUE(c->send_json({{"type", "join"}, {"room", "race"}}));
  int joined = 0, full = 0;
  for (auto& c : clients) {
    for (;;) {
      auto m = c->receive_json(kWait);
      ASSERT_TRUE(m.has_value()) << "no answer to a join";
      if (type_of(*m) == "joined") ++joined;
      if (type_of(*m) == "error" && str_field(*m, "code") == "room-full") ++full;
      if (type_of(*m) == "joined" || type_of(*m) == "error") break;
    }
  }
  EXPECT_EQ(joined, 4);
  EXPECT_EQ(full, 6);
  EXPECT_EQ(redis({"HLEN", "sb:room:race"}), "4");
}

TEST_F(ClusterTest, UnknownOrForgedTargetOnAnotherNode) {
  start_node("node1");
  start_node("node2");
  auto p = PAIR("here");
  auto c = connect("node2");
  const auto c_id = join(*c, "elsewhere");
  // c exists, on the node that holds b, but in another room: nothing reaches it.
  ASSERT_TRUE(p.a->send_json({{"type", "offer"}, {"to", c_id}, {"sdp", "v=0"}}));
  expect_error(*p.a, "unknown-peer", "to", "offer");
  ASSERT_TRUE(p.a->send_json({{"type", "candidate"}, {"to", unused_peer_id()}, {"candidate", nullptr}}));
  expect_error(*p.a, "unknown-peer", "to", "candidate");
  expect_silence(*c);
  expect_silence(*p.b);
}

TEST_F(ClusterTest, KilledNodesPeersLeaveWithNodeLostWithinTheBound) {
  start_node("node1");
  auto& node2 = start_node("node2");
  auto p = PAIR("doomed");
  const auto killed = Clock::now();
  node2.signal(SIGKILL);
  auto left = expect_message(*p.a, "peer-left", std::chrono::duration_cast<milliseconds>(kDeadNodeBound + kSlack));
  const auto took = Clock::now() - killed;
  EXPECT_EQ(str_field(left, "id"), p.b_id);
  EXPECT_EQ(str_field(left, "reason"), "node-lost");
  std::cout << "[ measured ] a dead node's peer left after "
            << std::chrono::duration_cast<milliseconds>(took).count() << " ms (bound "
            << std::chrono::duration_cast<milliseconds>(kDeadNodeBound).count() << " ms)\n";
  EXPECT_LT(took, 15s);
  EXPECT_EQ(redis({"HLEN", "sb:room:doomed"}), "1");
  EXPECT_EQ(redis({"SISMEMBER", "sb:nodes", "node2"}), "0");
  node2.wait_exit(kWait);
}

// An offer from `from` to `to_id` that reaches `to` (true) or is answered with `unavailable` (false).
bool offer_arrives(WsClient& from, WsClient& to, const std::string& to_id, const std::string& sdp) {
  EXPECT_TRUE(from.send_json({{"type", "offer"}, {"to", to_id}, {"sdp", sdp}}));
  for (;;) {
    if (auto got = to.receive_json(200ms); got && type_of(*got) == "offer") return str_field(*got, "sdp") == sdp;
    if (auto err = from.receive_json(0ms)) {
      EXPECT_EQ(str_field(*err, "code"), "unavailable") << err->dump();
      return false;
    }
  }
}

TEST_F(ClusterTest, RedisRestartRecoversWithoutClientsReconnecting) {
  start_node("node1");
  start_node("node2");
  auto p = PAIR("across");
  auto c = connect("node1");
  auto d = connect("node1");
  join(*c, "local");
  const auto d_id = join(*d, "local");
  expect_message(*c, "peer-joined");

  redis_.kill();
  // Within one node, calls go on; across nodes and for joins, the answer is `unavailable`.
  ASSERT_TRUE(c->send_json({{"type", "offer"}, {"to", d_id}, {"sdp", "still here"}}));
  EXPECT_EQ(str_field(expect_message(*d, "offer"), "sdp"), "still here");
  auto unavailable = within(kWait, [&] { return !offer_arrives(*p.a, *p.b, p.b_id, "x"); });
  EXPECT_TRUE(unavailable.has_value()) << "a cross-node relay kept working without Redis";
  auto e = connect("node2");
  ASSERT_TRUE(e->send_json({{"type", "join"}, {"room", "later"}}));
  expect_error(*e, "unavailable", "", "join");
  const auto degraded = http_get("127.0.0.1", nodes_["node1"]->port("http"), "/healthz");
  EXPECT_EQ(degraded.status, 200);
  EXPECT_EQ(degraded.body.substr(0, 9), "degraded\n") << degraded.body;

  redis_.start();
  auto back = within(kReassertBound + kSlack, [&] { return offer_arrives(*p.a, *p.b, p.b_id, "back"); });
  ASSERT_TRUE(back.has_value()) << "cross-node relays did not come back";
  std::cout << "[ measured ] cross-node relay back " << std::chrono::duration_cast<milliseconds>(*back).count()
            << " ms after Redis restarted (bound " << std::chrono::duration_cast<milliseconds>(kReassertBound).count()
            << " ms)\n";
  // Both members were put back: the room of two is full again, and nobody had to reconnect.
  auto reasserted = within(kReassertBound + kSlack, [&] { return redis({"HLEN", "sb:room:across"}) == "2"; });
  ASSERT_TRUE(reasserted.has_value());
  ASSERT_TRUE(e->send_json({{"type", "join"}, {"room", "across"}}));
  expect_error(*e, "room-full", "", "join");
  for (auto* client : {p.a.get(), p.b.get(), c.get(), d.get()}) EXPECT_FALSE(client->closed());
}

TEST_F(ClusterTest, FlushallIsRecoveredByReassertion) {
  start_node("node1");
  start_node("node2");
  auto p = PAIR("flushed");
  redis({"FLUSHALL"});
  const auto reasserted = within(kReassertBound + kSlack, [&] { return redis({"HLEN", "sb:room:flushed"}) == "2"; });
  ASSERT_TRUE(reasserted.has_value()) << "the members were not put back";
  std::cout << "[ measured ] members back in Redis " << std::chrono::duration_cast<milliseconds>(*reasserted).count()
            << " ms after FLUSHALL (bound " << std::chrono::duration_cast<milliseconds>(kReassertBound).count()
            << " ms)\n";
  EXPECT_TRUE(offer_arrives(*p.b, *p.a, p.a_id, "after the flush"));
  auto e = connect("node1");
  ASSERT_TRUE(e->send_json({{"type", "join"}, {"room", "flushed"}}));
  expect_error(*e, "room-full", "", "join");
  EXPECT_FALSE(p.a->closed());
  EXPECT_FALSE(p.b->closed());
  expect_silence(*p.a, 0ms);  // no peer-left, no peer-joined: the flush is invisible to the call
}

TEST_F(ClusterTest, SigtermDrainsTheNodeAndLeavesRedisClean) {
  auto& node1 = start_node("node1");
  start_node("node2");
  auto p = PAIR("drained");
  node1.signal(SIGTERM);
  expect_message(*p.a, "drain");
  ASSERT_TRUE(p.a->wait_closed(kWait));
  EXPECT_EQ(p.a->close_code(), std::optional<std::uint16_t>(1001));
  auto left = expect_message(*p.b, "peer-left");
  EXPECT_EQ(str_field(left, "id"), p.a_id);
  auto status = node1.wait_exit(kWait);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->clean()) << status->describe();
  EXPECT_EQ(redis({"EXISTS", "sb:node:node1"}), "0");
  EXPECT_EQ(redis({"SISMEMBER", "sb:nodes", "node1"}), "0");
  EXPECT_EQ(redis({"HLEN", "sb:room:drained"}), "1");
}

TEST_F(ClusterTest, TurnCredentialsFromOneNodeWorkOnAnother) {
  const std::vector<std::string> turn = {"--stun-listen", "127.0.0.1:0", "--turn-secret", "shared-cluster-secret"};
  start_node("node1", turn, false);
  auto& node2 = start_node("node2", turn, false);
  auto a = connect("node1");
  ASSERT_TRUE(a->send_json({{"type", "join"}, {"room", "turn"}}));
  auto joined = expect_message(*a, "joined");
  std::string user, password, url;
  for (const auto& s : joined["iceServers"]) {
    for (const auto& u : s["urls"]) {
      if (u.get<std::string>().starts_with("turn:")) {
        url = u.get<std::string>();
        user = s.value("username", "");
        password = s.value("credential", "");
      }
    }
  }
  ASSERT_FALSE(user.empty()) << joined.dump();
  // Each node advertises its own TURN server...
  EXPECT_NE(url.find(":" + std::to_string(nodes_["node1"]->port("turn-udp"))), std::string::npos) << url;
  // ...and with a shared secret, what node1 handed out is valid on node2.
  const auto& l = node2.listener("turn-udp");
  TurnProbe probe(*stun::TransportAddress::parse(l.host + ":" + std::to_string(l.port)));
  EXPECT_EQ(probe.allocate(user, password), 200);
}

// PeerJS on two nodes (issue 15): ids live in the cluster's router, so a peerjs client on one node reaches one on
// another, and a message held for an id that has not connected yet is delivered when it connects elsewhere.

TEST_F(ClusterTest, PeerjsClientsOnTwoNodesReachEachOtherAndHeldMessagesFollowTheTarget) {
  const std::vector<std::string> peerjs = {"--peerjs-path", "/", "--peerjs-expire-timeout", "30"};
  start_node("node1", peerjs);
  start_node("node2", peerjs);
  auto alice = peerjs_open(nodes_["node1"]->port("http"), "alice");
  // bob has not connected: the offer waits at alice's node, which watches the id across the cluster.
  ASSERT_TRUE(alice->send_json({{"type", "OFFER"}, {"dst", "bob"}, {"payload", {{"sdp", "held offer"}}}}));
  expect_silence(*alice);
  auto bob = peerjs_open(nodes_["node2"]->port("http"), "bob");
  auto offer = expect_message(*bob, "OFFER");
  EXPECT_EQ(str_field(offer, "src"), "alice");
  EXPECT_EQ(offer["payload"]["sdp"], "held offer");
  // Both connected: relays go straight across, `src` set by the sender's node.
  ASSERT_TRUE(bob->send_json({{"type", "ANSWER"}, {"dst", "alice"}, {"payload", {{"sdp", "answer"}}}}));
  auto answer = expect_message(*alice, "ANSWER");
  EXPECT_EQ(str_field(answer, "src"), "bob");
  EXPECT_EQ(answer["payload"]["sdp"], "answer");
  ASSERT_TRUE(alice->send_json({{"type", "CANDIDATE"}, {"dst", "bob"}, {"src", "mallory"}, {"payload", {{"c", 1}}}}));
  EXPECT_EQ(str_field(expect_message(*bob, "CANDIDATE"), "src"), "alice");
  // The id is the cluster's: taken on node2 means taken on node1.
  WsOptions o;
  o.target = "/peerjs?key=peerjs&id=bob&token=other";
  WsClient again("127.0.0.1", nodes_["node1"]->port("http"), o);
  expect_message(again, "ID-TAKEN");
  expect_silence(*alice, 0ms);
  EXPECT_EQ(redis({"KEYS", "sb:watch:*"}), "") << "a watch outlived its target's arrival";
}

TEST_F(ClusterTest, AWatchAcrossNodesSurvivesAFlushall) {
  const std::vector<std::string> peerjs = {"--peerjs-path", "/", "--peerjs-expire-timeout", "30"};
  start_node("node1", peerjs);
  start_node("node2", peerjs);
  auto alice = peerjs_open(nodes_["node1"]->port("http"), "alice");
  ASSERT_TRUE(alice->send_json({{"type", "OFFER"}, {"dst", "carol"}, {"payload", {{"sdp", "before the flush"}}}}));
  const auto watched = within(kWait, [&] { return redis({"EXISTS", "sb:watch:peerjs/peerjs\ncarol"}) == "1"; });
  ASSERT_TRUE(watched.has_value()) << "the watch never reached Redis";
  redis({"FLUSHALL"});
  // Node1 puts alice and its watch back; carol then connects on node2 and gets what waited for her.
  const auto back = within(kReassertBound + kSlack, [&] {
    return redis({"EXISTS", "sb:watch:peerjs/peerjs\ncarol"}) == "1" && redis({"HLEN", "sb:room:peerjs/peerjs"}) == "1";
  });
  ASSERT_TRUE(back.has_value()) << "the watch was not put back after FLUSHALL";
  auto carol = peerjs_open(nodes_["node2"]->port("http"), "carol");
  auto offer = expect_message(*carol, "OFFER");
  EXPECT_EQ(str_field(offer, "src"), "alice");
  EXPECT_EQ(offer["payload"]["sdp"], "before the flush");
}

}  // namespace
}  // namespace sb::itest
