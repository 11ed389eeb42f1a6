// Re-joining must not buy fresh TURN quota (issue 10): one WebSocket could join and bye 50 times a second,
// each join minting credentials for a new peer id, the TURN quota's user. Now the credentials name the
// connection, the same for every join on it, and joins are limited per client IP.
#include <gtest/gtest.h>

#include "fake_link.hpp"
#include "signaling/memory_router.hpp"
#include "signaling/session.hpp"

namespace sb::signaling {
namespace {

using testing::FakeLink;
using testing::FakeMember;

// Records who asked; hands out one "TURN" server whose username is the request's user.
class RecordingIceServers final : public IceServerSource {
 public:
  std::vector<IceServer> ice_servers_for(const IceServerRequest& r) override {
    users.emplace_back(r.user);
    peers.emplace_back(r.peer_id);
    return {IceServer{{"turn:192.0.2.1:3478"}, std::string(r.user), std::string("pw")}};
  }
  std::vector<std::string> users, peers;
};

class JoinLimits : public ::testing::Test {
 protected:
  struct Client {
    FakeLink link;
    std::shared_ptr<FakeMember> member = std::make_shared<FakeMember>();
    std::unique_ptr<Session> session;
  };
  Client& connect(const char* ip) {
    clients_.push_back(std::make_unique<Client>());
    Client& c = *clients_.back();
    c.session = std::make_unique<Session>(ctx_, c.link, c.member, *util::parse_ip(ip));
    return c;
  }
  // Sends `frame`, delivers the router's events, returns what the client got.
  std::vector<ServerMessage> text(Client& c, std::string_view frame) {
    c.session->on_text(frame);
    for (auto& ev : c.member->take()) c.session->on_event(ev);
    return c.link.take();
  }
  bool join(Client& c, const std::string& room) {
    auto got = text(c, R"({"type":"join","room":")" + room + R"("})");
    return got.size() == 1 && std::holds_alternative<msg::Joined>(got[0]);
  }

  SessionConfig config_{Limits{}, RateLimitConfig{1000, 1000, 1000, std::chrono::seconds(10)}};
  MemoryRouter router_{RouterLimits{2, 1000}};
  RecordingIceServers ice_;
  metrics::Registry registry_;
  Counters counters_{registry_};
  util::ManualClock clock_;
  util::PerIpRate joins_{{2, 6}};  // 2 joins/s per IP, burst 6
  SessionContext ctx_{config_, router_, ice_, counters_, clock_, &joins_};
  std::vector<std::unique_ptr<Client>> clients_;
};

TEST_F(JoinLimits, CredentialsNameTheConnectionNotThePeerId) {
  auto& c = connect("203.0.113.1");
  ASSERT_TRUE(join(c, "a"));
  text(c, R"({"type":"bye"})");
  ASSERT_TRUE(join(c, "b"));
  text(c, R"({"type":"bye"})");
  ASSERT_TRUE(join(c, "c"));
  ASSERT_EQ(ice_.users.size(), 3u);
  EXPECT_EQ(ice_.users[0], ice_.users[1]);  // one connection: one TURN user, whatever the peer ids
  EXPECT_EQ(ice_.users[1], ice_.users[2]);
  EXPECT_NE(ice_.peers[0], ice_.peers[1]);
  EXPECT_EQ(ice_.users[0], c.session->connection_key());
  auto& other = connect("203.0.113.1");
  ASSERT_TRUE(join(other, "d"));
  EXPECT_NE(ice_.users.back(), ice_.users[0]);  // another connection is another user
}

TEST_F(JoinLimits, JoinsPerSecondPerClientIp) {
  auto& c = connect("203.0.113.1");
  int joined = 0, limited = 0;
  for (int i = 0; i < 10; ++i) {
    auto got = text(c, R"({"type":"join","room":"r)" + std::to_string(i) + R"("})");
    ASSERT_EQ(got.size(), 1u);
    if (std::holds_alternative<msg::Joined>(got[0])) {
      ++joined;
      text(c, R"({"type":"bye"})");
    } else {
      const auto& e = std::get<msg::Error>(got[0]);
      EXPECT_EQ(e.code, ErrorCode::rate_limited);
      EXPECT_EQ(e.ref, "join");
      ++limited;
    }
  }
  EXPECT_EQ(joined, 6);
  EXPECT_EQ(limited, 4);
  // Another connection from the same address shares the budget; another address has its own.
  auto& same_ip = connect("203.0.113.1");
  EXPECT_FALSE(join(same_ip, "x"));
  auto& elsewhere = connect("198.51.100.7");
  EXPECT_TRUE(join(elsewhere, "y"));
  clock_.advance(std::chrono::seconds(1));
  EXPECT_TRUE(join(same_ip, "x"));
  EXPECT_EQ(joins_.refused(), 5u);
}

}  // namespace
}  // namespace sb::signaling
