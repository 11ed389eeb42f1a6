// The v1 session with access control (docs/auth.md), with a scripted gatekeeper: a grant names the peer
// (identity, name, meta) to the others, a refusal ends the connection (4003), a decision that comes later
// arrives as an event and a stale one is ignored, TURN credentials only when granted and minted for the
// identity, and the pre-admission deadline.
#include <gtest/gtest.h>

#include <functional>

#include "session_harness.hpp"

namespace sb::signaling {
namespace {

class FakeGate final : public Gatekeeper {
 public:
  struct Seen {
    std::string peer_id, room, name, token, metadata;
  };
  std::function<std::optional<AdmissionDecision>(const Seen&)> decide = [](const Seen&) {
    return std::optional<AdmissionDecision>(Grant{});
  };
  std::vector<Seen> seen;
  int admitted = 0;
  int deadlines = 0;

  std::optional<AdmissionDecision> admit(const JoinAttempt& a, std::weak_ptr<Member>) override {
    seen.push_back({std::string(a.peer_id), std::string(a.room), std::string(a.name), std::string(a.token),
                    std::string(a.metadata)});
    return decide(seen.back());
  }
  void on_admitted() override { ++admitted; }
  void on_deadline() override { ++deadlines; }
};

// STUN without credentials and TURN with credentials minted for the user asked about.
class FakeIce final : public IceServerSource {
 public:
  std::vector<IceServer> ice_servers_for(const IceServerRequest& request) override {
    users.emplace_back(request.user);
    peer_ids.emplace_back(request.peer_id);
    return {{{"stun:stun.example.org:3478"}, std::nullopt, std::nullopt},
            {{"turn:turn.example.org:3478?transport=udp"}, "1700000600:" + std::string(request.user), "pw"}};
  }
  std::vector<std::string> users;
  std::vector<std::string> peer_ids;
};

Grant grant(std::string identity, std::string name = "", std::string meta = "") {
  Grant g;
  g.identity = std::move(identity);
  g.name = std::move(name);
  g.meta = std::move(meta);
  return g;
}

class SessionAuthTest : public testing::SessionHarness {
 protected:
  struct Gated {
    Client& client;
    FakeGate& gate;
  };
  SessionAuthTest()
      : SessionHarness(std::make_unique<FakeIce>(),
                       SessionConfig{Limits{}, RateLimitConfig{10, 20, 5, std::chrono::seconds(10)}, 3},
                       RouterLimits{3, 100}) {}

  Gated connect_gated() {
    auto gate = std::make_unique<FakeGate>();
    FakeGate& g = *gate;
    return {connect(std::move(gate)), g};
  }
  FakeIce& fake_ice() { return static_cast<FakeIce&>(*ice_); }
  static msg::Joined joined(Client& c) { return only<msg::Joined>(c); }
  static msg::Error error(Client& c) { return only<msg::Error>(c); }
};

TEST_F(SessionAuthTest, AGrantNamesThePeerToTheOthers) {
  auto [a, a_gate] = connect_gated();
  a_gate.decide = [](const FakeGate::Seen&) { return AdmissionDecision{grant("alice@x", "Alice", R"({"role":"host"})")}; };
  text(a, R"({"type":"join","room":"demo","name":"typed","token":"h.p.s","metadata":{"plan":"pro"}})");
  const auto ja = joined(a);
  ASSERT_EQ(a_gate.seen.size(), 1u);
  const auto& seen = a_gate.seen[0];
  EXPECT_EQ(seen.peer_id, ja.id) << "the gate is told the id the peer gets";
  EXPECT_EQ(seen.room, "demo");
  EXPECT_EQ(seen.name, "typed");
  EXPECT_EQ(seen.token, "h.p.s");
  EXPECT_EQ(seen.metadata, R"({"plan":"pro"})");
  EXPECT_TRUE(a.session->admitted());
  EXPECT_EQ(a_gate.admitted, 1);
  EXPECT_EQ(a.session->grant().identity, "alice@x");

  auto [b, b_gate] = connect_gated();
  b_gate.decide = [](const FakeGate::Seen&) { return AdmissionDecision{grant("bob@x", "Bob")}; };
  text(b, R"({"type":"join","room":"demo"})");
  const auto jb = joined(b);
  ASSERT_EQ(jb.peers.size(), 1u);
  EXPECT_EQ(jb.peers[0], (PeerInfo{ja.id, "Alice", "alice@x", R"({"role":"host"})"}));
  auto pj = a.link.take();
  ASSERT_EQ(pj.size(), 1u);
  const auto& peer_joined = std::get<msg::PeerJoined>(pj[0]);
  EXPECT_EQ(peer_joined.id, jb.id);
  EXPECT_EQ(peer_joined.name, "Bob");
  EXPECT_EQ(peer_joined.identity, "bob@x");
  // Fresh TURN credentials for a, who may have waited alone longer than they last.
  ASSERT_EQ(peer_joined.ice_servers.size(), 2u);
  EXPECT_EQ(peer_joined.ice_servers[1].username, "1700000600:alice@x");
  EXPECT_EQ(fake_ice().users, (std::vector<std::string>{"alice@x", "bob@x", "alice@x"}));
}

TEST_F(SessionAuthTest, ARefusalIsExplainedThenTheConnectionCloses) {
  auto [a, a_gate] = connect_gated();
  a_gate.decide = [](const FakeGate::Seen&) {
    return AdmissionDecision{Denial{ErrorCode::token_expired, "the token has expired"}};
  };
  text(a, R"({"type":"join","room":"demo","token":"h.p.s"})");
  const auto e = error(a);
  EXPECT_EQ(e.code, ErrorCode::token_expired);
  EXPECT_EQ(e.ref, "join");
  EXPECT_EQ(a.link.close_code(), close_code::access_denied);
  EXPECT_EQ(router_.peer_count(), 0u);
  EXPECT_FALSE(a.session->admitted());
  text(a, R"({"type":"ping"})");  // nothing more is served
  EXPECT_TRUE(a.link.take().empty());
  EXPECT_EQ(counters_.errors_total[static_cast<std::size_t>(ErrorCode::token_expired)]->value(), 1u);
}

TEST_F(SessionAuthTest, ALaterDecisionArrivesAsAnEvent) {
  auto [a, a_gate] = connect_gated();
  a_gate.decide = [](const FakeGate::Seen&) { return std::optional<AdmissionDecision>(); };
  text(a, R"({"type":"join","room":"demo"})");
  EXPECT_TRUE(a.link.take().empty());
  EXPECT_TRUE(a.session->deciding());
  const std::string id = a_gate.seen.at(0).peer_id;
  Event stale = event::Granted{std::string(32, 'f'), grant("mallory")};
  a.session->on_event(stale);
  EXPECT_TRUE(a.link.take().empty()) << "an answer for another attempt is ignored";
  Event granted = event::Granted{id, grant("alice")};
  a.session->on_event(granted);
  pump();
  EXPECT_EQ(joined(a).id, id);
  EXPECT_FALSE(a.session->deciding());

  auto [b, b_gate] = connect_gated();
  b_gate.decide = [](const FakeGate::Seen&) { return std::optional<AdmissionDecision>(); };
  text(b, R"({"type":"join","room":"demo"})");
  Event refused = event::Refused{b_gate.seen.at(0).peer_id, ErrorCode::auth_denied, "not today"};
  b.session->on_event(refused);
  const auto e = error(b);
  EXPECT_EQ(e.code, ErrorCode::auth_denied);
  EXPECT_EQ(e.message, "not today");
  EXPECT_EQ(b.link.close_code(), close_code::access_denied);
  EXPECT_TRUE(a.link.take().empty()) << "a refused peer was never announced";
}

TEST_F(SessionAuthTest, ByeCancelsAJoinBeingDecided) {
  auto [a, a_gate] = connect_gated();
  a_gate.decide = [](const FakeGate::Seen&) { return std::optional<AdmissionDecision>(); };
  text(a, R"({"type":"join","room":"demo"})");
  text(a, R"({"type":"bye"})");
  Event late = event::Granted{a_gate.seen.at(0).peer_id, grant("alice")};
  a.session->on_event(late);
  pump();
  EXPECT_TRUE(a.link.take().empty());
  EXPECT_EQ(router_.peer_count(), 0u);
  EXPECT_FALSE(a.session->deciding());
}

TEST_F(SessionAuthTest, TurnCredentialsOnlyWhenGrantedAndForTheIdentity) {
  auto [a, a_gate] = connect_gated();
  a_gate.decide = [](const FakeGate::Seen&) {
    auto g = grant("alice");
    g.turn = false;
    return AdmissionDecision{g};
  };
  text(a, R"({"type":"join","room":"r1"})");
  EXPECT_EQ(joined(a).ice_servers, (std::vector<IceServer>{{{"stun:stun.example.org:3478"}, {}, {}}}));

  auto [b, b_gate] = connect_gated();
  b_gate.decide = [](const FakeGate::Seen&) { return AdmissionDecision{grant("bob")}; };
  text(b, R"({"type":"join","room":"r2"})");
  const auto jb = joined(b);
  ASSERT_EQ(jb.ice_servers.size(), 2u);
  EXPECT_EQ(jb.ice_servers[1].username, "1700000600:bob") << "coturn's expiry:identity form";

  // No identity (e.g. the webhook mode): the connection's key names the credentials, as without access control.
  auto [c, c_gate] = connect_gated();
  text(c, R"({"type":"join","room":"r3"})");
  const auto jc = joined(c);
  EXPECT_EQ(jc.ice_servers.at(1).username, "1700000600:" + c.session->connection_key());
  EXPECT_EQ(fake_ice().peer_ids.back(), jc.id) << "the request still names the peer";
}

TEST_F(SessionAuthTest, AWebhookListReplacesTheServersOwn) {
  auto [a, a_gate] = connect_gated();
  a_gate.decide = [](const FakeGate::Seen&) {
    auto g = grant("alice");
    g.ice_servers = std::vector<IceServer>{{{"turns:relay.example.org:443"}, "u", "c"}};
    return AdmissionDecision{g};
  };
  text(a, R"({"type":"join","room":"r"})");
  EXPECT_EQ(joined(a).ice_servers, (std::vector<IceServer>{{{"turns:relay.example.org:443"}, "u", "c"}}));
  EXPECT_TRUE(fake_ice().users.empty()) << "no credentials minted for nothing";
}

TEST_F(SessionAuthTest, TheRoomSizeAGrantAsksForIsCappedByTheServer) {
  auto [a, a_gate] = connect_gated();
  text(a, R"({"type":"join","room":"r"})");
  joined(a);
  auto [b, b_gate] = connect_gated();
  b_gate.decide = [](const FakeGate::Seen&) {
    auto g = grant("bob");
    g.max_peers = 1;  // a room of one: a is already in it
    return AdmissionDecision{g};
  };
  text(b, R"({"type":"join","room":"r"})");
  EXPECT_EQ(error(b).code, ErrorCode::room_full);
  EXPECT_EQ(b.link.close_code(), 0) << "room-full is not an access-control refusal";
  for (int i = 0; i < 3; ++i) {
    auto [c, c_gate] = connect_gated();
    c_gate.decide = [](const FakeGate::Seen&) {
      auto g = grant("many");
      g.max_peers = 50;  // above --max-peers-per-room (3 here)
      return AdmissionDecision{g};
    };
    text(c, R"({"type":"join","room":"r"})");
    if (i < 2) {
      joined(c);
    } else {
      EXPECT_EQ(error(c).code, ErrorCode::room_full);
    }
  }
}

TEST_F(SessionAuthTest, TheDeadlineRefusesAConnectionNotYetAdmitted) {
  auto [a, a_gate] = connect_gated();
  a.session->on_admission_deadline();
  const auto e = error(a);
  EXPECT_EQ(e.code, ErrorCode::auth_timeout);
  EXPECT_EQ(e.ref, "");
  EXPECT_EQ(a.link.close_code(), close_code::access_denied);
  EXPECT_EQ(a_gate.deadlines, 1);

  auto [b, b_gate] = connect_gated();
  text(b, R"({"type":"join","room":"r"})");
  joined(b);
  text(b, R"({"type":"bye"})");
  EXPECT_TRUE(b.session->admitted()) << "admission is for the connection, not the membership";
  b.session->on_admission_deadline();
  EXPECT_TRUE(b.link.take().empty());
  EXPECT_EQ(b.link.close_code(), 0);
  EXPECT_EQ(b_gate.admitted, 1);
}

}  // namespace
}  // namespace sb::signaling
