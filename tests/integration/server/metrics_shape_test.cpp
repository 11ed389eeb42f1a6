// /metrics keeps its shape (issue 12): dashboards and alerts name its families, label sets and HELP texts, so
// every line recorded in metrics_shape/*.txt (each `# HELP`/`# TYPE` line, and each sample's name{labels}
// without its value) must still be rendered by a running server. New metrics may appear freely; renaming,
// relabelling or rewording one fails here, and then the golden file and the docs change with it.
//
// To record the current shape (after a deliberate change): SB_METRICS_SHAPE_WRITE=1 ctest -R MetricsShape
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/host_address.hpp"
#include "common/http_get.hpp"
#include "common/server_process.hpp"

namespace sb::itest {
namespace {

std::set<std::string> shape_of(const std::string& text) {
  std::set<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      out.insert(line);
    } else {
      out.insert(line.substr(0, line.rfind(' ')));
    }
  }
  return out;
}

std::string golden_path(const std::string& name) {
  return std::string(SB_METRICS_SHAPE_DIR) + "/" + name + ".txt";
}

void check_shape(const std::string& name, const std::vector<std::string>& args) {
  ServerOptions o;
  o.args = args;
  ServerProcess s(o);
  const auto& l = s.listener("http");
  const auto r = http_get(l.host, l.port, "/metrics");
  ASSERT_EQ(r.status, 200) << r.error;
  const auto now = shape_of(r.body);
  if (std::getenv("SB_METRICS_SHAPE_WRITE") != nullptr) {
    std::ofstream f(golden_path(name));
    for (const auto& line : now) f << line << '\n';
    ASSERT_TRUE(f.good()) << golden_path(name);
    return;
  }
  std::ifstream f(golden_path(name));
  ASSERT_TRUE(f.is_open()) << golden_path(name);
  std::size_t expected = 0;
  for (std::string line; std::getline(f, line);) {
    if (line.empty()) continue;
    ++expected;
    EXPECT_TRUE(now.count(line)) << "no longer rendered: " << line;
  }
  EXPECT_GT(expected, 50u) << golden_path(name);
}

TEST(MetricsShape, TurnAnsweringStunWithSignalingAndCompat) {
  check_shape("turn", {"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--turn-relay-address",
                       host_address(), "--peerjs-path", "/peerjs", "--ayame-path", "/signaling", "--log-level",
                       "warn"});
}

TEST(MetricsShape, StunOnly) {
  check_shape("stun_only", {"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--no-turn", "--log-level",
                            "warn"});
}

}  // namespace
}  // namespace sb::itest
