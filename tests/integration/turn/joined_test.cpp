// What a browser gets in `joined.iceServers` must work against the server that handed it out: the
// stun:/turn: URLs name the ports actually bound (per transport, also with --stun-listen HOST:0), and the
// ephemeral TURN REST credentials — minted with the random secret made at start-up when none is
// configured — authenticate an Allocate. And a second server on the same port must not start: with
// SO_REUSEPORT it would otherwise silently share the port, and clients hashed to the other process
// (another random secret) would get 401 at random.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/json_util.hpp"
#include "common/server_process.hpp"
#include "common/ws_client.hpp"
#include "turn_probe.hpp"

namespace sb::itest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

json join(const ServerProcess& server, const std::string& room) {
  WsClient ws("127.0.0.1", server.port("http"));
  EXPECT_TRUE(ws.send_json({{"type", "join"}, {"room", room}}));
  for (int i = 0; i < 5; ++i) {
    auto msg = ws.receive_json(5s);
    if (!msg) break;
    if (type_of(*msg) == "joined") return *msg;
  }
  ADD_FAILURE() << "no joined\n" << server.output();
  return json::object();
}

ServerOptions with_args(std::vector<std::string> args) {
  ServerOptions o;
  o.args = std::move(args);
  return o;
}

std::string port_of(const ServerProcess& server, const char* proto) {
  return std::to_string(server.port(proto));
}

TEST(TurnJoined, IceServersNameTheBoundPortsAndTheirCredentialsAllocate) {
  // No --turn-secret: the embedded default configuration, with a random secret made at start-up.
  ServerProcess server(
      with_args({"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--log-level", "warn"}));
  const json joined = join(server, "turn-joined");
  ASSERT_TRUE(joined.contains("iceServers")) << joined.dump();

  std::set<std::string> stun_urls, turn_urls;
  std::string user, password;
  for (const auto& s : joined["iceServers"]) {
    for (const auto& u : s["urls"]) {
      const std::string url = u.get<std::string>();
      if (url.starts_with("stun:")) stun_urls.insert(url);
      if (url.starts_with("turn:")) {
        turn_urls.insert(url);
        user = s.value("username", "");
        password = s.value("credential", "");
      }
    }
  }
  EXPECT_EQ(stun_urls, std::set<std::string>{"stun:127.0.0.1:" + port_of(server, "stun-udp")})
      << joined.dump();
  EXPECT_EQ(turn_urls,
            (std::set<std::string>{"turn:127.0.0.1:" + port_of(server, "turn-udp") + "?transport=udp",
                                   "turn:127.0.0.1:" + port_of(server, "turn-tcp") + "?transport=tcp"}))
      << joined.dump();
  for (const auto& u : turn_urls) EXPECT_EQ(u.find(":0?"), std::string::npos) << u;
  ASSERT_FALSE(user.empty()) << joined.dump();

  // The credentials work against this very server (RFC 8656 §9, TURN REST username "expiry:peer-id")...
  const auto& l = server.listener("turn-udp");
  TurnProbe probe(*stun::TransportAddress::parse(l.host + ":" + std::to_string(l.port)));
  EXPECT_EQ(probe.allocate(user, password), 200) << server.output();
  EXPECT_NE(probe.relayed().port, 0);
  // ... and a wrong password does not.
  TurnProbe wrong(*stun::TransportAddress::parse(l.host + ":" + std::to_string(l.port)));
  EXPECT_EQ(wrong.allocate(user, password + "x"), 401);
}

TEST(TurnJoined, SecondServerOnTheSamePortRefusesToStart) {
  // The first binds a port of the kernel's choice; the second asks for that very port.
  ServerProcess first(with_args({"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--log-level", "warn"}));
  const std::string port = port_of(first, "stun-udp");
  std::string error;
  try {
    ServerProcess second(
        with_args({"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:" + port, "--log-level", "warn"}));
    ADD_FAILURE() << "a second signalbox started on port " << port << "\n" << second.output();
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  EXPECT_NE(error.find("already in use"), std::string::npos) << error;

  // The first server still answers every client alone: its own joined credentials allocate, repeatedly
  // (with a shared port, some of these would land on the other process).
  const json joined = join(first, "turn-port");
  std::string user, password;
  for (const auto& s : joined["iceServers"]) {
    if (s.contains("username")) {
      user = s["username"];
      password = s["credential"];
    }
  }
  const auto& l = first.listener("turn-udp");
  for (int i = 0; i < 4; ++i) {
    TurnProbe probe(*stun::TransportAddress::parse(l.host + ":" + std::to_string(l.port)));
    EXPECT_EQ(probe.allocate(user, password), 200) << "attempt " << i << "\n" << first.output();
  }
}

}  // namespace
}  // namespace sb::itest
