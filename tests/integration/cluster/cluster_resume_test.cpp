// Session resume across the nodes of a cluster (docs/cluster.md, "Resume across nodes"): a session parked on one
// node resumed on the other, with nothing lost, nothing doubled and in order, the room never hearing peer-left;
// the holder's refusal of a wrong secret; a session no node holds; and the holder killed before the resume.
#include <gtest/gtest.h>
#include <signal.h>

#include "cluster_fixture.hpp"

namespace sb::itest {
namespace {

class ClusterResume : public ClusterTest {
 protected:
  Resumable join_resumable(const std::string& node, const std::string& room) {
    return itest::join_resumable(connect(node), room);
  }
  static void expect_refused(WsClient& ws, const std::string& reason) {
    auto e = expect_message(ws, "error");
    EXPECT_EQ(str_field(e, "code"), "resume-refused") << e.dump();
    EXPECT_EQ(str_field(e, "reason"), reason) << e.dump();
    EXPECT_EQ(str_field(e, "ref"), "resume") << e.dump();
  }
  Metrics metrics_of(const std::string& node) {
    return parse_prometheus(http_get("127.0.0.1", nodes_.at(node)->port("http"), "/metrics").body);
  }
};

TEST_F(ClusterResume, ASessionParkedOnOneNodeResumesOnTheOtherWithNothingLostOrDoubled) {
  const std::vector<std::string> room_of_three = {"--max-peers-per-room", "3"};
  start_node("node1", room_of_three);
  start_node("node2", room_of_three);
  auto a = join_resumable("node1", "move");
  auto b = connect("node2");
  const std::string b_id = join(*b, "move", "bob");
  EXPECT_EQ(str_field(next_numbered(a, "peer-joined"), "id"), b_id);
  auto c = connect("node1");  // a's neighbour on its first node
  const std::string c_id = join(*c, "move", "carol");
  EXPECT_EQ(str_field(next_numbered(a, "peer-joined"), "id"), c_id);
  expect_message(*b, "peer-joined");
  ASSERT_TRUE(b->send_json({{"type", "offer"}, {"to", a.id}, {"sdp", "v=0 before"}}));
  EXPECT_EQ(str_field(next_numbered(a, "offer"), "sdp"), "v=0 before");
  ASSERT_TRUE(a.ws->send_json({{"type", "candidate"}, {"to", b_id}, {"candidate", test_candidate(0)}}));
  expect_message(*b, "candidate");

  // a's TCP connection ends without a close frame: parked on node1; both nodes' peers hear it.
  a.ws.reset();
  EXPECT_EQ(str_field(expect_message(*b, "peer-reconnecting"), "id"), a.id);
  EXPECT_EQ(str_field(expect_message(*c, "peer-reconnecting"), "id"), a.id);
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(b->send_json({{"type", "candidate"}, {"to", a.id}, {"candidate", test_candidate(i)}}));
  }
  ASSERT_TRUE(b->send_json({{"type", "offer"}, {"to", a.id}, {"sdp", "v=0 during"}}));
  ASSERT_TRUE(c->send_json({{"type", "offer"}, {"to", a.id}, {"sdp", "v=0 from c during"}}));
  expect_silence(*b);

  // The client lands on node2: a session nobody holds, then a wrong secret (the holder refuses it), then the
  // right one.
  auto a2 = connect("node2");
  Resumable nobody{nullptr, a.id, a.ticket, a.seq};
  nobody.ticket["session"] = unused_peer_id();
  ASSERT_TRUE(send_resume(*a2, nobody));
  expect_refused(*a2, "expired");
  ASSERT_TRUE(send_resume(*a2, a, std::string(32, '0')));
  expect_refused(*a2, "secret");
  ASSERT_TRUE(send_resume(*a2, a));
  auto resumed = expect_message(*a2, "resumed");
  EXPECT_EQ(str_field(resumed, "id"), a.id);
  EXPECT_EQ(str_field(resumed, "room"), "move");
  EXPECT_EQ(resumed.value("received", -1), 1);
  EXPECT_NE(resumed["resume"].value("secret", ""), a.ticket.value("secret", "")) << "the secret rotates";
  a.ws = std::move(a2);
  // b's 21 messages in b's order, c's offer among them (two senders on two nodes have no order between them).
  int next_b = 0, from_c = 0;
  for (int i = 0; i < 22; ++i) {
    auto got = a.ws->receive_json(kWait);
    ASSERT_TRUE(got.has_value()) << "message " << i << " of the replay is missing";
    const json m = *got;
    ASSERT_EQ(m.value("seq", std::uint64_t{0}), a.seq + 1) << m.dump();
    a.seq += 1;
    if (str_field(m, "from") == c_id) {
      EXPECT_EQ(str_field(m, "sdp"), "v=0 from c during");
      ++from_c;
    } else if (next_b < 20) {
      EXPECT_EQ(m["candidate"].value("candidate", ""), test_candidate(next_b++)["candidate"]) << "in order";
    } else {
      EXPECT_EQ(str_field(m, "sdp"), "v=0 during");
      ++next_b;
    }
  }
  EXPECT_EQ(next_b, 21);
  EXPECT_EQ(from_c, 1);
  expect_silence(*a.ws);  // nothing doubled
  EXPECT_EQ(str_field(expect_message(*b, "peer-resumed"), "id"), a.id);
  EXPECT_EQ(str_field(expect_message(*c, "peer-resumed"), "id"), a.id);

  // Live both ways from its new node, with both neighbours; numbering goes on.
  ASSERT_TRUE(a.ws->send_json({{"type", "answer"}, {"to", b_id}, {"sdp", "v=0 to b"}}));
  EXPECT_EQ(str_field(expect_message(*b, "answer"), "from"), a.id);
  ASSERT_TRUE(a.ws->send_json({{"type", "answer"}, {"to", c_id}, {"sdp", "v=0 to c"}}));
  EXPECT_EQ(str_field(expect_message(*c, "answer"), "from"), a.id);
  ASSERT_TRUE(c->send_json({{"type", "offer"}, {"to", a.id}, {"sdp", "v=0 from c"}}));
  EXPECT_EQ(str_field(next_numbered(a, "offer"), "sdp"), "v=0 from c");
  ASSERT_TRUE(b->send_json({{"type", "offer"}, {"to", a.id}, {"sdp", "v=0 from b"}}));
  EXPECT_EQ(str_field(next_numbered(a, "offer"), "sdp"), "v=0 from b");
  expect_silence(*b);  // never peer-left
  expect_silence(*c);

  EXPECT_EQ(redis({"HGET", "sb:room:move", a.id}).substr(0, 6), "node2\n");
  EXPECT_EQ(redis({"SISMEMBER", "sb:members:node2", "move\n" + a.id}), "1");
  EXPECT_EQ(redis({"SISMEMBER", "sb:members:node1", "move\n" + a.id}), "0");
  auto m1 = metrics_of("node1"), m2 = metrics_of("node2");
  EXPECT_EQ(metric(m1, "signalbox_resume_sessions_parked"), 0);
  EXPECT_EQ(metric(m1, "signalbox_peers"), 1) << "carol";
  EXPECT_EQ(metric(m2, "signalbox_peers"), 2) << "bob and alice";
  EXPECT_EQ(metric(m2, "signalbox_resume_succeeded_total"), 1);
  EXPECT_EQ(metric(m2, "signalbox_resume_replayed_messages_total"), 22);
  EXPECT_EQ(metric(m2, "signalbox_resume_refused_total", {{"cause", "expired"}}), 1);
  EXPECT_EQ(metric(m2, "signalbox_resume_refused_total", {{"cause", "secret"}}), 1);

  // Its goodbye on the new node is the room's peer-left, once.
  ASSERT_TRUE(a.ws->send_json({{"type", "bye"}}));
  EXPECT_EQ(str_field(expect_message(*b, "peer-left"), "reason"), "bye");
  EXPECT_EQ(str_field(expect_message(*c, "peer-left"), "reason"), "bye");
  EXPECT_EQ(redis({"HLEN", "sb:room:move"}), "2");
}

// docs/cluster.md: the holder dies before the resume. The session died with it: the resume is refused as
// `expired` at once (no node holds it), the room hears peer-left `node-lost` as for any member of a dead node, and
// the client joins afresh.
TEST_F(ClusterResume, TheHolderKilledBeforeTheResumeIsARefusalAndNodeLost) {
  auto& node1 = start_node("node1");
  start_node("node2");
  auto a = join_resumable("node1", "doomed");
  auto b = connect("node2");
  const std::string b_id = join(*b, "doomed", "bob");
  EXPECT_EQ(str_field(next_numbered(a, "peer-joined"), "id"), b_id);
  a.ws.reset();
  EXPECT_EQ(str_field(expect_message(*b, "peer-reconnecting"), "id"), a.id);
  const auto killed = Clock::now();
  node1.signal(SIGKILL);
  ASSERT_TRUE(node1.wait_exit(kWait).has_value());

  auto a2 = connect("node2");
  ASSERT_TRUE(send_resume(*a2, a));
  expect_refused(*a2, "expired");
  auto left = expect_message(*b, "peer-left", std::chrono::duration_cast<milliseconds>(kDeadNodeBound + kSlack));
  EXPECT_EQ(str_field(left, "id"), a.id);
  EXPECT_EQ(str_field(left, "reason"), "node-lost");
  EXPECT_LT(Clock::now() - killed, 15s);
  ASSERT_TRUE(a2->send_json({{"type", "join"}, {"room", "doomed"}, {"resume", true}}));
  auto joined = expect_message(*a2, "joined");
  ASSERT_EQ(joined["peers"].size(), 1u) << joined.dump();
  EXPECT_EQ(str_field(joined["peers"][0], "id"), b_id);
  EXPECT_EQ(str_field(expect_message(*b, "peer-joined"), "id"), str_field(joined, "id"));
  EXPECT_EQ(metric(metrics_of("node2"), "signalbox_resume_refused_total", {{"cause", "expired"}}), 1);
}

}  // namespace
}  // namespace sb::itest
