// Session resume against the real server (docs/signaling-protocol.md, "Resume"): a TCP connection cut
// without a close frame and then resumed with nothing lost, nothing doubled, in order (both ways); a resume
// that takes over a half-open connection; the window expiring; a wrong and a replayed secret; an overflow of
// the kept messages during the window; the metrics; a single server's drain, which ends sessions.
#include <signal.h>

#include <set>

#include "signaling_harness.hpp"

namespace sb::itest {
namespace {

class SignalingResume : public SignalingTest {
 protected:
  Resumable join_resumable(const std::string& room) { return itest::join_resumable(connect(), room); }
  // A new connection that resumes `old` from its last seq; `secret` overrides the ticket's.
  Resumable resume(const Resumable& old, const std::string& secret = "") {
    Resumable r{connect(), old.id, nullptr, old.seq};
    EXPECT_TRUE(send_resume(*r.ws, old, secret));
    return r;
  }
  double metric_or(const std::string& name, const std::map<std::string, std::string>& labels = {}) {
    return metric(metrics(), name, labels).value_or(-1);
  }
};

TEST_F(SignalingResume, ATcpCutWithoutACloseFrameIsResumedWithNothingLostOrDoubled) {
  start_server();
  auto a = join_resumable("cut");
  auto b = connect();
  const std::string b_id = join(*b, "cut");
  EXPECT_EQ(str_field(next_numbered(a, "peer-joined"), "id"), b_id);
  // Both ways before the cut: a sends 5 candidates, b sends an offer a reads.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(a.ws->send_json({{"type", "candidate"}, {"to", b_id}, {"candidate", test_candidate(i)}}));
  for (int i = 0; i < 5; ++i) expect_message(*b, "candidate");
  ASSERT_TRUE(b->send_json({{"type", "offer"}, {"to", a.id}, {"sdp", "v=0 before"}}));
  EXPECT_EQ(str_field(next_numbered(a, "offer"), "sdp"), "v=0 before");
  ASSERT_TRUE(a.ws->send_json({{"type", "ack"}, {"seq", a.seq}}));

  // The TCP connection ends without a close frame; the server keeps the session and the room hears it.
  a.ws.reset();
  EXPECT_EQ(str_field(expect_message(*b, "peer-reconnecting"), "id"), a.id);
  // The room goes on: 40 candidates and an offer for a, kept in order.
  for (int i = 0; i < 40; ++i) ASSERT_TRUE(b->send_json({{"type", "candidate"}, {"to", a.id}, {"candidate", test_candidate(i)}}));
  ASSERT_TRUE(b->send_json({{"type", "offer"}, {"to", a.id}, {"sdp", "v=0 during"}}));
  expect_silence(*b);
  auto m = metrics();
  EXPECT_EQ(metric(m, "signalbox_resume_sessions_parked"), 1);
  EXPECT_EQ(metric(m, "signalbox_peers"), 2) << "still a member";

  auto a2 = resume(a);
  auto resumed = expect_message(*a2.ws, "resumed");
  ASSERT_FALSE(resumed.is_null());
  EXPECT_EQ(str_field(resumed, "id"), a.id);
  EXPECT_EQ(str_field(resumed, "room"), "cut");
  EXPECT_EQ(resumed.value("received", -1), 5) << "a's five candidates reached the server";
  EXPECT_NE(resumed["resume"].value("secret", ""), a.ticket.value("secret", "")) << "the secret rotates";
  EXPECT_FALSE(resumed.contains("seq"));
  for (int i = 0; i < 40; ++i) {
    auto c = next_numbered(a2, "candidate");
    ASSERT_FALSE(c.is_null());
    EXPECT_EQ(c["candidate"].value("candidate", ""), test_candidate(i)["candidate"]) << "in order";
    EXPECT_EQ(str_field(c, "from"), b_id);
  }
  EXPECT_EQ(str_field(next_numbered(a2, "offer"), "sdp"), "v=0 during");
  expect_silence(*a2.ws);  // nothing doubled
  EXPECT_EQ(str_field(expect_message(*b, "peer-resumed"), "id"), a.id);
  // Live again both ways, numbered on.
  ASSERT_TRUE(a2.ws->send_json({{"type", "answer"}, {"to", b_id}, {"sdp", "v=0 after"}}));
  EXPECT_EQ(str_field(expect_message(*b, "answer"), "from"), a.id);
  ASSERT_TRUE(b->send_json({{"type", "candidate"}, {"to", a.id}, {"candidate", nullptr}}));
  next_numbered(a2, "candidate");
  expect_silence(*b);  // b never heard peer-left

  m = metrics();
  EXPECT_EQ(metric(m, "signalbox_resume_succeeded_total"), 1);
  EXPECT_EQ(metric(m, "signalbox_resume_parked_total"), 1);
  EXPECT_EQ(metric(m, "signalbox_resume_sessions_parked"), 0);
  EXPECT_EQ(metric(m, "signalbox_resume_replayed_messages_total"), 41);
  EXPECT_EQ(metric(m, "signalbox_resume_refused_total", {{"cause", "secret"}}), 0);
}

// A phone that changed networks: the server has not noticed the old connection is dead when the resume comes.
TEST_F(SignalingResume, AResumeTakesOverAHalfOpenConnection) {
  start_server();
  auto a = join_resumable("half");
  auto b = connect();
  const std::string b_id = join(*b, "half");
  next_numbered(a, "peer-joined");
  ASSERT_TRUE(b->send_json({{"type", "offer"}, {"to", a.id}, {"sdp", "lost on the old path"}}));
  auto a2 = resume(a);  // from seq 1: the offer (seq 2) never reached the client
  expect_message(*a2.ws, "resumed");
  EXPECT_EQ(str_field(next_numbered(a2, "offer"), "sdp"), "lost on the old path");
  expect_silence(*b);  // nothing to tell the room: a never left
  // The old connection is closed as soon as it speaks, and its end is no leave.
  ASSERT_TRUE(a.ws->send_json({{"type", "candidate"}, {"to", b_id}, {"candidate", nullptr}}));
  ASSERT_TRUE(a.ws->wait_closed(kWait));
  EXPECT_EQ(a.ws->close_code(), std::optional<std::uint16_t>(4002));
  expect_silence(*b);
  ASSERT_TRUE(b->send_json({{"type", "offer"}, {"to", a.id}, {"sdp", "to the new one"}}));
  EXPECT_EQ(str_field(next_numbered(a2, "offer"), "sdp"), "to the new one");
}

TEST_F(SignalingResume, AfterTheWindowThePeerTimesOutAndTheResumeIsRefused) {
  start_server({"--resume-window", "1"});
  auto a = join_resumable("window");
  EXPECT_EQ(a.ticket.value("window", 0.0), 1.0);
  auto b = connect();
  join(*b, "window");
  a.ws.reset();
  expect_message(*b, "peer-reconnecting");
  const auto cut = std::chrono::steady_clock::now();
  auto left = expect_message(*b, "peer-left", milliseconds(5000));
  const auto waited = std::chrono::steady_clock::now() - cut;
  EXPECT_EQ(str_field(left, "reason"), "timeout");
  EXPECT_GE(waited, milliseconds(900));
  EXPECT_LE(waited, milliseconds(3000));
  auto a2 = resume(a);
  expect_error(*a2.ws, "resume-refused", "", "resume");
  EXPECT_EQ(metric_or("signalbox_resume_ended_total", {{"cause", "timeout"}}), 1);
  EXPECT_EQ(metric_or("signalbox_resume_refused_total", {{"cause", "expired"}}), 1);
  // Refused, the client joins afresh on the same connection.
  ASSERT_TRUE(a2.ws->send_json({{"type", "join"}, {"room", "window"}, {"resume", true}}));
  EXPECT_NE(str_field(expect_message(*a2.ws, "joined"), "id"), a.id);
}

TEST_F(SignalingResume, AWrongSecretAndAReplayedSecretAreRefused) {
  start_server();
  auto a = join_resumable("secrets");
  auto b = connect();
  join(*b, "secrets");
  next_numbered(a, "peer-joined");
  a.ws.reset();
  expect_message(*b, "peer-reconnecting");

  auto wrong = resume(a, std::string(32, '7'));
  auto e = expect_message(*wrong.ws, "error");
  EXPECT_EQ(str_field(e, "code"), "resume-refused");
  EXPECT_EQ(str_field(e, "reason"), "secret");
  expect_silence(*b);  // a wrong secret changes nothing

  auto a2 = resume(a);
  auto resumed = expect_message(*a2.ws, "resumed");
  expect_message(*b, "peer-resumed");
  // The secret used is worthless now; presenting it again ends the session (it may have been stolen).
  auto replay = resume(a);
  e = expect_message(*replay.ws, "error");
  EXPECT_EQ(str_field(e, "code"), "resume-refused");
  EXPECT_EQ(str_field(e, "reason"), "replayed");
  auto left = expect_message(*b, "peer-left");
  EXPECT_EQ(str_field(left, "id"), a.id);
  EXPECT_EQ(metric_or("signalbox_resume_refused_total", {{"cause", "secret"}}), 1);
  EXPECT_EQ(metric_or("signalbox_resume_refused_total", {{"cause", "replayed"}}), 1);
  // The new secret from `resumed` would have worked; now nothing does.
  a.ticket = resumed["resume"];
  auto late = resume(a);
  EXPECT_EQ(str_field(expect_message(*late.ws, "error"), "reason"), "expired");
}

TEST_F(SignalingResume, AnOverflowDuringTheWindowEndsTheSessionAsDropped) {
  start_server({"--resume-buffer-messages", "16"});
  auto a = join_resumable("overflow");
  auto b = connect();
  join(*b, "overflow");
  next_numbered(a, "peer-joined");
  ASSERT_TRUE(a.ws->send_json({{"type", "ack"}, {"seq", a.seq}}));
  expect_open(*a.ws);  // the ack was read before the cut
  a.ws.reset();
  expect_message(*b, "peer-reconnecting");
  for (int i = 0; i < 16; ++i) ASSERT_TRUE(b->send_json({{"type", "candidate"}, {"to", a.id}, {"candidate", test_candidate(i)}}));
  expect_silence(*b);  // 16 kept: within the bound
  ASSERT_TRUE(b->send_json({{"type", "candidate"}, {"to", a.id}, {"candidate", test_candidate(16)}}));
  auto left = expect_message(*b, "peer-left");
  EXPECT_EQ(str_field(left, "reason"), "dropped");
  auto a2 = resume(a);
  EXPECT_EQ(str_field(expect_message(*a2.ws, "error"), "reason"), "expired");
  EXPECT_EQ(metric_or("signalbox_resume_ended_total", {{"cause", "overflow"}}), 1);
  EXPECT_EQ(metric_or("signalbox_peers"), 1);
}

// A close frame with 1000 is a goodbye: the room hears peer-left at once and there is nothing to resume. Any
// other code (the web client closes a connection it gives up on with 4001) keeps the session.
TEST_F(SignalingResume, OnlyAGoodbyeEndsTheSessionAtOnce) {
  start_server({"--max-peers-per-room", "3"});
  auto a = join_resumable("close");
  auto c = join_resumable("close");
  auto b = connect();
  join(*b, "close");
  a.ws->close(4001);
  expect_message(*b, "peer-reconnecting");
  c.ws->close(1000);
  EXPECT_EQ(str_field(expect_message(*b, "peer-left"), "reason"), "disconnect");
  auto a2 = resume(a);
  expect_message(*a2.ws, "resumed");
  auto c2 = resume(c);
  EXPECT_EQ(str_field(expect_message(*c2.ws, "error"), "reason"), "expired");
}

// docs/signaling-protocol.md, "Resume": a single server has nowhere to send a session, so its drain ends resumable
// sessions as before: `drain` and 1001, the room hears no peer-reconnecting, and the server exits at once instead
// of holding sessions for a resume (its grace is long here).
TEST_F(SignalingResume, ASingleServersDrainEndsResumableSessions) {
  start_server({"--shutdown-grace", "30"});
  auto a = join_resumable("drained");
  auto b = connect();
  join(*b, "drained");
  next_numbered(a, "peer-joined");
  const auto sigterm = std::chrono::steady_clock::now();
  server().signal(SIGTERM);
  for (WsClient* c : {a.ws.get(), b.get()}) {
    // b may hear a's peer-left before its own drain when a's session is drained and closed first.
    auto first = c->receive_json(kWait);
    while (first && str_field(*first, "type") == "peer-left") first = c->receive_json(kWait);
    ASSERT_TRUE(first.has_value()) << "no drain";
    EXPECT_EQ(str_field(*first, "type"), "drain") << first->dump();
    ASSERT_TRUE(c->wait_closed(kWait));
    EXPECT_EQ(c->close_code(), std::optional<std::uint16_t>(1001));
    // b may hear a's peer-left when a's close beats b's; never peer-reconnecting.
    while (auto m = c->receive_json(milliseconds(0))) EXPECT_EQ(str_field(*m, "type"), "peer-left") << m->dump();
  }
  auto status = server().wait_exit(kWait);
  ASSERT_TRUE(status.has_value()) << "signalbox did not exit after SIGTERM";
  EXPECT_TRUE(status->clean()) << status->describe();
  EXPECT_LT(std::chrono::steady_clock::now() - sigterm, std::chrono::seconds(10)) << "it held sessions";
}

}  // namespace
}  // namespace sb::itest
