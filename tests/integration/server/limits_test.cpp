// Limits per source IP and the re-join quota bypass (issue 10), against the real server: one WebSocket
// that joins and leaves over and over gets one TURN user (its connection) and so one user quota; joins
// per second and HTTP/WebSocket connections per client IP are capped, and every refusal is in /metrics.
#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/host_address.hpp"
#include "common/http_get.hpp"
#include "common/json_util.hpp"
#include "common/server_process.hpp"
#include "common/ws_client.hpp"
#include "turn_probe.hpp"

namespace sb::itest {
namespace {

using namespace std::chrono_literals;

ServerOptions server(std::vector<std::string> extra) {
  ServerOptions o;
  o.args = {"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--turn-relay-address", host_address(),
            "--log-level", "warn"};
  o.args.insert(o.args.end(), extra.begin(), extra.end());
  return o;
}

double metric_of(const ServerProcess& s, const char* name, std::map<std::string, std::string> labels = {}) {
  const auto& l = s.listener("http");
  return metric(parse_prometheus(http_get(l.host, l.port, "/metrics").body), name, labels).value_or(-1);
}

// The next message of `type`, skipping others; nullopt after 5 s.
std::optional<json> next(WsClient& ws, const std::string& type) {
  for (int i = 0; i < 10; ++i) {
    auto m = ws.receive_json(5s);
    if (!m) return std::nullopt;
    if (type_of(*m) == type || type_of(*m) == "error") return m;
  }
  return std::nullopt;
}

struct Credentials {
  std::string user, password;
};

std::optional<Credentials> join(WsClient& ws, const std::string& room) {
  if (!ws.send_json({{"type", "join"}, {"room", room}})) return std::nullopt;
  auto joined = next(ws, "joined");
  if (!joined || type_of(*joined) != "joined") return std::nullopt;
  for (const auto& s : (*joined)["iceServers"]) {
    if (s.contains("username")) return Credentials{s["username"], s["credential"]};
  }
  return std::nullopt;
}

// One WebSocket took 200 allocations in 0.9 s by joining and leaving, and a real newcomer got 486.
TEST(RejoinQuota, OneConnectionIsOneTurnUserHoweverOftenItJoins) {
  ServerProcess s(server({"--turn-user-quota", "3", "--turn-max-allocations", "6"}));
  const auto& l = s.listener("turn-udp");
  const auto turn = *stun::TransportAddress::parse(l.host + ":" + std::to_string(l.port));
  WsClient ws("127.0.0.1", s.port("http"));
  std::vector<std::unique_ptr<TurnProbe>> allocations;
  std::vector<int> codes;
  std::set<std::string> users;
  for (int i = 0; i < 6; ++i) {
    const auto cred = join(ws, "rejoin-" + std::to_string(i));
    ASSERT_TRUE(cred) << s.output();
    users.insert(cred->user.substr(cred->user.find(':') + 1));
    allocations.push_back(std::make_unique<TurnProbe>(turn));
    codes.push_back(allocations.back()->allocate(cred->user, cred->password));
    ASSERT_TRUE(ws.send_json({{"type", "bye"}}));
  }
  EXPECT_EQ(users.size(), 1u) << "every join on one connection names the same TURN user";
  EXPECT_EQ(codes, (std::vector<int>{200, 200, 200, 486, 486, 486}));
  // A newcomer still gets relayed.
  WsClient newcomer("127.0.0.1", s.port("http"));
  const auto cred = join(newcomer, "newcomer");
  ASSERT_TRUE(cred);
  TurnProbe probe(turn);
  EXPECT_EQ(probe.allocate(cred->user, cred->password), 200);
  EXPECT_EQ(metric_of(s, "signalbox_turn_quota_refusals_total", {{"quota", "user"}}), 3);
}

TEST(PerIpLimits, JoinsPerSecond) {
  ServerProcess s(server({"--join-rate-per-ip", "1"}));  // burst 3
  std::vector<std::unique_ptr<WsClient>> clients;
  int joined = 0, limited = 0;
  for (int i = 0; i < 5; ++i) {
    clients.push_back(std::make_unique<WsClient>("127.0.0.1", s.port("http")));
    ASSERT_TRUE(clients.back()->send_json({{"type", "join"}, {"room", "r" + std::to_string(i)}}));
    const auto m = next(*clients.back(), "joined");
    ASSERT_TRUE(m);
    if (type_of(*m) == "joined") ++joined;
    if (type_of(*m) == "error" && str_field(*m, "code") == "rate-limited" && str_field(*m, "ref") == "join") {
      ++limited;
    }
  }
  EXPECT_EQ(joined, 3);
  EXPECT_EQ(limited, 2);
  EXPECT_EQ(metric_of(s, "signalbox_joins_refused_total", {{"limit", "per_ip_rate"}}), 2);
}

// 500 of 500 WebSockets from one IP used to join and get TURN credentials.
TEST(PerIpLimits, ConnectionsPerClientIp) {
  ServerProcess s(server({"--connections-per-ip", "5"}));
  auto io = std::make_shared<IoThread>();
  std::vector<std::unique_ptr<WsClient>> open;
  int refused = 0;
  for (int i = 0; i < 8; ++i) {
    try {
      open.push_back(std::make_unique<WsClient>("127.0.0.1", s.port("http"), WsOptions{}, io));
    } catch (const WsError&) {
      ++refused;
    }
  }
  EXPECT_EQ(open.size(), 5u);
  EXPECT_EQ(refused, 3);
  // /metrics is a connection too: read it with a slot freed.
  open.pop_back();
  bool freed = false;
  for (int i = 0; i < 50 && !freed; ++i) {
    try {
      open.push_back(std::make_unique<WsClient>("127.0.0.1", s.port("http"), WsOptions{}, io));
      freed = true;
    } catch (const WsError&) {
      std::this_thread::sleep_for(50ms);  // the server sees the close a moment later
    }
  }
  EXPECT_TRUE(freed) << "a closed connection gives its slot back";
  open.clear();
  double counted = -1;
  for (int i = 0; i < 50 && counted < 0; ++i) {
    counted = metric_of(s, "signalbox_http_connections_refused_total", {{"limit", "per_ip"}});
    if (counted < 0) std::this_thread::sleep_for(50ms);
  }
  EXPECT_GE(counted, 3);
}

}  // namespace
}  // namespace sb::itest
