// A drained node's sessions resume on another node (docs/cluster.md, "Drain: resume on another node"): SIGTERM
// parks a node's resumable sessions instead of ending them, the node holds them through its shutdown grace, and
// their clients resume them on the other node, which takes them over: the room hears peer-reconnecting and
// peer-resumed, never peer-left, and nothing sent meanwhile is lost, doubled or reordered. Sessions nobody resumes
// within the grace leave with the node.
//
// The test plays the load balancer: a drained client connects again to the other node's URL (a client behind a
// balancer reconnects to the same URL and lands on a live node; the draining one no longer listens).
#include <gtest/gtest.h>
#include <signal.h>

#include <iostream>
#include <set>

#include "cluster_fixture.hpp"

namespace sb::itest {
namespace {

using nlohmann::json;

// One message as a line, to compare whole sequences: "candidate FROM CANDIDATE", "offer FROM SDP", "peer-... ID".
std::string describe(const json& m) {
  const std::string type = str_field(m, "type");
  if (type == "candidate") return "candidate " + str_field(m, "from") + " " + m["candidate"].value("candidate", "");
  if (type == "offer" || type == "answer") return type + " " + str_field(m, "from") + " " + str_field(m, "sdp");
  return type + " " + m.value("id", "");
}

std::vector<std::string> describe_all(const std::vector<json>& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(describe(m));
  return out;
}

json candidate_to(const std::string& to, int i) {
  return {{"type", "candidate"}, {"to", to}, {"candidate", test_candidate(i)}};
}

std::string candidate_line(const std::string& from, int i) {
  return "candidate " + from + " " + test_candidate(i)["candidate"].get<std::string>();
}

class ClusterDrain : public ClusterTest {
 protected:
  Resumable join_resumable(const std::string& node, const std::string& room) {
    return itest::join_resumable(connect(node), room);
  }
  Metrics metrics_of(const std::string& node) {
    return parse_prometheus(http_get("127.0.0.1", nodes_.at(node)->port("http"), "/metrics").body);
  }

  // What a drained connection still gets: numbered messages (appended to `into`, numbered on from r.seq), then
  // `drain` (not numbered), then the close 1001, and nothing after the drain.
  static void read_drained(Resumable& r, std::vector<json>& into) {
    for (;;) {
      auto m = r.ws->receive_json(kWait);
      ASSERT_TRUE(m.has_value()) << "no drain";
      if (str_field(*m, "type") == "drain") {
        EXPECT_FALSE(m->contains("seq")) << m->dump();
        break;
      }
      ASSERT_EQ(m->value("seq", std::uint64_t{0}), r.seq + 1) << m->dump();
      r.seq += 1;
      into.push_back(*m);
    }
    ASSERT_TRUE(r.ws->wait_closed(kWait));
    EXPECT_EQ(r.ws->close_code(), std::optional<std::uint16_t>(1001));
    auto after = r.ws->receive_json(milliseconds(0));
    EXPECT_FALSE(after.has_value()) << "after drain: " << after->dump();
  }
  // The client connects to `node` (as a load balancer would send it) and resumes there.
  void resume_on(const std::string& node, Resumable& r, int received) {
    auto ws = connect(node);
    ASSERT_TRUE(send_resume(*ws, r));
    auto resumed = expect_message(*ws, "resumed");
    EXPECT_EQ(str_field(resumed, "id"), r.id);
    EXPECT_EQ(resumed.value("received", -1), received);
    EXPECT_NE(resumed["resume"].value("secret", ""), r.ticket.value("secret", "")) << "the secret rotates";
    r.ticket = resumed["resume"];
    r.ws = std::move(ws);
  }
  // The resumed connection's numbered messages until `into` holds `n`; then nothing more (nothing doubled).
  static void read_resumed(Resumable& r, std::vector<json>& into, std::size_t n) {
    while (into.size() < n) {
      auto m = r.ws->receive_json(kWait);
      ASSERT_TRUE(m.has_value()) << "message " << into.size() + 1 << " of " << n << " is missing";
      ASSERT_EQ(m->value("seq", std::uint64_t{0}), r.seq + 1) << m->dump();
      r.seq += 1;
      into.push_back(*m);
    }
    expect_silence(*r.ws);
  }
};

TEST_F(ClusterDrain, SigtermMovesResumableSessionsToTheOtherNodeWithNothingLostDoubledOrReordered) {
  // A long grace for node1: it exits as soon as both sessions have moved, and the test shows it does. (node2 keeps
  // the default: stopped at the end, it holds p's and q's sessions through its grace, for nobody.)
  auto& node1 = start_node("node1", {"--max-peers-per-room", "3", "--shutdown-grace", "30"});
  start_node("node2", {"--max-peers-per-room", "3"});
  auto p = join_resumable("node1", "moving");
  auto q = join_resumable("node1", "moving");
  EXPECT_EQ(str_field(next_numbered(p, "peer-joined"), "id"), q.id);
  auto w = connect("node2");  // the watcher, on the node that stays
  const std::string w_id = join(*w, "moving", "watcher");
  EXPECT_EQ(str_field(next_numbered(p, "peer-joined"), "id"), w_id);
  EXPECT_EQ(str_field(next_numbered(q, "peer-joined"), "id"), w_id);
  ASSERT_TRUE(p.ws->send_json({{"type", "offer"}, {"to", q.id}, {"sdp", "v=0 p before"}}));
  EXPECT_EQ(str_field(next_numbered(q, "offer"), "sdp"), "v=0 p before");

  const auto sigterm = Clock::now();
  node1.signal(SIGTERM);
  // Each drained connection: maybe the other's peer-reconnecting (whichever parked first), then drain and 1001.
  std::vector<json> to_p, to_q;  // every numbered message after the drain, over both connections
  read_drained(p, to_p);
  read_drained(q, to_q);
  const std::size_t p_written = to_p.size(), q_written = to_q.size();
  std::set<std::string> reconnecting;
  for (int i = 0; i < 2; ++i) reconnecting.insert(str_field(expect_message(*w, "peer-reconnecting"), "id"));
  EXPECT_EQ(reconnecting, (std::set<std::string>{p.id, q.id}));
  // Sent while both are parked on the draining node: kept there. (w's pong shows node2 has read them: their way to
  // node1 is then ahead of the resume's question to node1 below, on node2's one connection to Redis.)
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(w->send_json(candidate_to(p.id, i)));
    ASSERT_TRUE(w->send_json(candidate_to(q.id, 10 + i)));
  }
  expect_open(*w);

  // p lands on node2: node2 finds the session on node1 and takes it over.
  resume_on("node2", p, 1);
  read_resumed(p, to_p, 4);
  EXPECT_EQ(describe_all(to_p), (std::vector<std::string>{"peer-reconnecting " + q.id, candidate_line(w_id, 0),
                                                          candidate_line(w_id, 1), candidate_line(w_id, 2)}));
  EXPECT_EQ(str_field(expect_message(*w, "peer-resumed"), "id"), p.id);
  // From its new node, p writes to q (still parked on node1) and to w; w's answer shows p's candidates went out
  // first, and w then writes to q too.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(p.ws->send_json(candidate_to(q.id, 20 + i)));
  ASSERT_TRUE(p.ws->send_json({{"type", "answer"}, {"to", w_id}, {"sdp", "v=0 p to w"}}));
  EXPECT_EQ(describe(expect_message(*w, "answer")), "answer " + p.id + " v=0 p to w");
  ASSERT_TRUE(w->send_json({{"type", "offer"}, {"to", q.id}, {"sdp", "v=0 w to q"}}));
  expect_open(*w);

  // q lands on node2 too: everything of the move, exactly once and in order.
  resume_on("node2", q, 0);
  read_resumed(q, to_q, 9);
  EXPECT_EQ(describe_all(to_q),
            (std::vector<std::string>{"peer-reconnecting " + p.id, candidate_line(w_id, 10), candidate_line(w_id, 11),
                                      candidate_line(w_id, 12), "peer-resumed " + p.id, candidate_line(p.id, 20),
                                      candidate_line(p.id, 21), candidate_line(p.id, 22),
                                      "offer " + w_id + " v=0 w to q"}));
  EXPECT_EQ(str_field(expect_message(*w, "peer-resumed"), "id"), q.id);
  EXPECT_EQ(str_field(next_numbered(p, "peer-resumed"), "id"), q.id);

  // The call goes on among the three on node2; the watcher never heard peer-left.
  ASSERT_TRUE(q.ws->send_json({{"type", "offer"}, {"to", p.id}, {"sdp", "v=0 q after"}}));
  EXPECT_EQ(describe(next_numbered(p, "offer")), "offer " + q.id + " v=0 q after");
  ASSERT_TRUE(q.ws->send_json({{"type", "answer"}, {"to", w_id}, {"sdp", "v=0 q to w"}}));
  EXPECT_EQ(describe(expect_message(*w, "answer")), "answer " + q.id + " v=0 q to w");
  expect_silence(*w);
  expect_silence(*p.ws);
  expect_silence(*q.ws);

  // node1 exits once it holds nothing, long before its grace, and leaves Redis clean.
  auto status = node1.wait_exit(kWait);
  ASSERT_TRUE(status.has_value()) << "node1 did not exit once its sessions had moved";
  EXPECT_TRUE(status->clean()) << status->describe();
  const auto took = Clock::now() - sigterm;
  EXPECT_LT(took, 30s);
  std::cout << "[ measured ] node1 exited " << std::chrono::duration_cast<milliseconds>(took).count()
            << " ms after SIGTERM, both sessions moved (grace 30 s)\n";
  EXPECT_EQ(redis({"HGET", "sb:room:moving", p.id}).substr(0, 6), "node2\n");
  EXPECT_EQ(redis({"HGET", "sb:room:moving", q.id}).substr(0, 6), "node2\n");
  EXPECT_EQ(redis({"HLEN", "sb:room:moving"}), "3");
  EXPECT_EQ(redis({"EXISTS", "sb:node:node1"}), "0");
  auto m2 = metrics_of("node2");
  EXPECT_EQ(metric(m2, "signalbox_peers"), 3);
  EXPECT_EQ(metric(m2, "signalbox_resume_succeeded_total"), 2);
  EXPECT_EQ(metric(m2, "signalbox_resume_replayed_messages_total"),
            static_cast<double>((4 - p_written) + (9 - q_written)));
  EXPECT_EQ(metric(m2, "signalbox_resume_sessions_parked"), 0);
}

// The grace ends with a session nobody resumed: it leaves with the node (peer-left `disconnect`, from the node's
// goodbye), and its ticket is worthless.
TEST_F(ClusterDrain, ASessionNotResumedWithinTheGraceLeavesWithTheNode) {
  auto& node1 = start_node("node1", {"--shutdown-grace", "1"});
  start_node("node2");
  auto p = join_resumable("node1", "stranded");
  auto w = connect("node2");
  const std::string w_id = join(*w, "stranded", "watcher");
  EXPECT_EQ(str_field(next_numbered(p, "peer-joined"), "id"), w_id);

  const auto sigterm = Clock::now();
  node1.signal(SIGTERM);
  std::vector<json> to_p;
  read_drained(p, to_p);
  EXPECT_TRUE(to_p.empty());
  EXPECT_EQ(str_field(expect_message(*w, "peer-reconnecting"), "id"), p.id);
  auto left = expect_message(*w, "peer-left");
  EXPECT_EQ(str_field(left, "id"), p.id);
  EXPECT_EQ(str_field(left, "reason"), "disconnect");
  const auto took = Clock::now() - sigterm;
  EXPECT_GE(took, 1s) << "the node held the session through its grace";
  std::cout << "[ measured ] peer-left " << std::chrono::duration_cast<milliseconds>(took).count()
            << " ms after SIGTERM (grace 1 s)\n";
  auto status = node1.wait_exit(kWait);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->clean()) << status->describe();

  auto p2 = connect("node2");
  ASSERT_TRUE(send_resume(*p2, p));
  auto e = expect_message(*p2, "error");
  EXPECT_EQ(str_field(e, "code"), "resume-refused") << e.dump();
  EXPECT_EQ(str_field(e, "reason"), "expired") << e.dump();
  EXPECT_EQ(redis({"HLEN", "sb:room:stranded"}), "1");
  expect_silence(*w);
}

}  // namespace
}  // namespace sb::itest
