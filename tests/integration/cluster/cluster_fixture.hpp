// The fixture of the cluster tests: signalbox nodes as processes sharing a throwaway redis-server, stopped (and
// checked to end cleanly) after each test.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <thread>
#include <memory>
#include <string>
#include <vector>

#include "common/redis_server.hpp"
#include "signaling_harness.hpp"

namespace sb::itest {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// docs/cluster.md: a dead node's peers leave within node-ttl + 2 s (5 s + 2 s by default); the bound is
// 15 s. Redis back or flushed: nodes re-assert within 3 s (heartbeat 1 s, reconnect backoff at most 1 s).
constexpr auto kDeadNodeBound = 7s;
constexpr auto kReassertBound = 3s;
constexpr auto kSlack = 3s;  // two shared cores, sanitizers: a bound measured here may overshoot by this much

// Waits until `done()` holds, checking every 50 ms, for at most `bound`; returns how long it took, or nullopt.
inline std::optional<Clock::duration> within(Clock::duration bound, const std::function<bool()>& done) {
  const auto start = Clock::now();
  while (Clock::now() - start < bound) {
    if (done()) return Clock::now() - start;
    std::this_thread::sleep_for(50ms);  // polling Redis's state: there is no event to wait on
  }
  return std::nullopt;
}

// A PeerJS client of a node started with `--peerjs-path /` (token "t-<id>" unless given), connected; no frame read.
inline std::unique_ptr<WsClient> peerjs_connect(std::uint16_t port, const std::string& id, std::string token = "") {
  WsOptions o;
  o.target = "/peerjs?key=peerjs&id=" + id + "&token=" + (token.empty() ? "t-" + id : token);
  return std::make_unique<WsClient>("127.0.0.1", port, o);
}
// ... and its OPEN read.
inline std::unique_ptr<WsClient> peerjs_open(std::uint16_t port, const std::string& id, std::string token = "") {
  auto c = peerjs_connect(port, id, std::move(token));
  expect_message(*c, "OPEN");
  return c;
}

class ClusterTest : public ::testing::Test {
 protected:
  ServerProcess& start_node(const std::string& name, std::vector<std::string> extra = {},
                            bool signaling_only = true) {
    ServerOptions o;
    o.args = {"--listen", "127.0.0.1:0", "--log-level", "info", "--redis", redis_.url(), "--node-id", name};
    o.args.insert(o.args.end(), extra.begin(), extra.end());
    if (signaling_only) o.env = {{"SIGNALBOX_NO_STUN", "true"}, {"SIGNALBOX_NO_TURN", "true"}};
    auto& node = nodes_[name];
    node = std::make_unique<ServerProcess>(std::move(o));
    return *node;
  }
  std::unique_ptr<WsClient> connect(const std::string& node) {
    return std::make_unique<WsClient>("127.0.0.1", nodes_.at(node)->port("http"));
  }
  std::string redis(const std::vector<std::string>& args) { return redis_.command(args); }

  void TearDown() override {
    for (auto& [name, node] : nodes_) {
      if (!node || !node->running()) continue;
      const ExitStatus s = node->stop();
      EXPECT_TRUE(s.clean()) << name << " ended with " << s.describe() << "; output:\n" << node->output();
    }
    if (HasFailure()) {
      for (auto& [name, node] : nodes_) std::cerr << "--- " << name << " ---\n" << node->output();
    }
  }

  RedisServer redis_;
  std::map<std::string, std::unique_ptr<ServerProcess>> nodes_;
};

}  // namespace sb::itest
