// signalbox-client against a real signalbox: media and data channel both ways, and the documented exit
// codes of the error paths (docs/native-client.md). Every wait is bounded; every process is killed by PID.
// Native ↔ Chromium (the web client page) is tests/browser/native.test.mjs.
#include <gtest/gtest.h>

#include <csignal>
#include <memory>
#include <regex>

#include "client/client_process.hpp"
#include "common/host_address.hpp"
#include "common/ports.hpp"
#include "common/server_process.hpp"

namespace sb::itest {
namespace {

using namespace std::chrono_literals;

// Exit codes from src/client/exit_codes.hpp; duplicated on purpose: the test pins the documented numbers.
constexpr int kExitOk = 0;
constexpr int kExitBadOptions = 2;
constexpr int kExitServerUnreachable = 3;
constexpr int kExitRoomFull = 4;
constexpr int kExitNoDevice = 6;

// Frames a client must decode before the media checks pass. Small: on a loaded 2-core machine the
// encoders run at a few frames a second.
constexpr std::uint64_t kMinFrames = 15;

// A client's start-up before its first connect attempt (every wait that includes one is bounded by this) ("event state connecting"): GStreamer's gst_init, which
// on a machine without ~/.cache/gstreamer-1.0 (a fresh CI runner) first loads every plugin to build the
// registry, in every client that starts before one has written it; seconds on a loaded 2-core machine.
constexpr auto kStartup = 60s;

// Small, cheap media: the point is that frames flow, not their quality.
std::vector<std::string> client_args(const std::string& url, const std::string& room, const std::string& name,
                                     std::vector<std::string> extra = {}) {
  std::vector<std::string> a{"--server", url,     "--room",  room, "--name",       name,  "--sink", "fake",
                             "--width",  "160",   "--height", "120", "--fps",      "15",  "--video-kbps", "150",
                             "--ice-timeout", "20", "--timeout", "60"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

// "event frames-decoded V audio-buffers A" with V and A at least `n`.
bool decoded_at_least(const std::string& line, std::uint64_t n) {
  static const std::regex re(R"(^event frames-decoded (\d+) audio-buffers (\d+)$)");
  std::smatch m;
  return std::regex_match(line, m, re) && std::stoull(m[1]) >= n && std::stoull(m[2]) >= n;
}

class ClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (signalbox_path().empty()) return;
    ServerOptions o;
    // Host candidates only: no STUN/TURN ports to collide with other suites (the relay-only hook below
    // starts its own server with TURN).
    o.args = {"--listen", "127.0.0.1:0", "--no-stun", "--no-turn", "--log-level", "warn"};
    server_ = std::make_unique<ServerProcess>(o);
  }
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override {
    // The suite's server is started once, in SetUpTestSuite; if it failed to start, every test fails here.
    ASSERT_NE(server_, nullptr) << "the suite's signalbox did not start (its error is reported above)";
  }
  static std::string url() { return "ws://127.0.0.1:" + std::to_string(server_->port()) + "/ws"; }

  static std::unique_ptr<ServerProcess> server_;
};
std::unique_ptr<ServerProcess> ClientTest::server_;

TEST_F(ClientTest, MediaAndDataChannelBothWaysThenByeOnSignal) {
  Process a(client_process(client_args(url(), "native-call", "alice")));
  ASSERT_TRUE(a.wait_line("event state waiting-for-peer", kStartup)) << a.output();
  Process b(client_process(client_args(url(), "native-call", "bob")));

  // The newcomer (bob) offers; alice answers.
  ASSERT_TRUE(b.wait_line("event local-description offer", kStartup)) << b.output();
  ASSERT_TRUE(a.wait_line("event local-description answer", 15s)) << a.output();

  auto enough = [](const std::string& l) { return decoded_at_least(l, kMinFrames); };
  ASSERT_TRUE(a.wait_until(enough, 25s)) << "alice decoded too little\n" << a.output();
  ASSERT_TRUE(b.wait_until(enough, 25s)) << "bob decoded too little\n" << b.output();

  ASSERT_TRUE(a.wait_line("event datachannel-open", 5s)) << a.output();
  ASSERT_TRUE(b.wait_line("event datachannel-open", 5s)) << b.output();
  ASSERT_TRUE(a.write_line("hello from alice"));
  ASSERT_TRUE(b.write_line("hello from bob"));
  EXPECT_TRUE(b.wait_line("event datachannel-message hello from alice", 5s)) << b.output();
  EXPECT_TRUE(a.wait_line("event datachannel-message hello from bob", 5s)) << a.output();

  // SIGTERM: bye, teardown, exit 0; the peer hears `peer-left ... bye`.
  a.signal(SIGTERM);
  EXPECT_EQ(a.wait_code(10s), std::optional<int>(kExitOk)) << a.output();
  EXPECT_TRUE(b.wait_until([](const std::string& l) { return l.starts_with("event peer-left") && l.ends_with(" bye"); },
                           5s))
      << b.output();
  b.signal(SIGINT);
  EXPECT_EQ(b.wait_code(10s), std::optional<int>(kExitOk)) << b.output();
}

TEST_F(ClientTest, FullRoomExitsWithRoomFullCode) {
  std::vector<std::string> no_media{"--video", "none", "--audio", "none"};
  Process a(client_process(client_args(url(), "full-room", "a", no_media)));
  ASSERT_TRUE(a.wait_line("event joined", kStartup)) << a.output();
  Process b(client_process(client_args(url(), "full-room", "b", no_media)));
  ASSERT_TRUE(b.wait_line("event joined", kStartup)) << b.output();

  Process c(client_process(client_args(url(), "full-room", "c", no_media)));
  EXPECT_EQ(c.wait_code(kStartup), std::optional<int>(kExitRoomFull)) << c.output();
  EXPECT_TRUE(c.wait_line("event error room-full", 1s)) << c.output();
}

// The bound is on the retry behaviour itself, counted from the client's first connect attempt: its start-up
// before that (loading GStreamer, which on a machine without ~/.cache/gstreamer-1.0 first builds the plugin
// registry) has its own bound, kStartup.
TEST(ClientErrors, UnreachableServerExitsAfterRetriesWithBackoff) {
  RefusingPort port;
  std::string url = "ws://127.0.0.1:" + std::to_string(port.port()) + "/ws";
  Process c(client_process(client_args(url, "nobody", "c",
                                       {"--connect-retries", "3", "--backoff-initial", "0.1", "--backoff-max", "0.2",
                                        "--connect-timeout", "2"})));
  ASSERT_TRUE(c.wait_line("event state connecting", kStartup)) << c.output();
  const auto connecting = std::chrono::steady_clock::now();
  // Every attempt is refused at once; the backoffs are 0.1, 0.2, 0.2 s, each ±20 %: 0.4 to 0.6 s in all.
  EXPECT_EQ(c.wait_code(10s), std::optional<int>(kExitServerUnreachable)) << c.output();
  const auto took = std::chrono::steady_clock::now() - connecting;
  double waited = 0;
  for (int n = 1; n <= 3; ++n) {
    const auto retry = c.wait_line("event connect-retry " + std::to_string(n) + " ", 1s);
    ASSERT_TRUE(retry) << c.output();
    const double delay = std::stod(retry->substr(retry->rfind(' ') + 1));
    const double base = n == 1 ? 0.1 : 0.2;
    EXPECT_GE(delay, base * 0.8 - 0.005) << *retry;
    EXPECT_LE(delay, base * 1.2 + 0.005) << *retry;
    waited += delay;
  }
  EXPECT_FALSE(c.wait_line("event connect-retry 4", 0ms)) << c.output();
  // The client did wait out its backoffs (timers never fire early).
  EXPECT_GE(took, std::chrono::duration<double>(waited - 0.01)) << c.output();
}

TEST(ClientErrors, BadOptionsExitWithCode2) {
  Process c(client_process({"--video", "camera-that-is-not-a-kind"}));
  EXPECT_EQ(c.wait_code(10s), std::optional<int>(kExitBadOptions)) << c.output();
  Process d(client_process({"--server", "http://example.com/"}));
  EXPECT_EQ(d.wait_code(10s), std::optional<int>(kExitBadOptions)) << d.output();
}

TEST(ClientErrors, MissingCameraExitsWithNoDeviceCode) {
  Process c(client_process({"--video", "v4l2:/dev/signalbox-test-no-such-camera", "--audio", "none"}));
  EXPECT_EQ(c.wait_code(kStartup), std::optional<int>(kExitNoDevice)) << c.output();
}

// Both clients allowed relay candidates only, through signalbox's own TURN relay (credentials from
// `joined`), with the default peer policy: each relays to the other's relayed address on this host's
// non-loopback address, which the server hands from one allocation to the other (relay-to-relay, issue 10).
// The clients add 127.0.0.1 to ICE (libnice cannot reach a loopback TURN server from eth0 otherwise).
TEST(ClientRelay, RelayOnlyCallThroughSignalboxTurn) {
  ASSERT_FALSE(signalbox_path().empty()) << "no signalbox binary (SIGNALBOX_BIN was not set at build time)";
  ServerOptions o;
  o.args = {"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--turn-relay-address", host_address(),
            "--log-level", "warn"};
  ServerProcess server(o);
  std::string url = "ws://127.0.0.1:" + std::to_string(server.port()) + "/ws";
  std::vector<std::string> relay{"--relay-only", "--loopback", "on", "--stats"};
  Process a(client_process(client_args(url, "relay-call", "a", relay)));
  ASSERT_TRUE(a.wait_line("event joined", kStartup)) << a.output();
  Process b(client_process(client_args(url, "relay-call", "b", relay)));

  auto relayed = [](const std::string& l) { return l.starts_with("event stats ") && l.find(" pair=relay/relay ") != std::string::npos; };
  auto enough = [](const std::string& l) { return decoded_at_least(l, kMinFrames); };
  EXPECT_TRUE(a.wait_until(enough, 25s)) << a.output();
  EXPECT_TRUE(b.wait_until(enough, 25s)) << b.output();
  EXPECT_TRUE(a.wait_until(relayed, 5s)) << a.output();
  EXPECT_TRUE(b.wait_until(relayed, 5s)) << b.output();
  a.signal(SIGTERM);
  b.signal(SIGTERM);
  EXPECT_EQ(a.wait_code(10s), std::optional<int>(kExitOk)) << a.output();
  EXPECT_EQ(b.wait_code(10s), std::optional<int>(kExitOk)) << b.output();
}

}  // namespace
}  // namespace sb::itest
