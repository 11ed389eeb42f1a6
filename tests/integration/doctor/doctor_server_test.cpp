// signalbox's doctor endpoints over real HTTP: GET /doctor/config hands out this server's URLs and
// credentials that allocate for --doctor-credential-ttl seconds; POST /doctor/report is off by default,
// and when on, reports are size-limited, recounted by verdict in /metrics and kept for /admin.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>

#include "common/http_get.hpp"
#include "common/ports.hpp"
#include "common/server_process.hpp"
#include "turn_probe.hpp"

namespace sb::itest {
namespace {

using json = nlohmann::json;

ServerOptions with_args(std::vector<std::string> args) {
  ServerOptions o;
  o.args = {"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--log-level", "warn"};
  o.args.insert(o.args.end(), args.begin(), args.end());
  return o;
}

json get_json(const ServerProcess& s, const std::string& target, int expect = 200) {
  const auto r = http_get("127.0.0.1", s.port("http"), target);
  EXPECT_EQ(r.status, expect) << target << ": " << r.error << r.body;
  return json::parse(r.body, nullptr, false);
}

double metric(const std::string& text, const std::string& name) {
  const auto at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

TEST(DoctorServer, ConfigNamesTheBoundPortsWithShortLivedCredentialsThatAllocate) {
  ServerProcess server(with_args({"--doctor-credential-ttl", "120"}));
  const json offer = get_json(server, "/doctor/config");
  const std::string udp = std::to_string(server.port("turn-udp"));
  EXPECT_EQ(offer["stun"], "stun:127.0.0.1:" + udp);
  EXPECT_EQ(offer["turn"]["udp"], "turn:127.0.0.1:" + udp + "?transport=udp");
  EXPECT_EQ(offer["turn"]["tcp"], "turn:127.0.0.1:" + std::to_string(server.port("turn-tcp")) + "?transport=tcp");
  EXPECT_FALSE(offer["turn"].contains("tls")) << "no certificate, no turns:";
  EXPECT_TRUE(offer["rfc5780"].is_null());
  EXPECT_EQ(offer["relayToRelay"], true) << "the relay carries data between its own allocations (issue 10)";
  EXPECT_EQ(offer["relayToDevice"], false) << "the peer policy refuses loopback, where this test runs from";
  EXPECT_EQ(offer["reports"], false);
  // TURN REST username "<expiry>:doctor-<run>": valid for --doctor-credential-ttl, not --turn-credential-ttl.
  const std::string user = offer["turn"]["username"];
  const long expiry = std::stol(user.substr(0, user.find(':')));
  EXPECT_NEAR(static_cast<double>(expiry - std::time(nullptr)), 120, 5) << user;
  EXPECT_TRUE(user.substr(user.find(':') + 1).starts_with("doctor-")) << user;
  TurnProbe probe(*stun::TransportAddress::parse("127.0.0.1:" + udp));
  EXPECT_EQ(probe.allocate(user, offer["turn"]["credential"]), 200);
  TurnProbe wrong(*stun::TransportAddress::parse("127.0.0.1:" + udp));
  EXPECT_EQ(wrong.allocate(user, "not-the-credential"), 401);
}

TEST(DoctorServer, PageIsServedAtDoctor) {
  ServerProcess server(with_args({}));
  const auto redirect = http_get("127.0.0.1", server.port("http"), "/doctor");
  EXPECT_EQ(redirect.status, 301);
  const auto page = http_get("127.0.0.1", server.port("http"), "/doctor/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("Connection doctor"), std::string::npos);
  EXPECT_EQ(http_get("127.0.0.1", server.port("http"), "/doctor/verdict.js").content_type,
            "text/javascript; charset=utf-8");
}

TEST(DoctorServer, ReportsAreOffByDefault) {
  ServerProcess server(with_args({}));
  const auto r = http_post("127.0.0.1", server.port("http"), "/doctor/report", R"({"version":1,"facts":{}})");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(http_get("127.0.0.1", server.port("http"), "/doctor/report").status, 405);
}

TEST(DoctorServer, ReportsAreRecountedKeptAndLimited) {
  ServerProcess server(with_args({"--doctor-reports", "--doctor-report-max-bytes", "4096", "--doctor-rate-limit", "600"}));
  const std::uint16_t port = server.port("http");
  // A report whose facts say the server's UDP is blocked and only TURN over TCP works.
  const json report = {{"version", 1}, {"startedAt", "2026-11-30T10:00:00Z"}, {"durationMs", 5000},
                       {"facts", {{"signaling", {{"status", "pass"}}}, {"stun", {{"status", "fail"}}},
                                  {"turnUdp", {{"status", "fail"}, {"offered", true}, {"port", 3478}, {"error", "unreachable"}}},
                                  {"turnTcp", {{"status", "pass"}, {"offered", true}, {"port", 3478}}}}},
                       {"verdict", {{"code", "direct"}}}};
  const auto posted = http_post("127.0.0.1", port, "/doctor/report", report.dump());
  ASSERT_EQ(posted.status, 201) << posted.error << posted.body;
  EXPECT_EQ(json::parse(posted.body)["verdict"]["code"], "udp-blocked-relay");
  EXPECT_EQ(http_post("127.0.0.1", port, "/doctor/report", "{\"version\":1,").status, 400);
  EXPECT_EQ(http_post("127.0.0.1", port, "/doctor/report", std::string(6000, ' ')).status, 413);
  EXPECT_EQ(http_post("127.0.0.1", port, "/doctor/report", std::string(9000, ' ')).status, 0)
      << "beyond twice the limit the connection is closed";
  const auto kept = get_json(server, "/admin/doctor/reports");
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0]["clientVerdict"], "direct");
  EXPECT_EQ(kept[0]["report"]["verdict"]["code"], "udp-blocked-relay");
  const auto m = http_get("127.0.0.1", port, "/metrics").body;
  EXPECT_EQ(metric(m, "signalbox_doctor_reports_total{verdict=\"udp-blocked-relay\"}"), 1) << m;
  EXPECT_EQ(metric(m, "signalbox_doctor_rejected_total{reason=\"malformed\"}"), 1);
  EXPECT_EQ(metric(m, "signalbox_doctor_rejected_total{reason=\"too-large\"}"), 1);
}

TEST(DoctorServer, RateLimitedPerSourceWith429) {
  ServerProcess server(with_args({"--doctor-rate-limit", "1"}));
  int ok = 0, limited = 0;
  for (int i = 0; i < 8; ++i) {
    const int s = http_get("127.0.0.1", server.port("http"), "/doctor/config").status;
    ok += s == 200;
    limited += s == 429;
  }
  EXPECT_EQ(ok, 5) << "a burst of 5";
  EXPECT_EQ(limited, 3);
}

TEST(DoctorServer, Rfc5780AddressesWhenTheServerHasAnAlternate) {
  std::uint16_t p1 = 0, p2 = 0;
  auto server = start_on_free_ports(2, {"127.0.0.1", "127.0.0.2"}, [&](const std::vector<std::uint16_t>& ports) {
    p1 = ports[0];
    p2 = ports[1];
    ServerOptions o;
    o.args = {"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:" + std::to_string(p1), "--stun-alt-address",
              "127.0.0.2:" + std::to_string(p2), "--log-level", "warn"};
    return o;
  });
  const json offer = get_json(*server, "/doctor/config");
  const std::string a = std::to_string(p1), b = std::to_string(p2);
  EXPECT_EQ(offer["rfc5780"], json::array({"stun:127.0.0.1:" + a, "stun:127.0.0.1:" + b, "stun:127.0.0.2:" + a,
                                           "stun:127.0.0.2:" + b}));
}

TEST(DoctorServer, NoDoctorNoConfig) {
  ServerProcess server(with_args({"--no-doctor"}));
  EXPECT_EQ(http_get("127.0.0.1", server.port("http"), "/doctor/config").status, 404);
  const auto m = http_get("127.0.0.1", server.port("http"), "/metrics").body;
  EXPECT_EQ(m.find("signalbox_doctor_"), std::string::npos);
}

}  // namespace
}  // namespace sb::itest
