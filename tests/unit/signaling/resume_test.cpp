// Session resume with the v1 session, the resume registry and a MemoryRouter, without sockets: numbered
// messages, parking, replay exactly once and in order, the window, wrong and replayed secrets, the bounds, a
// takeover of a session whose old connection is still attached, and the metrics.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "fake_link.hpp"
#include "signaling/memory_router.hpp"
#include "signaling/resume.hpp"
#include "signaling/session.hpp"

namespace sb::signaling {
namespace {

using testing::FakeLink;
using testing::FakeMember;
using namespace std::chrono_literals;

struct Received {
  std::uint64_t seq = 0;
  ServerMessage message;
};

// The other nodes of a cluster, as a registry asks them for a session: the questions are recorded.
class FakeFinder final : public SessionFinder {
 public:
  void find(const std::string& session, const SecretHash& hash, std::uint64_t seq) override {
    asked.push_back({session, hash, seq});
  }
  struct Asked {
    std::string session;
    SecretHash hash;
    std::uint64_t seq;
  };
  std::vector<Asked> asked;
};

class ResumeTest : public ::testing::Test {
 protected:
  struct Client : testing::Connection<Session> {
    ResumeTicket ticket;
    std::uint64_t last_seq = 0;  // the highest seq this client has taken
  };

  Client& connect() { return clients_.connect(ctx_); }
  void text(Client& c, std::string_view frame) { clients_.text(c, frame); }
  void pump() { clients_.pump(); }
  // Every frame the client got since the last call, with its seq (0: not numbered).
  std::vector<Received> take(Client& c) {
    std::vector<Received> out;
    for (const auto& f : c.link.frames()) {
      Received r;
      auto p = parse_server_message(f, Limits{}, &r.seq);
      if (auto* m = std::get_if<ServerMessage>(&p)) {
        r.message = std::move(*m);
      } else {
        ADD_FAILURE() << "unparseable frame: " << f;
      }
      if (r.seq != 0) c.last_seq = r.seq;
      out.push_back(std::move(r));
    }
    c.link.take();
    return out;
  }
  Client& join(const std::string& room, bool resume, const std::string& name = "") {
    Client& c = connect();
    text(c, serialize(ClientMessage{msg::Join{room, name, resume}}));
    auto got = take(c);
    EXPECT_EQ(got.size(), 1u);
    if (got.empty() || !std::holds_alternative<msg::Joined>(got[0].message)) {
      ADD_FAILURE() << "no joined";
      return c;
    }
    const auto& joined = std::get<msg::Joined>(got[0].message);
    EXPECT_EQ(got[0].seq, 0u) << "joined is not numbered";
    c.id = joined.id;
    EXPECT_EQ(joined.resume.has_value(), resume);
    if (joined.resume) c.ticket = *joined.resume;
    return c;
  }
  // a (resumable) and b in room "r", each up to date; then a's connection is lost and b has heard it.
  struct Pair {
    Client& a;
    Client& b;
  };
  Pair lost_pair() {
    auto& a = join("r", true);
    auto& b = join("r", false);
    take(a);
    take(b);
    a.session->on_lost(LeaveReason::disconnect);
    pump();
    take(b);
    return {a, b};
  }
  // A new connection resuming `old`'s session from its last seq (or `seq`).
  Client& resume_from(Client& old, std::optional<std::uint64_t> seq = std::nullopt, std::string secret = "") {
    Client& c = connect();
    c.ticket = old.ticket;
    c.last_seq = old.last_seq;
    text(c, serialize(ClientMessage{msg::Resume{old.ticket.session, secret.empty() ? old.ticket.secret : secret,
                                                seq.value_or(old.last_seq)}}));
    return c;
  }
  static std::string offer_to(const std::string& to, const std::string& sdp) {
    return serialize(ClientMessage{msg::Offer{to, sdp}});
  }
  double metric(const std::string& name, const std::string& label = "") {
    const std::string text = metrics_.render();
    const std::string key = label.empty() ? name + " " : name + "{" + label + "} ";
    auto at = text.find("\n" + key);
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + 1 + key.size()));
  }

  // Another node of a cluster, as its registry sees resume across nodes: it asks a FakeFinder.
  struct OtherNode {
    explicit OtherNode(ResumeTest& t)
        : registry(t.resume_config_, router, t.counters_, metrics),
          ctx{t.config_, router, t.ice_, t.counters_, t.clock_, nullptr, &registry} {
      registry.set_finder(&finder);
    }
    MemoryRouter router{RouterLimits{4, 100}};
    metrics::Registry metrics;
    FakeFinder finder;
    ResumeRegistry registry;
    SessionContext ctx;
    testing::Connections<Session, Client> clients;  // last: its sessions leave as they go
  };

  SessionConfig config_{Limits{}, RateLimitConfig{1000, 1000, 1000, 10s}};
  MemoryRouter router_{RouterLimits{4, 100}};
  StaticIceServers ice_{{"stun:127.0.0.1:3478"}};
  metrics::Registry metrics_;
  Counters counters_{metrics_};
  util::ManualClock clock_;
  ResumeConfig resume_config_{20s, 8, 64 * 1024, 100};
  std::unique_ptr<ResumeRegistry> registry_ =
      std::make_unique<ResumeRegistry>(resume_config_, router_, counters_, metrics_);
  SessionContext ctx_{config_, router_, ice_, counters_, clock_, nullptr, registry_.get()};
  testing::Connections<Session, Client> clients_;  // last: sessions leave the router as they go
};

TEST_F(ResumeTest, AResumableJoinGetsATicketAndNumberedMessages) {
  auto& a = join("r", true);
  EXPECT_TRUE(is_valid_hex128(a.ticket.session));
  EXPECT_TRUE(is_valid_hex128(a.ticket.secret));
  EXPECT_NE(a.ticket.session, a.ticket.secret);
  EXPECT_EQ(a.ticket.window_s, 20);
  auto& b = join("r", false);
  text(b, offer_to(a.id, "v=0 one"));
  text(a, R"({"type":"ping"})");
  auto got = take(a);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].seq, 1u);
  EXPECT_EQ(std::get<msg::PeerJoined>(got[0].message).id, b.id);
  EXPECT_EQ(got[1].seq, 2u);
  EXPECT_EQ(std::get<msg::RelayedOffer>(got[1].message).sdp, "v=0 one");
  EXPECT_EQ(got[2].seq, 0u) << "pong answers the connection and is not numbered";
  EXPECT_TRUE(std::holds_alternative<msg::Pong>(got[2].message));
  // Errors of a resumable session are numbered; a client that did not ask gets no numbers at all.
  text(a, offer_to(std::string(32, 'f'), "x"));
  got = take(a);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].seq, 3u);
  EXPECT_EQ(std::get<msg::Error>(got[0].message).code, ErrorCode::unknown_peer);
  text(a, offer_to(b.id, "v=0 back"));
  for (const auto& r : take(b)) EXPECT_EQ(r.seq, 0u);
}

TEST_F(ResumeTest, ALostConnectionIsParkedAndResumedWithNothingLostOrDoubled) {
  auto& a = join("r", true, "alice");
  auto& b = join("r", false, "bob");
  take(a);  // peer-joined: seq 1
  text(b, offer_to(a.id, "o1"));
  text(b, offer_to(a.id, "o2"));
  // The client read seq 1 and 2; o2 (seq 3) was on the wire when the TCP connection died.
  auto got = take(a);
  ASSERT_EQ(got.size(), 2u);
  a.last_seq = 2;
  a.session->on_lost(LeaveReason::disconnect);
  pump();
  auto heard = take(b);
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(std::get<msg::PeerReconnecting>(heard[0].message).id, a.id);
  EXPECT_EQ(registry_->parked(), 1u);
  EXPECT_EQ(metric("signalbox_resume_sessions_parked"), 1);
  // Meanwhile the room goes on: messages for a are kept.
  text(b, serialize(ClientMessage{msg::Candidate{a.id, IceCandidate{"candidate:1 1 udp 1 192.0.2.1 1 typ host", "0", 0, {}}}}));
  text(b, offer_to(a.id, "o3"));
  EXPECT_EQ(router_.peer_count(), 2u) << "a is still a member";

  auto& a2 = resume_from(a);
  got = take(a2);
  ASSERT_EQ(got.size(), 4u);
  const auto& resumed = std::get<msg::Resumed>(got[0].message);
  EXPECT_EQ(got[0].seq, 0u);
  EXPECT_EQ(resumed.id, a.id);
  EXPECT_EQ(resumed.room, "r");
  EXPECT_EQ(resumed.resume.session, a.ticket.session);
  EXPECT_NE(resumed.resume.secret, a.ticket.secret) << "the secret rotates";
  EXPECT_FALSE(resumed.ice_servers.empty());
  EXPECT_EQ(got[1].seq, 3u);
  EXPECT_EQ(std::get<msg::RelayedOffer>(got[1].message).sdp, "o2");
  EXPECT_EQ(got[2].seq, 4u);
  EXPECT_TRUE(std::holds_alternative<msg::RelayedCandidate>(got[2].message));
  EXPECT_EQ(got[3].seq, 5u);
  EXPECT_EQ(std::get<msg::RelayedOffer>(got[3].message).sdp, "o3");
  heard = take(b);
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(std::get<msg::PeerResumed>(heard[0].message).id, a.id);
  // Live again, numbered on from where it was; both ways.
  text(b, offer_to(a.id, "o4"));
  got = take(a2);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].seq, 6u);
  text(a2, serialize(ClientMessage{msg::Answer{b.id, "a4"}}));
  EXPECT_EQ(std::get<msg::RelayedAnswer>(take(b).at(0).message).from, a.id);
  EXPECT_EQ(metric("signalbox_resume_succeeded_total"), 1);
  EXPECT_EQ(metric("signalbox_resume_replayed_messages_total"), 3);
  EXPECT_EQ(metric("signalbox_resume_sessions_parked"), 0);
  EXPECT_EQ(registry_->parked(), 0u);
}

TEST_F(ResumeTest, ResumedReportsTheClientMessagesTheServerRead) {
  auto& a = join("r", true);
  auto& b = join("r", false);
  for (int i = 0; i < 3; ++i) text(a, serialize(ClientMessage{msg::Candidate{b.id, std::nullopt}}));
  text(a, R"({"type":"offer","to":")" + b.id + R"("})");  // refused (no sdp), but read
  text(a, R"({"type":"ping"})");                          // not counted
  take(a);
  a.session->on_lost(LeaveReason::disconnect);
  auto& a2 = resume_from(a);
  auto got = take(a2);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(std::get<msg::Resumed>(got[0].message).received, 4u);
}

TEST_F(ResumeTest, AfterTheWindowThePeerTimesOutAndTheResumeIsRefused) {
  auto [a, b] = lost_pair();
  clock_.advance(19s);
  EXPECT_EQ(registry_->expire(clock_.now()), clock_.now() + 1s);
  EXPECT_TRUE(b.link.frames().empty());
  clock_.advance(1s);
  EXPECT_EQ(registry_->expire(clock_.now()), std::nullopt);
  pump();
  auto heard = take(b);
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(std::get<msg::PeerLeft>(heard[0].message), (msg::PeerLeft{a.id, LeaveReason::timeout}));
  auto& a2 = resume_from(a);
  auto got = take(a2);
  ASSERT_EQ(got.size(), 1u);
  const auto& e = std::get<msg::Error>(got[0].message);
  EXPECT_EQ(e.code, ErrorCode::resume_refused);
  EXPECT_EQ(e.reason, "expired");
  EXPECT_EQ(e.ref, "resume");
  EXPECT_FALSE(a2.session->joined());
  EXPECT_EQ(router_.peer_count(), 1u);
  EXPECT_EQ(metric("signalbox_resume_ended_total", "cause=\"timeout\""), 1);
  EXPECT_EQ(metric("signalbox_resume_refused_total", "cause=\"expired\""), 1);
  // Refused, the connection joins afresh.
  text(a2, R"({"type":"join","room":"r","resume":true})");
  EXPECT_TRUE(std::holds_alternative<msg::Joined>(take(a2).at(0).message));
}

TEST_F(ResumeTest, AWrongSecretIsRefusedAndTheSessionWaitsOn) {
  auto [a, b] = lost_pair();
  auto& wrong = resume_from(a, std::nullopt, std::string(32, '0'));
  auto got = take(wrong);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(std::get<msg::Error>(got[0].message).reason, "secret");
  EXPECT_TRUE(b.link.frames().empty()) << "nothing changes for the room";
  auto& right = resume_from(a);
  EXPECT_TRUE(std::holds_alternative<msg::Resumed>(take(right).at(0).message));
  EXPECT_EQ(metric("signalbox_resume_refused_total", "cause=\"secret\""), 1);
}

TEST_F(ResumeTest, AReplayedOldSecretEndsTheSession) {
  auto& a = join("r", true);
  auto& b = join("r", false);
  take(a);
  a.session->on_lost(LeaveReason::disconnect);
  auto& a2 = resume_from(a);
  take(a2);
  take(b);
  // Someone presents the secret the resume rotated away.
  auto& thief = resume_from(a);
  auto got = take(thief);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(std::get<msg::Error>(got[0].message).reason, "replayed");
  auto heard = take(b);
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(std::get<msg::PeerLeft>(heard[0].message).id, a.id);
  // The resumed connection learns at its next call that the session is over.
  text(a2, R"({"type":"ack","seq":1})");
  text(a2, offer_to(b.id, "x"));
  EXPECT_EQ(a2.link.close_code(), close_code::normal);
  EXPECT_EQ(metric("signalbox_resume_refused_total", "cause=\"replayed\""), 1);
}

TEST_F(ResumeTest, OverflowWhileParkedEndsTheSessionAsDropped) {
  auto [a, b] = lost_pair();
  // The bound is 8 messages, peer-joined (unacknowledged) included.
  for (int i = 0; i < 8; ++i) text(b, offer_to(a.id, "o" + std::to_string(i)));
  auto heard = take(b);
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(std::get<msg::PeerLeft>(heard[0].message), (msg::PeerLeft{a.id, LeaveReason::dropped}));
  auto& a2 = resume_from(a);
  EXPECT_EQ(std::get<msg::Error>(take(a2).at(0).message).reason, "expired");
  EXPECT_EQ(metric("signalbox_resume_ended_total", "cause=\"overflow\""), 1);
  EXPECT_EQ(registry_->parked(), 0u);
}

TEST_F(ResumeTest, AcknowledgedMessagesAreForgottenAndAResumeBehindThemIsLost) {
  auto& a = join("r", true);
  auto& b = join("r", false);
  for (int i = 0; i < 20; ++i) {  // more than the bound: acknowledged messages make room
    text(b, offer_to(a.id, "o" + std::to_string(i)));
    take(a);
    text(a, serialize(ClientMessage{msg::Ack{a.last_seq}}));
  }
  EXPECT_EQ(a.link.close_code(), 0);
  a.session->on_lost(LeaveReason::disconnect);
  pump();
  take(b);
  auto& a2 = resume_from(a, 3);  // claims to have only seq 3: 4..21 were acknowledged and forgotten
  auto got = take(a2);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(std::get<msg::Error>(got[0].message).reason, "lost");
  EXPECT_EQ(std::get<msg::PeerLeft>(take(b).at(0).message).reason, LeaveReason::dropped);
}

TEST_F(ResumeTest, ASeqNeverSentIsAnInvalidMessage) {
  auto& a = join("r", true);
  join("r", false);
  take(a);
  a.session->on_lost(LeaveReason::disconnect);
  auto& a2 = resume_from(a, 99);
  const auto e = std::get<msg::Error>(take(a2).at(0).message);
  EXPECT_EQ(e.code, ErrorCode::invalid_message);
  EXPECT_EQ(e.field, "seq");
  auto& a3 = resume_from(a, 1);
  EXPECT_TRUE(std::holds_alternative<msg::Resumed>(take(a3).at(0).message));
}

// A half-open connection: the server has not noticed the old connection is gone when the resume arrives.
TEST_F(ResumeTest, AResumeTakesOverASessionWhoseOldConnectionIsStillOpen) {
  auto& a = join("r", true);
  auto& b = join("r", false);
  take(a);
  text(b, offer_to(a.id, "o1"));  // seq 2, lost in the dead connection
  a.last_seq = 1;
  auto& a2 = resume_from(a);
  auto got = take(a2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<msg::Resumed>(got[0].message));
  EXPECT_EQ(got[1].seq, 2u);
  EXPECT_TRUE(b.link.frames().empty()) << "no reconnecting was said, so no resumed either";
  // The old connection finds out at its next call, closes, and does not take the room with it.
  text(b, offer_to(a.id, "o2"));
  EXPECT_EQ(take(a2).at(0).seq, 3u);
  text(a, R"({"type":"ping"})");
  text(a, offer_to(b.id, "stale"));
  EXPECT_EQ(a.link.close_code(), close_code::session_taken_over);
  EXPECT_TRUE(b.link.frames().empty()) << "nothing from the replaced connection";
  a.session->on_closed(LeaveReason::disconnect);
  pump();
  EXPECT_TRUE(b.link.frames().empty()) << "its close is no leave";
  EXPECT_EQ(router_.peer_count(), 2u);
}

TEST_F(ResumeTest, AGoodbyeEndsTheSessionAtOnce) {
  auto& a = join("r", true);
  auto& b = join("r", false);
  take(b);
  a.session->on_closed(LeaveReason::disconnect);  // a close frame with 1000: deliberate
  pump();
  EXPECT_EQ(std::get<msg::PeerLeft>(take(b).at(0).message).reason, LeaveReason::disconnect);
  auto& a2 = resume_from(a);
  EXPECT_EQ(std::get<msg::Error>(take(a2).at(0).message).reason, "expired");
  auto& c = join("r", true);
  text(c, R"({"type":"bye"})");
  auto& c2 = resume_from(c);
  EXPECT_EQ(std::get<msg::Error>(take(c2).at(0).message).reason, "expired");
}

TEST_F(ResumeTest, BeyondTheParkingLimitADroppedConnectionLeaves) {
  registry_ = std::make_unique<ResumeRegistry>(ResumeConfig{20s, 8, 64 * 1024, 1}, router_, counters_, metrics_);
  ctx_.resume = registry_.get();
  auto& a = join("r", true);
  auto& b = join("r", true);
  auto& c = join("r", false);
  take(c);
  a.session->on_lost(LeaveReason::disconnect);
  b.session->on_lost(LeaveReason::timeout);
  pump();
  auto heard = take(c);
  ASSERT_EQ(heard.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<msg::PeerReconnecting>(heard[0].message));
  EXPECT_EQ(std::get<msg::PeerLeft>(heard[1].message), (msg::PeerLeft{b.id, LeaveReason::timeout}));
  EXPECT_EQ(metric("signalbox_resume_ended_total", "cause=\"limit\""), 1);
}

TEST_F(ResumeTest, WithResumeOffAJoinGetsNoTicketAndAResumeIsRefused) {
  registry_ = std::make_unique<ResumeRegistry>(ResumeConfig{0s, 8, 64 * 1024, 1}, router_, counters_, metrics_);
  ctx_.resume = registry_.get();
  auto& b = connect();
  text(b, R"({"type":"join","room":"t","resume":true})");
  auto got = take(b);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(std::get<msg::Joined>(got[0].message).resume.has_value());
  auto& c = connect();
  text(c, serialize(ClientMessage{msg::Resume{std::string(32, 'a'), std::string(32, 'b'), 0}}));
  EXPECT_EQ(std::get<msg::Error>(take(c).at(0).message).code, ErrorCode::resume_refused);
}

TEST_F(ResumeTest, ADrainingNodeSendsAResumeElsewhereAndKeepsTheSession) {
  auto [a, b] = lost_pair();
  registry_->drain();
  auto& a2 = resume_from(a);
  auto got = take(a2);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<msg::Drain>(got[0].message));
  EXPECT_EQ(a2.link.close_code(), close_code::going_away);
  EXPECT_FALSE(a2.session->joined());
  EXPECT_EQ(registry_->parked(), 1u) << "the session waits on, for a resume elsewhere";
  EXPECT_TRUE(b.link.frames().empty()) << "the room hears nothing";
  EXPECT_EQ(metric("signalbox_resume_refused_total", "cause=\"expired\""), 0);
}

// A cluster node's drain (SIGTERM): a resumable session hears `drain` and its connection closes (1001), but the
// session is parked for a resume on another node, not ended; the node holds it until it has moved. Other sessions
// hear `drain` only (their close ends them, as before).
TEST_F(ResumeTest, InAClusterTheDrainParksAResumableSessionForAResumeElsewhere) {
  auto& a = join("r", true);
  auto& b = join("r", false);
  take(a);
  take(b);
  registry_->drain(true);
  router_.drain();
  pump();
  auto got = take(a);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<msg::Drain>(got[0].message));
  EXPECT_EQ(got[0].seq, 0u) << "drain is about the connection: not numbered";
  EXPECT_EQ(a.link.close_code(), close_code::going_away);
  EXPECT_FALSE(a.session->joined());
  EXPECT_EQ(registry_->parked(), 1u);
  EXPECT_EQ(registry_->waiting(), 1u);
  auto heard = take(b);
  ASSERT_EQ(heard.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<msg::Drain>(heard[0].message));
  EXPECT_EQ(std::get<msg::PeerReconnecting>(heard[1].message).id, a.id);
  EXPECT_EQ(b.link.close_code(), 0) << "a session that cannot resume is closed by the shutdown, as before";
  a.session->on_closed(LeaveReason::disconnect);  // the close handshake ends: no leave, the session is parked
  pump();
  EXPECT_TRUE(take(b).empty());
  EXPECT_EQ(metric("signalbox_resume_drained_total"), 1);
  EXPECT_EQ(metric("signalbox_resume_parked_total"), 1);

  // Another node's resume takes it: the node holds it until the router has moved the member.
  const auto hash = ResumeRegistry::hash_of(a.ticket.secret);
  auto out = registry_->hand_over(a.ticket.session, hash, a.last_seq, [](auto) {});
  ASSERT_TRUE(out.has_value());
  EXPECT_TRUE(std::get<SessionTransfer>(*out).told_reconnecting);
  EXPECT_EQ(registry_->parked(), 0u);
  EXPECT_EQ(registry_->waiting(), 1u) << "on its way";
  registry_->handed_over(a.ticket.session);
  EXPECT_EQ(registry_->waiting(), 0u);
}

// A single server has nowhere to send a session: its drain leaves a resumable session as it was, and the close that
// follows ends it (the room hears peer-left).
TEST_F(ResumeTest, OnASingleServerTheDrainEndsAResumableSessionWithItsConnection) {
  auto& a = join("r", true);
  auto& b = join("r", false);
  take(a);
  take(b);
  registry_->drain();
  router_.drain();
  pump();
  auto got = take(a);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<msg::Drain>(got[0].message));
  EXPECT_EQ(a.link.close_code(), 0) << "the shutdown closes it";
  EXPECT_TRUE(a.session->joined());
  EXPECT_EQ(registry_->parked(), 0u);
  take(b);
  a.session->on_closed(LeaveReason::disconnect);  // the shutdown's close 1001
  pump();
  EXPECT_EQ(std::get<msg::PeerLeft>(take(b).at(0).message), (msg::PeerLeft{a.id, LeaveReason::disconnect}));
  EXPECT_EQ(registry_->waiting(), 0u);
  EXPECT_EQ(metric("signalbox_resume_drained_total"), 0);
}

// Resume across nodes, the registries' part (the cluster router carries it between the nodes and moves the
// membership): the holder checks the secret and gives the session up, what still reaches it is forwarded, and
// the other node's registry holds it parked until the client that asked there resumes it, with nothing lost.
TEST_F(ResumeTest, AHandedOverSessionResumesOnTheOtherNodesRegistry) {
  auto [a, b] = lost_pair();
  text(b, offer_to(a.id, "v=0 one"));
  OtherNode node(*this);
  auto& other = node.registry;
  auto& there = node.clients;

  // The client asks the other node, which holds nothing: it asks the cluster and waits.
  Client& a2 = there.connect(node.ctx);
  there.text(a2, serialize(ClientMessage{msg::Resume{a.ticket.session, a.ticket.secret, a.last_seq}}));
  EXPECT_TRUE(take(a2).empty());
  ASSERT_EQ(node.finder.asked.size(), 1u);
  const auto& q = node.finder.asked[0];
  EXPECT_EQ(q.hash, ResumeRegistry::hash_of(a.ticket.secret)) << "the secret itself stays on its node";

  // The holder: a wrong secret is refused and changes nothing; the right one hands the session over.
  auto wrong = registry_->hand_over(q.session, ResumeRegistry::hash_of(std::string(32, '0')), q.seq, {});
  ASSERT_TRUE(wrong.has_value());
  EXPECT_EQ(std::get<ResumeFailed>(*wrong).reason, ResumeRefusal::secret);
  EXPECT_FALSE(registry_->hand_over("0123", q.hash, q.seq, {}).has_value()) << "not held here";
  std::vector<std::shared_ptr<const std::string>> forwarded;
  auto out = registry_->hand_over(q.session, q.hash, q.seq, [&](auto frame) { forwarded.push_back(frame); });
  ASSERT_TRUE(out.has_value());
  auto transfer = std::get<SessionTransfer>(std::move(*out));
  EXPECT_EQ(transfer.peer_id, a.id);
  EXPECT_EQ(transfer.room, "r");
  EXPECT_TRUE(transfer.told_reconnecting);
  ASSERT_EQ(transfer.frames.size(), 1u);
  EXPECT_EQ(transfer.frames[0].seq, a.last_seq + 1);
  EXPECT_EQ(registry_->parked(), 0u);
  EXPECT_EQ(registry_->size(), 0u);
  EXPECT_EQ(router_.peer_count(), 2u) << "still a member until the router moves it";
  text(b, offer_to(a.id, "v=0 two"));  // reaches the old record: it goes on to the new node
  ASSERT_EQ(forwarded.size(), 1u);
  registry_->handed_over(q.session);  // the router moved the member: the old record goes

  // The other node holds it, gets the forwarded frame, and the waiting connection resumes it there.
  ASSERT_NE(other.adopt(std::move(transfer), clock_.now()), nullptr);
  EXPECT_EQ(other.parked(), 1u);
  other.forwarded(q.session, forwarded[0]);
  other.answer(q.session, std::nullopt);
  there.pump();
  auto got = take(a2);
  ASSERT_EQ(got.size(), 3u);
  const auto& resumed = std::get<msg::Resumed>(got[0].message);
  EXPECT_EQ(resumed.id, a.id);
  EXPECT_NE(resumed.resume.secret, a.ticket.secret) << "the secret rotates";
  EXPECT_EQ(std::get<msg::RelayedOffer>(got[1].message).sdp, "v=0 one");
  EXPECT_EQ(got[1].seq, a.last_seq + 1);
  EXPECT_EQ(std::get<msg::RelayedOffer>(got[2].message).sdp, "v=0 two");
  EXPECT_EQ(got[2].seq, a.last_seq + 2);
  EXPECT_TRUE(a2.session->joined());
  EXPECT_EQ(other.parked(), 0u);
  EXPECT_FALSE(registry_->hand_over(q.session, q.hash, q.seq, {}).has_value()) << "gone from the first node";
}

TEST_F(ResumeTest, TheOtherNodesRefusalReachesTheWaitingConnection) {
  OtherNode node(*this);
  auto& other = node.registry;
  auto& there = node.clients;
  Client& c = there.connect(node.ctx);
  const std::string session(32, 'a');
  there.text(c, serialize(ClientMessage{msg::Resume{session, std::string(32, 'b'), 0}}));
  ASSERT_EQ(node.finder.asked.size(), 1u);
  other.answer(session, ResumeFailed{ErrorCode::resume_refused, ResumeRefusal::expired, "nobody has it"});
  there.pump();
  auto got = take(c);
  ASSERT_EQ(got.size(), 1u);
  const auto& e = std::get<msg::Error>(got[0].message);
  EXPECT_EQ(e.code, ErrorCode::resume_refused);
  EXPECT_EQ(e.reason, "expired");
  EXPECT_EQ(e.ref, "resume");
  EXPECT_FALSE(c.session->joined());
}

}  // namespace
}  // namespace sb::signaling
