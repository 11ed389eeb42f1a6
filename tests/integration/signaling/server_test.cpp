// The server as a whole: SIGTERM, /healthz and /metrics, WSS with a self-signed certificate, and many
// concurrent clients in many rooms with nothing crossing between rooms.
#include <signal.h>

#include <functional>
#include <set>

#include "signaling_harness.hpp"

namespace sb::itest {
namespace {

class SignalingServer : public SignalingTest {
 protected:
  void pairs_relay_only_to_each_other(int rooms, const std::function<std::string(int)>& target);
};

TEST_F(SignalingServer, SigtermClosesEveryConnectionWith1001AndExitsZero) {
  start_server();
  auto a = connect();
  auto b = connect();
  auto idle = connect();
  join(*a, "bye");
  join(*b, "bye");
  server().signal(SIGTERM);
  auto status = server().wait_exit(kWait);
  ASSERT_TRUE(status.has_value()) << "signalbox did not exit after SIGTERM";
  EXPECT_TRUE(status->clean()) << status->describe();
  for (WsClient* c : {a.get(), b.get(), idle.get()}) {
    ASSERT_TRUE(c->wait_closed(kWait));
    EXPECT_EQ(c->close_code(), std::optional<std::uint16_t>(1001)) << c->last_error();
  }
}

TEST_F(SignalingServer, HealthzAnswers200) {
  start_server();
  auto r = get("/healthz");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(get("/no-such-page").status, 404);
}

TEST_F(SignalingServer, MetricsCountConnectionsRoomsAndRelayedMessages) {
  start_server();
  auto r = get("/metrics");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_NE(r.content_type.find("text/plain"), std::string::npos) << r.content_type;
  EXPECT_NE(r.body.find("# TYPE signalbox_messages_relayed_total counter"), std::string::npos) << r.body;
  const Metrics before = parse_prometheus(r.body);
  auto relayed = [](const Metrics& m, const std::string& type) {
    return metric(m, "signalbox_messages_relayed_total", {{"type", type}}).value_or(-1);
  };
  auto errors = [](const Metrics& m, const std::string& code) {
    return metric(m, "signalbox_errors_total", {{"code", code}}).value_or(-1);
  };
  EXPECT_EQ(relayed(before, "offer"), 0) << r.body;
  EXPECT_EQ(errors(before, "unknown-type"), 0) << r.body;

  auto a = connect();
  auto b = connect();
  join(*a, "m");
  const std::string b_id = join(*b, "m");
  expect_message(*a, "peer-joined");
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(a->send_json({{"type", "offer"}, {"to", b_id}, {"sdp", "v=0"}}));
    expect_message(*b, "offer");
  }
  // An answer to nobody is an error, not a relayed message.
  ASSERT_TRUE(b->send_json({{"type", "answer"}, {"to", unused_peer_id()}, {"sdp", "v=0"}}));
  expect_error(*b, "unknown-peer");
  ASSERT_TRUE(a->send_json({{"type", "candidate"}, {"to", b_id}, {"candidate", nullptr}}));
  expect_message(*b, "candidate");
  ASSERT_TRUE(a->send(R"({"type":"nope"})"));
  expect_error(*a, "unknown-type");

  const Metrics after = metrics();
  EXPECT_EQ(relayed(after, "offer"), 3);
  EXPECT_EQ(relayed(after, "answer"), 0);
  EXPECT_EQ(relayed(after, "candidate"), 1);
  EXPECT_EQ(errors(after, "unknown-type"), 1);
  EXPECT_EQ(errors(after, "unknown-peer"), 1);
  EXPECT_EQ(metric(after, "signalbox_connections"), 2);
  EXPECT_EQ(metric(after, "signalbox_rooms"), 1);
  EXPECT_EQ(metric(after, "signalbox_peers"), 2);
  EXPECT_GE(metric(after, "signalbox_connections_total").value_or(0), 2);
}

TEST_F(SignalingServer, WssWithSelfSignedCertificate) {
  start_server({"--self-signed"});
  EXPECT_EQ(server().listener("https").host, "127.0.0.1");
  EXPECT_EQ(get("/healthz").status, 200);
  auto a = connect();
  auto b = connect();
  join(*a, "secure");
  const std::string b_id = join(*b, "secure");
  expect_message(*a, "peer-joined");
  ASSERT_TRUE(a->send_json({{"type", "offer"}, {"to", b_id}, {"sdp", "v=0 over tls"}}));
  EXPECT_EQ(str_field(expect_message(*b, "offer"), "sdp"), "v=0 over tls");
}

// 200 clients in 100 rooms of two, all open at once: each pair exchanges offer, answer and candidate, and
// every client receives exactly what its own peer sent, nothing from another room.
// 2 × kRooms clients, client i in room "room<i/2>", connected to target(i); every one sends an offer or answer
// and a candidate to its peer at once, then each checks it got exactly its peer's two messages, with the
// right `from`, and nothing else arrived anywhere.
void SignalingServer::pairs_relay_only_to_each_other(int rooms, const std::function<std::string(int)>& target) {
  auto io = std::make_shared<IoThread>();
  std::vector<std::unique_ptr<WsClient>> clients;
  std::vector<std::string> ids;
  const auto& l = server().listener("http");
  for (int i = 0; i < 2 * rooms; ++i) {
    WsOptions o;
    o.target = target(i);
    clients.push_back(std::make_unique<WsClient>(l.host, l.port, o, io));
    ids.push_back(join(*clients.back(), "room" + std::to_string(i / 2)));
    ASSERT_FALSE(ids.back().empty()) << o.target;
  }
  for (int r = 0; r < rooms; ++r) {
    EXPECT_EQ(str_field(expect_message(*clients[2 * r], "peer-joined"), "id"), ids[2 * r + 1]);
  }
  // Everyone sends at once, then everyone checks.
  for (int i = 0; i < 2 * rooms; ++i) {
    const std::string peer = ids[i ^ 1], tag = "from-" + std::to_string(i);
    ASSERT_TRUE(clients[i]->send_json({{"type", i % 2 ? "answer" : "offer"}, {"to", peer}, {"sdp", tag}}));
    ASSERT_TRUE(clients[i]->send_json(
        {{"type", "candidate"}, {"to", peer}, {"candidate", {{"candidate", tag}, {"sdpMid", "0"}}}}));
  }
  for (int i = 0; i < 2 * rooms; ++i) {
    const int peer = i ^ 1;
    const std::string tag = "from-" + std::to_string(peer);
    auto d = expect_message(*clients[i], peer % 2 ? "answer" : "offer");
    EXPECT_EQ(str_field(d, "from"), ids[peer]);
    EXPECT_EQ(str_field(d, "sdp"), tag);
    auto c = expect_message(*clients[i], "candidate");
    EXPECT_EQ(str_field(c, "from"), ids[peer]);
    EXPECT_EQ(c["candidate"]["candidate"], tag);
  }
  // Nothing else arrives anywhere.
  int extra = 0;
  for (std::size_t i = 0; i < clients.size(); ++i) {
    extra += clients[i]->receive(i == 0 ? kQuiet : milliseconds(0)).has_value();
  }
  EXPECT_EQ(extra, 0);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size()) << "peer ids repeat";
}

TEST_F(SignalingServer, TwoHundredClientsInHundredRoomsNothingCrossesRooms) {
  // 200 clients from one address join at once: more than --join-rate-per-ip allows one office.
  start_server({"--max-peers-per-room", "2", "--join-rate-per-ip", "0"});
  pairs_relay_only_to_each_other(100, [](int) { return std::string("/ws"); });
}

// As the web client connects: the room in the URL (`/ws?room=NAME`) moves each connection to its room's I/O
// thread before the handshake. With 4 threads most connections move. Some name another room than the one they
// join, or an odd query: the hint only places the connection, so every relay still reaches exactly its peer.
TEST_F(SignalingServer, RoomHintsMoveConnectionsToTheirRoomsThreadAndRelaysStayInTheRoom) {
  start_server({"--max-peers-per-room", "2", "--threads", "4", "--join-rate-per-ip", "0"});
  const std::vector<std::string> odd = {"/ws?room=", "/ws?x=1&room=room0", "/ws?room=a%zz&room=b", "/ws?room",
                                        "/ws?name=x&room=" + std::string(300, 'r')};
  pairs_relay_only_to_each_other(60, [&](int i) {
    if (i % 10 == 9) return odd[static_cast<std::size_t>(i / 10) % odd.size()];
    if (i % 10 == 8) return "/ws?room=room" + std::to_string(i / 2 + 7);  // not the room it joins
    return "/ws?room=room" + std::to_string(i / 2);
  });
  // With 4 contexts a connection starts on its room's one about a quarter of the time; the rest move.
  const double moved = metric(metrics(), "signalbox_connections_moved_total").value_or(-1);
  EXPECT_GE(moved, 30) << "of 120 connections, 108 with a room hint";
  EXPECT_LE(moved, 110);
}

}  // namespace
}  // namespace sb::itest
