// signalbox-client --doctor against a real signalbox on this host: every check resolves, the report is
// valid JSON whose verdict the server recomputes the same way, the media test follows the relay's peer
// policy (403 without relay-to-relay, data with it), and an unreachable server is told as such.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "client_process.hpp"
#include "common/http_get.hpp"
#include "common/ports.hpp"
#include "common/server_process.hpp"

namespace sb::itest {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

struct DoctorRun {
  int exit_code = -1;
  std::string out;
  json report;
};

// Runs the doctor to its end (it exits by itself; 60 s bound) and parses stdout as the JSON report.
DoctorRun run_doctor(std::vector<std::string> args) {
  args.insert(args.begin(), "--doctor");
  Process client(client_process(args));
  DoctorRun r;
  r.exit_code = client.wait_code(60s).value_or(-1);
  r.out = client.output();
  // With --doctor-json, stdout is one line: the report.
  if (auto line = client.wait_until([](const std::string& l) { return l.starts_with("{"); }, 1s)) {
    r.report = json::parse(*line, nullptr, false);
  }
  return r;
}

// The loopback server: STUN with RFC 5780 (127.0.0.1 / 127.0.0.2), TURN over UDP, TCP and TLS.
std::unique_ptr<ServerProcess> loopback_server(const std::vector<std::string>& extra) {
  return start_on_free_ports(2, {"127.0.0.1", "127.0.0.2"}, [&](const std::vector<std::uint16_t>& p) {
    ServerOptions o;
    o.args = {"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:" + std::to_string(p[0]), "--stun-alt-address",
              "127.0.0.2:" + std::to_string(p[1]), "--self-signed", "--stun-tls-listen", "127.0.0.1:0",
              "--doctor-reports", "--log-level", "warn"};
    o.args.insert(o.args.end(), extra.begin(), extra.end());
    return o;
  });
}

std::string wss(const ServerProcess& s) { return "wss://127.0.0.1:" + std::to_string(s.port("https")) + "/ws"; }

TEST(DoctorClient, EveryCheckResolvesAgainstALoopbackServer) {
  auto s = loopback_server({});
  const ServerProcess& server = *s;
  const auto r = run_doctor({"--server", wss(server), "--insecure", "--doctor-json"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  ASSERT_TRUE(r.report.is_object()) << r.out;
  const json& f = r.report["facts"];
  EXPECT_EQ(f["client"]["kind"], "native");
  EXPECT_EQ(f["client"]["turnTls"], false) << "libnice has no TURN over TLS";
  EXPECT_EQ(f["signaling"]["status"], "pass");
  EXPECT_GT(f["signaling"]["rttMs"].get<double>(), 0);
  EXPECT_EQ(f["stun"]["status"], "pass");
  EXPECT_EQ(f["stun"]["behindNat"], false) << f["stun"].dump();
  EXPECT_EQ(f["stun"]["publicAddress"], f["stun"]["localAddress"]);
  EXPECT_EQ(f["nat"]["method"], "rfc5780");
  EXPECT_EQ(f["nat"]["mapping"], "none");
  const std::string turn_port = std::to_string(server.port("turn-udp"));
  for (const char* t : {"turnUdp", "turnTcp", "turnTls"}) {
    EXPECT_EQ(f[t]["status"], "pass") << t << " " << f[t].dump();
    EXPECT_TRUE(f[t]["relayAddress"].get<std::string>().starts_with("127.0.0.1:")) << f[t].dump();
    EXPECT_GT(f[t]["rttMs"].get<double>(), 0);
  }
  EXPECT_EQ(f["turnTls"]["port"], server.port("turn-tls"));
  // The relay may not send to loopback (this device's address here), so the data test goes from one
  // allocation to another, which the relay carries itself (issue 10).
  EXPECT_EQ(f["server"]["relayToDevice"], false) << f["server"].dump();
  EXPECT_EQ(f["server"]["relayToRelay"], true) << f["server"].dump();
  EXPECT_EQ(f["media"]["path"], "relay-to-relay");
  EXPECT_EQ(f["media"]["status"], "pass") << f["media"].dump();
  EXPECT_EQ(f["media"]["sent"], 200);
  EXPECT_EQ(r.report["verdict"]["code"], "public-address");
  // The server records reports here: the client sent it, and the server's own verdict agrees.
  const auto kept = json::parse(http_get("127.0.0.1", server.port("https"), "/admin/doctor/reports", true).body);
  ASSERT_EQ(kept.size(), 1u) << r.out;
  EXPECT_EQ(kept[0]["report"]["verdict"]["code"], "public-address");
  EXPECT_EQ(kept[0]["clientVerdict"], "public-address");
}

// The data test follows the relay's peer policy: where it may send to this device's address, the data goes
// from the relay's port to the device's own socket (the path of a call with a peer outside).
TEST(DoctorClient, MediaThroughTheRelayFollowsThePeerPolicy) {
  auto s = loopback_server({"--allow-peer", "127.0.0.1/32"});
  const ServerProcess& server = *s;
  const auto r = run_doctor({"--server", wss(server), "--insecure", "--doctor-json", "--doctor-no-send"});
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const json& m = r.report["facts"]["media"];
  EXPECT_EQ(r.report["facts"]["server"]["relayToDevice"], true);
  EXPECT_EQ(m["status"], "pass") << m.dump();
  EXPECT_EQ(m["path"], "relay-to-device");
  EXPECT_EQ(m["transport"], "udp");
  EXPECT_EQ(m["sent"], 200);
  EXPECT_GE(m["received"].get<int>(), 160) << m.dump();
  EXPECT_GT(m["throughputKbps"].get<double>(), 100);
  EXPECT_GT(m["rttMs"].get<double>(), 0);
  EXPECT_EQ(json::parse(http_get("127.0.0.1", server.port("https"), "/admin/doctor/reports", true).body).size(), 0u)
      << "--doctor-no-send";
}

TEST(DoctorClient, UnreachableServerIsToldAndExitsNine) {
  RefusingPort port;
  const auto r = run_doctor({"--server", "ws://127.0.0.1:" + std::to_string(port.port()) + "/ws",
                             "--connect-timeout", "2"});
  EXPECT_EQ(r.exit_code, 9) << r.out;
  EXPECT_NE(r.out.find("This device cannot reach the signalbox server, so calls cannot start."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Signaling: not reachable"), std::string::npos) << r.out;
}

TEST(DoctorClient, WithoutTurnTheOperatorIsToldToRunIt) {
  ServerOptions o;
  o.args = {"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--no-turn", "--log-level", "warn"};
  ServerProcess server(o);
  const auto r = run_doctor({"--server", "ws://127.0.0.1:" + std::to_string(server.port("http")) + "/ws"});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("TURN over UDP: not offered by this server."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Operator: Run signalbox's TURN relay"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Data through the relay: not tested (no relay to test)."), std::string::npos) << r.out;
}

}  // namespace
}  // namespace sb::itest
