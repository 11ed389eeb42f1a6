#include <gtest/gtest.h>

#include "fake_link.hpp"
#include "signaling/ayame/session.hpp"
#include "signaling/memory_router.hpp"
#include "signaling/session.hpp"

namespace sb::signaling::ayame {
namespace {

using namespace std::chrono_literals;
using signaling::testing::FakeLink;
using signaling::testing::FakeMember;

const std::string kOffer = R"({"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"})";
const std::string kCandidate =
    R"({"type":"candidate","ice":{"candidate":"candidate:1 1 udp 1 192.0.2.2 5 typ host","sdpMid":"0","sdpMLineIndex":0}})";

class AyameSessionTest : public ::testing::Test {
 protected:
  struct Client {
    FakeLink link;
    std::shared_ptr<FakeMember> member = std::make_shared<FakeMember>();
    std::unique_ptr<Session> session;
    std::size_t read = 0;  // frames already looked at
  };

  Client& connect(std::unique_ptr<Authn> authn = nullptr) {
    clients_.push_back(std::make_unique<Client>());
    Client& c = *clients_.back();
    c.session = std::make_unique<Session>(ctx_, c.link, c.member, std::move(authn));
    return c;
  }
  void text(Client& c, std::string_view frame) {
    c.session->on_text(frame);
    pump();
  }
  // Every event the router delivered, as src/net would pass them on.
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
  // The frames the client received since the last call, parsed.
  static std::vector<ServerMessage> received(Client& c) {
    std::vector<ServerMessage> out;
    for (; c.read < c.link.frames().size(); ++c.read) {
      auto m = parse_server_message(c.link.frames()[c.read], Limits{});
      EXPECT_TRUE(m) << c.link.frames()[c.read];
      if (m) out.push_back(std::move(*m));
    }
    return out;
  }
  Client& registered(const std::string& room, bool expect_exist) {
    Client& c = connect();
    text(c, R"({"type":"register","roomId":")" + room + R"(","clientId":"c1"})");
    auto got = received(c);
    EXPECT_EQ(got.size(), 1u);
    if (got.empty() || !std::holds_alternative<msg::Accept>(got[0])) {
      ADD_FAILURE() << "no accept";
      return c;
    }
    const auto& a = std::get<msg::Accept>(got[0]);
    EXPECT_EQ(a.is_exist_client, expect_exist);
    EXPECT_EQ(a.connection_id.size(), kConnectionIdChars);
    return c;
  }

  Config config_;
  MemoryRouter router_{RouterLimits{4, 100}};  // the v1 default room size is not Ayame's: a room holds two
  StaticIceServers ice_{{"stun:127.0.0.1:3478"}};
  metrics::Registry registry_;
  Counters counters_{registry_};
  util::ManualClock clock_;
  RateLimitConfig rate_{};
  Metrics metrics_ = Metrics::make(registry_);
  Context ctx_{config_, router_, ice_, counters_, clock_, rate_, metrics_};
  std::vector<std::unique_ptr<Client>> clients_;
};

TEST_F(AyameSessionTest, TwoRegisterAndExchangeFramesAsWritten) {
  auto& a = registered("user@room", false);
  auto& b = registered("user@room", true);
  // accept carries signalbox's ICE servers.
  EXPECT_TRUE(received(a).empty());
  text(b, kOffer);
  text(a, kCandidate);
  ASSERT_EQ(a.link.frames().size(), 2u);
  EXPECT_EQ(a.link.frames()[1], kOffer);  // forwarded byte for byte
  EXPECT_EQ(b.link.frames().back(), kCandidate);
}

TEST_F(AyameSessionTest, AcceptCarriesIceServers) {
  auto& a = connect();
  text(a, R"({"type":"register","roomId":"r"})");
  auto got = parse_server_message(a.link.frames().at(0), Limits{});
  ASSERT_TRUE(got);
  const auto& accept = std::get<msg::Accept>(*got);
  ASSERT_TRUE(accept.ice_servers);
  EXPECT_EQ(accept.ice_servers->at(0).urls, std::vector<std::string>{"stun:127.0.0.1:3478"});
  EXPECT_FALSE(accept.authz_metadata);
}

TEST_F(AyameSessionTest, AThirdIsRejectedAsFull) {
  registered("r", false);
  registered("r", true);
  auto& c = connect();
  text(c, R"({"type":"register","roomId":"r"})");
  auto got = received(c);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(std::get<msg::Reject>(got[0]).reason, "full");
  EXPECT_EQ(c.link.close_code(), 1000);
  EXPECT_EQ(metrics_.rejected_full->value(), 1u);
}

TEST_F(AyameSessionTest, WhenOneLeavesTheOtherGetsByeAndAClose) {
  auto& a = registered("r", false);
  auto& b = registered("r", true);
  b.session->on_closed(LeaveReason::disconnect);
  pump();
  auto got = received(a);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<msg::Bye>(got[0]));
  EXPECT_EQ(a.link.close_code(), 1000);
  // The room is free again.
  registered("r", false);
}

TEST_F(AyameSessionTest, RoomsAreTheirOwnNamespace) {
  // A v1 client in room "r" and an Ayame client in room "r" never meet.
  SessionConfig v1config{signaling::Limits{}, RateLimitConfig{10, 20, 5, 10s}};
  SessionContext v1ctx{v1config, router_, ice_, counters_, clock_};
  FakeLink v1link;
  auto v1member = std::make_shared<FakeMember>();
  signaling::Session v1(v1ctx, v1link, v1member);
  v1.on_text(R"({"type":"join","room":"r"})");
  for (auto& ev : v1member->take()) v1.on_event(ev);
  registered("r", false);  // alone in ayame/r
  pump();
  EXPECT_EQ(v1link.frames().size(), 1u);  // joined, nothing else
}

TEST_F(AyameSessionTest, PingsEveryIntervalAndClosesWithoutPong) {
  auto& a = registered("r", false);
  EXPECT_EQ(a.session->next_deadline(), clock_.now() + 5s);
  clock_.advance(5s);
  a.session->on_timer(clock_.now());
  auto got = received(a);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<msg::Ping>(got[0]));
  text(a, R"({"type":"pong"})");
  clock_.advance(59s);
  a.session->on_timer(clock_.now());
  EXPECT_EQ(a.link.close_code(), 0);  // the pong at 5 s moved the deadline to 65 s
  clock_.advance(1s);
  a.session->on_timer(clock_.now());
  EXPECT_EQ(a.link.close_code(), 1000);
}

TEST_F(AyameSessionTest, StandaloneHasNoPingsAndClosesOnConnected) {
  auto& a = connect();
  text(a, R"({"type":"register","roomId":"r","standalone":true})");
  EXPECT_FALSE(a.session->next_deadline());
  text(a, R"({"type":"connected"})");
  EXPECT_EQ(a.link.close_code(), 1000);
}

TEST_F(AyameSessionTest, FailuresCloseTheConnection) {
  auto& a = connect();
  text(a, kOffer);  // before register
  EXPECT_EQ(a.link.close_code(), 1000);
  EXPECT_TRUE(a.link.frames().empty());
  auto& b = connect();
  text(b, R"({"type":"register"})");
  auto got = received(b);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(std::get<msg::Reject>(got[0]).reason, "MissingRoomID");
  EXPECT_EQ(b.link.close_code(), 1000);
  auto& c = registered("r", false);
  text(c, R"({"type":"register","roomId":"r"})");  // twice
  EXPECT_EQ(c.link.close_code(), 1000);
  auto& d = connect();
  text(d, "not json");
  EXPECT_EQ(d.link.close_code(), 1000);
  EXPECT_EQ(metrics_.failures[static_cast<std::size_t>(Failure::invalid_json)]->value(), 1u);
  EXPECT_EQ(metrics_.failures[static_cast<std::size_t>(Failure::registration_incomplete)]->value(), 1u);
}

// Records what a register would send to the webhook; the test answers as the webhook would.
class FakeAuthn final : public Authn {
 public:
  struct Asked {
    std::string room_id, client_id, connection_id;
    std::optional<std::string> signaling_key, authn_metadata;
    std::weak_ptr<Member> member;
  };
  explicit FakeAuthn(std::vector<Asked>& asked, bool accept_calls = true)
      : asked_(asked), accept_calls_(accept_calls) {}
  bool ask(const msg::Register& r, std::string_view client_id, std::string_view connection_id,
           std::weak_ptr<Member> member) override {
    if (!accept_calls_) return false;
    asked_.push_back({r.room_id, std::string(client_id), std::string(connection_id), r.signaling_key,
                      r.authn_metadata, std::move(member)});
    return true;
  }
  void on_admitted() override { ++admitted; }
  void on_deadline() override {}
  int admitted = 0;

 private:
  std::vector<Asked>& asked_;
  bool accept_calls_;
};

class AyameAuthnTest : public AyameSessionTest {
 protected:
  Client& connect_authn(bool accept_calls = true) {
    return connect(std::make_unique<FakeAuthn>(asked_, accept_calls));
  }
  void answer(const Event& e) {
    ASSERT_FALSE(asked_.empty());
    if (auto m = asked_.back().member.lock()) m->deliver(e);
    pump();
  }
  std::vector<FakeAuthn::Asked> asked_;
};

TEST_F(AyameAuthnTest, TheWebhookIsAskedFirstAndItsGrantShapesTheAccept) {
  auto& a = connect_authn();
  EXPECT_FALSE(a.session->admitted());
  a.session->on_text(
      R"({"type":"register","roomId":"r","clientId":"c","signalingKey":"k","authnMetadata":{"x":1}})");
  pump();
  ASSERT_EQ(asked_.size(), 1u);
  EXPECT_EQ(asked_[0].room_id, "r");
  EXPECT_EQ(asked_[0].client_id, "c");
  EXPECT_EQ(asked_[0].signaling_key, "k");
  EXPECT_EQ(asked_[0].authn_metadata, R"({"x":1})");
  EXPECT_TRUE(a.session->deciding());
  EXPECT_TRUE(a.link.frames().empty()) << "nothing before the webhook's answer";
  EXPECT_EQ(router_.peer_count(), 0u);
  Grant g;
  g.meta = R"({"plan":"pro"})";
  g.ice_servers = std::vector<IceServer>{IceServer{{"turn:192.0.2.9:3478"}, "u", "p"}};
  answer(event::Granted{asked_[0].connection_id, g});
  ASSERT_EQ(a.link.frames().size(), 1u);
  auto got = parse_server_message(a.link.frames()[0], Limits{});
  ASSERT_TRUE(got);
  const auto& accept = std::get<msg::Accept>(*got);
  EXPECT_EQ(accept.connection_id, asked_[0].connection_id);
  EXPECT_EQ(accept.authz_metadata, R"({"plan":"pro"})");
  ASSERT_TRUE(accept.ice_servers);
  EXPECT_EQ(accept.ice_servers->at(0).urls, std::vector<std::string>{"turn:192.0.2.9:3478"});
  EXPECT_TRUE(a.session->admitted());
  EXPECT_FALSE(a.session->deciding());
  EXPECT_EQ(router_.peer_count(), 1u);
}

TEST_F(AyameAuthnTest, ARefusalIsARejectWithItsReasonAndAClose) {
  auto& a = connect_authn();
  a.session->on_text(R"({"type":"register","roomId":"r"})");
  pump();
  ASSERT_EQ(asked_.size(), 1u);
  EXPECT_EQ(asked_[0].client_id, asked_[0].connection_id)
      << "Ayame's client id defaults to the connection id";
  answer(event::Refused{asked_[0].connection_id, ErrorCode::auth_denied, "NotAllowed"});
  EXPECT_EQ(a.link.frames(), std::vector<std::string>{R"({"type":"reject","reason":"NotAllowed"})"});
  EXPECT_EQ(a.link.close_code(), 1000);
  EXPECT_EQ(router_.peer_count(), 0u);
}

TEST_F(AyameAuthnTest, AWebhookThatCannotBeAskedIsInternalServerError) {
  auto& a = connect_authn(false);
  a.session->on_text(R"({"type":"register","roomId":"r"})");
  EXPECT_EQ(a.link.frames(), std::vector<std::string>{R"({"type":"reject","reason":"InternalServerError"})"});
  EXPECT_EQ(a.link.close_code(), 1000);
}

TEST_F(AyameAuthnTest, FramesBeforeTheAnswerEndTheConnectionAsBeforeAccept) {
  auto& a = connect_authn();
  a.session->on_text(R"({"type":"register","roomId":"r"})");
  a.session->on_text(kOffer);
  EXPECT_EQ(a.link.close_code(), 1000);
  answer(event::Granted{asked_[0].connection_id, Grant{}});
  EXPECT_TRUE(a.link.frames().empty());
  EXPECT_EQ(router_.peer_count(), 0u);
}

}  // namespace
}  // namespace sb::signaling::ayame
