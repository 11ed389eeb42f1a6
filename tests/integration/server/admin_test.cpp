// --admin-token (issue 10): behind a reverse proxy on the same host, every request reaches signalbox from
// loopback, which the admin ACL trusts; /metrics and /admin/turn/allocations (usernames, client IPs) were
// then public. With a token they answer only requests that carry it.
#include <gtest/gtest.h>

#include "common/http_get.hpp"
#include "common/server_process.hpp"

namespace sb::itest {
namespace {

using namespace std::chrono_literals;

TEST(AdminToken, MetricsAndAdminNeedTheTokenEvenFromLoopback) {
  const std::string token = "s3cret-admin-token-for-tests";
  ServerOptions o;
  o.args = {"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--admin-token", token, "--log-level", "warn"};
  ServerProcess s(o);
  const auto& l = s.listener("http");
  for (const char* target : {"/metrics", "/admin/turn/allocations"}) {
    EXPECT_EQ(http_get(l.host, l.port, target).status, 401) << target;
    EXPECT_EQ(http_get(l.host, l.port, target, false, 5s, "Bearer not-" + token).status, 401) << target;
    const auto r = http_get(l.host, l.port, target, false, 5s, "Bearer " + token);
    EXPECT_EQ(r.status, 200) << target << " " << r.error;
  }
  EXPECT_NE(http_get(l.host, l.port, "/metrics", false, 5s, "Bearer " + token).body.find("signalbox_"),
            std::string::npos);
  EXPECT_EQ(http_get(l.host, l.port, "/healthz").status, 200);
}

TEST(AdminToken, TooShortATokenIsAStartUpError) {
  ServerOptions o;
  o.args = {"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--admin-token", "short"};
  try {
    ServerProcess s(o);
    ADD_FAILURE() << "started with a 5-character admin token";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--admin-token must have at least 16 characters"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace sb::itest
