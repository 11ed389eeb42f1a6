#include <gtest/gtest.h>

#include "fake_link.hpp"
#include "signaling/memory_router.hpp"
#include "signaling/peerjs/session.hpp"

namespace sb::signaling::peerjs {
namespace {

using namespace std::chrono_literals;
using signaling::testing::FakeLink;
using signaling::testing::FakeMember;

class PeerjsSessionTest : public ::testing::Test {
 protected:
  struct Client {
    FakeLink link;
    std::shared_ptr<FakeMember> member = std::make_shared<FakeMember>();
    std::unique_ptr<Session> session;
    std::size_t read = 0;
  };

  Client& connect(const std::string& id, const std::string& token = "t", const std::string& key = "peerjs") {
    return connect_query("key=" + key + "&id=" + id + "&token=" + token + "&version=1.5.5");
  }
  Client& connect_query(const std::string& query) {
    clients_.push_back(std::make_unique<Client>());
    Client& c = *clients_.back();
    c.session = std::make_unique<Session>(ctx_, c.link, c.member, query);
    c.session->on_open();
    pump();
    return c;
  }
  void text(Client& c, std::string_view frame) {
    c.session->on_text(frame);
    pump();
  }
  void pump() {
    for (bool any = true; any;) {
      any = false;
      for (auto& c : clients_) {
        for (auto& ev : c->member->take()) {
          any = true;
          if (c->session) c->session->on_event(ev);
        }
      }
    }
  }
  void tick(util::Duration d) {
    clock_.advance(d);
    for (auto& c : clients_) c->session->on_timer(clock_.now());
    pump();
  }
  static std::vector<std::string> received(Client& c) {
    std::vector<std::string> out(c.link.frames().begin() + static_cast<std::ptrdiff_t>(c.read),
                                 c.link.frames().end());
    c.read = c.link.frames().size();
    return out;
  }

  Config config_;
  MemoryRouter router_{RouterLimits{2, 100}};
  metrics::Registry registry_;
  Counters counters_{registry_};
  util::ManualClock clock_;
  RateLimitConfig rate_{};
  Metrics metrics_ = Metrics::make(registry_);
  Attachments attachments_{router_};
  Context ctx_{config_, router_, counters_, clock_, rate_, metrics_, attachments_};
  std::vector<std::unique_ptr<Client>> clients_;
};

const std::string kOpen = R"({"type":"OPEN"})";

TEST_F(PeerjsSessionTest, OpenThenRelaysWithSrcSetByTheServer) {
  auto& a = connect("alice");
  auto& b = connect("bob");
  EXPECT_EQ(received(a), std::vector<std::string>{kOpen});
  EXPECT_EQ(received(b), std::vector<std::string>{kOpen});
  text(a, R"({"type":"OFFER","src":"mallory","dst":"bob","payload":{"sdp":{"type":"offer"}},"x":1})");
  EXPECT_EQ(received(b),
            std::vector<std::string>{
                R"({"type":"OFFER","src":"alice","dst":"bob","payload":{"sdp":{"type":"offer"}}})"});
  text(b, R"({"type":"LEAVE","dst":"alice"})");
  EXPECT_EQ(received(a), std::vector<std::string>{R"({"type":"LEAVE","src":"bob","dst":"alice"})"});
  EXPECT_EQ(router_.peer_count(),
            2u);  // far above the v1 room size: the room's capacity is the concurrent limit
}

TEST_F(PeerjsSessionTest, RefusalsAsPeerAnswersThem) {
  auto& missing = connect_query("key=peerjs&id=alice");
  EXPECT_EQ(received(missing),
            std::vector<std::string>{
                R"({"type":"ERROR","payload":{"msg":"No id, token, or key supplied to websocket server"}})"});
  EXPECT_EQ(missing.link.close_code(), 1000);
  auto& key = connect("alice", "t", "other");
  EXPECT_EQ(received(key),
            std::vector<std::string>{R"({"type":"ERROR","payload":{"msg":"Invalid key provided"}})"});
  connect("alice", "t1");
  auto& thief = connect("alice", "t2");
  EXPECT_EQ(received(thief),
            std::vector<std::string>{R"({"type":"ID-TAKEN","payload":{"msg":"ID is taken"}})"});
  EXPECT_EQ(thief.link.close_code(), 1000);
  EXPECT_EQ(router_.peer_count(), 1u);
}

TEST_F(PeerjsSessionTest, ConcurrentLimit) {
  config_.concurrent_limit = 2;
  connect("a");
  connect("b");
  auto& c = connect("c");
  EXPECT_EQ(received(c),
            std::vector<std::string>{
                R"({"type":"ERROR","payload":{"msg":"Server has reached its concurrent user limit"}})"});
}

TEST_F(PeerjsSessionTest, HeldUntilTheTargetConnectsThenDeliveredAfterItsOpenInOrder) {
  auto& a = connect("alice");
  auto& b = connect("bob");
  text(a, R"({"type":"OFFER","dst":"carol","payload":1})");
  text(b, R"({"type":"CANDIDATE","dst":"carol","payload":2})");
  text(a, R"({"type":"CANDIDATE","dst":"carol","payload":3})");
  text(a, R"({"type":"LEAVE","dst":"carol"})");  // never waits
  auto& c = connect("carol");
  EXPECT_EQ(received(c),
            (std::vector<std::string>{kOpen, R"({"type":"OFFER","src":"alice","dst":"carol","payload":1})",
                                      R"({"type":"CANDIDATE","src":"alice","dst":"carol","payload":3})",
                                      R"({"type":"CANDIDATE","src":"bob","dst":"carol","payload":2})"}));
  // Nothing expires afterwards.
  received(a);
  tick(10s);
  EXPECT_TRUE(received(a).empty());
}

TEST_F(PeerjsSessionTest, OneExpirePerTargetAfterTheExpireTimeout) {
  auto& a = connect("alice");
  received(a);
  text(a, R"({"type":"OFFER","dst":"dave","payload":1})");
  tick(2s);
  text(a, R"({"type":"CANDIDATE","dst":"dave","payload":2})");
  tick(2900ms);
  EXPECT_TRUE(received(a).empty());
  tick(100ms);
  EXPECT_EQ(received(a), std::vector<std::string>{R"({"type":"EXPIRE","src":"dave","dst":"alice"})"});
  EXPECT_EQ(metrics_.held->value(), 2u);
  EXPECT_EQ(metrics_.expired->value(), 1u);
  auto& d = connect("dave");
  EXPECT_EQ(received(d), std::vector<std::string>{kOpen});  // what expired is gone
  // An id no client can have expires at once.
  text(a, R"({"type":"OFFER","dst":"no/such id","payload":1})");
  EXPECT_EQ(received(a), std::vector<std::string>{R"({"type":"EXPIRE","src":"no/such id","dst":"alice"})"});
}

TEST_F(PeerjsSessionTest, IgnoredJunkAndHeartbeatsGetNoAnswer) {
  auto& a = connect("alice");
  received(a);
  for (std::string_view junk : {"not json", "[1]", "{}", R"({"type":"OPEN"})", R"({"type":"HEARTBEAT"})",
                                R"({"type":"OFFER"})", R"({"type":"OFFER","dst":7})"}) {
    text(a, junk);
  }
  EXPECT_TRUE(received(a).empty());
  EXPECT_EQ(a.link.close_code(), 0);
  // Dropped, and counted: invalid JSON 1, not an object 1, unknown type 2 ({} and OPEN), invalid dst 1.
  EXPECT_EQ(metrics_.dropped[static_cast<std::size_t>(DropReason::invalid_json)]->value(), 1u);
  EXPECT_EQ(metrics_.dropped[static_cast<std::size_t>(DropReason::not_an_object)]->value(), 1u);
  EXPECT_EQ(metrics_.dropped[static_cast<std::size_t>(DropReason::unknown_type)]->value(), 2u);
  EXPECT_EQ(metrics_.dropped[static_cast<std::size_t>(DropReason::invalid_dst)]->value(), 1u);
}

TEST_F(PeerjsSessionTest, AliveTimeoutWithoutAnyFrame) {
  auto& a = connect("alice");
  tick(60s);
  text(a, R"({"type":"HEARTBEAT"})");
  tick(89s);
  EXPECT_EQ(a.link.close_code(), 0);
  tick(1s);
  EXPECT_EQ(a.link.close_code(), 1000);
  EXPECT_EQ(router_.peer_count(), 0u);
}

TEST_F(PeerjsSessionTest, LeaveWithoutDstReleasesTheIdAndCloses) {
  auto& a = connect("alice");
  text(a, R"({"type":"LEAVE"})");
  EXPECT_EQ(a.link.close_code(), 1000);
  auto& again = connect("alice", "other-token");
  EXPECT_EQ(received(again), std::vector<std::string>{kOpen});
}

TEST_F(PeerjsSessionTest, ReattachWithTheSameTokenTakesTheIdOverWithoutOpen) {
  auto& old = connect("alice", "secret");
  auto& b = connect("bob");
  received(old);
  received(b);
  auto& again = connect("alice", "secret");
  EXPECT_TRUE(received(again).empty()) << "peer 1.0.x sends no OPEN to a re-attached socket";
  EXPECT_EQ(again.link.close_code(), 0);
  EXPECT_EQ(old.link.close_code(), 1000);
  EXPECT_EQ(router_.peer_count(), 2u);
  EXPECT_EQ(attachments_.size(), 2u);
  text(b, R"({"type":"OFFER","dst":"alice","payload":1})");
  EXPECT_EQ(received(again),
            std::vector<std::string>{R"({"type":"OFFER","src":"bob","dst":"alice","payload":1})"});
  EXPECT_TRUE(received(old).empty());
  text(again, R"({"type":"ANSWER","dst":"bob","payload":2})");
  EXPECT_EQ(received(b),
            std::vector<std::string>{R"({"type":"ANSWER","src":"alice","dst":"bob","payload":2})"});
  // The old connection's end, after the hand-over, does not take the id from the new one.
  old.session->on_closed(LeaveReason::disconnect);
  old.session.reset();
  pump();
  EXPECT_EQ(router_.peer_count(), 2u);
  text(b, R"({"type":"CANDIDATE","dst":"alice","payload":3})");
  EXPECT_EQ(received(again).size(), 1u);
  // Its own end releases the id.
  again.session.reset();
  EXPECT_EQ(router_.peer_count(), 1u);
  EXPECT_EQ(attachments_.size(), 1u);
}

TEST_F(PeerjsSessionTest, ReattachWithAnotherTokenIsIdTakenAndTheHolderKeepsTheId) {
  auto& old = connect("alice", "secret");
  auto& b = connect("bob");
  received(old);
  auto& thief = connect("alice", "guess");
  EXPECT_EQ(received(thief),
            std::vector<std::string>{R"({"type":"ID-TAKEN","payload":{"msg":"ID is taken"}})"});
  EXPECT_EQ(thief.link.close_code(), 1000);
  EXPECT_EQ(old.link.close_code(), 0);
  text(b, R"({"type":"OFFER","dst":"alice","payload":1})");
  EXPECT_EQ(received(old).size(), 1u);
}

// Re-attach across nodes (docs/cluster.md): the holder's router forgets the member and tells the Attachments.
TEST_F(PeerjsSessionTest, AnIdTakenOverOnAnotherNodeClosesTheOldConnectionWithoutLeaving) {
  auto& old = connect("alice", "secret");
  auto& b = connect("bob");
  received(old);
  received(b);
  // Delivered before the hand-over, handled after it: still written to the old connection, as on peer.
  b.session->on_text(R"({"type":"OFFER","dst":"alice","payload":1})");
  attachments_.handed_over("peerjs/peerjs", "alice");
  attachments_.handed_over("peerjs/peerjs", "nobody");  // an id this node does not hold: nothing happens
  pump();
  EXPECT_EQ(received(old), std::vector<std::string>{R"({"type":"OFFER","src":"bob","dst":"alice","payload":1})"});
  EXPECT_EQ(old.link.close_code(), 1000);
  EXPECT_EQ(attachments_.size(), 1u);
  // The session does not leave: the id is the other node's (here the router still lists it).
  old.session->on_closed(LeaveReason::disconnect);
  old.session.reset();
  EXPECT_EQ(router_.peer_count(), 2u);
  EXPECT_EQ(b.link.close_code(), 0);
}

TEST_F(PeerjsSessionTest, AnIdHandedOverFromAnotherNodeGetsNoOpen) {
  clients_.push_back(std::make_unique<Client>());
  Client& a = *clients_.back();
  a.session = std::make_unique<Session>(ctx_, a.link, a.member, "key=peerjs&id=alice&token=t");
  a.session->on_open();
  auto events = a.member->take();
  ASSERT_EQ(events.size(), 1u);
  std::get<event::Admitted>(events[0]).took_over = true;  // as a RedisRouter answers a join it took the id for
  a.session->on_event(events[0]);
  EXPECT_TRUE(received(a).empty()) << "peer 1.0.x sends no OPEN to a re-attached socket";
  auto& b = connect("bob");
  text(b, R"({"type":"OFFER","dst":"alice","payload":1})");
  EXPECT_EQ(received(a), std::vector<std::string>{R"({"type":"OFFER","src":"bob","dst":"alice","payload":1})"});
}

TEST_F(PeerjsSessionTest, MessagesHeldForAnIdInTheHandOverReachTheNewConnection) {
  auto& old = connect("alice", "secret");
  auto& b = connect("bob");
  // The old connection leaves first (its close reached the server): bob's offer waits for alice.
  old.session.reset();
  text(b, R"({"type":"OFFER","dst":"alice","payload":1})");
  auto& again = connect("alice", "secret");
  EXPECT_EQ(received(again),
            (std::vector<std::string>{kOpen, R"({"type":"OFFER","src":"bob","dst":"alice","payload":1})"}));
}

TEST_F(PeerjsSessionTest, FramesBeforeOpenAreHandledAfterIt) {
  // A join answered later (as across nodes): what the client sends meanwhile waits for its OPEN.
  auto& b = connect("bob");
  clients_.push_back(std::make_unique<Client>());
  Client& a = *clients_.back();
  a.session = std::make_unique<Session>(ctx_, a.link, a.member, "key=peerjs&id=alice&token=t");
  a.session->on_open();
  a.session->on_text(R"({"type":"OFFER","dst":"bob","payload":1})");
  pump();
  EXPECT_EQ(received(a), std::vector<std::string>{kOpen});
  EXPECT_EQ(received(b).back(), R"({"type":"OFFER","src":"alice","dst":"bob","payload":1})");
}

TEST_F(PeerjsSessionTest, OverTheRateFramesAreDroppedAndSustainedAbuseCloses) {
  rate_ = RateLimitConfig{1, 2, 3, 10s};
  auto& a = connect("alice");
  auto& b = connect("bob");
  received(b);
  for (int i = 0; i < 4; ++i) text(a, R"({"type":"CANDIDATE","dst":"bob","payload":1})");
  EXPECT_EQ(received(b).size(), 2u);  // the burst; the rest dropped without an answer
  EXPECT_EQ(a.link.close_code(), 0);
  for (int i = 0; i < 3; ++i) text(a, R"({"type":"HEARTBEAT"})");
  EXPECT_EQ(a.link.close_code(), 1008);
}

}  // namespace
}  // namespace sb::signaling::peerjs
