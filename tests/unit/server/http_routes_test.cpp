#include "server/http_routes.hpp"

#include <gtest/gtest.h>

namespace sb::server {
namespace {

class HttpRoutesTest : public ::testing::Test {
 protected:
  HttpRoutesTest() {
    metrics_->gauge("signalbox_test", "T.").set(7);
  }
  net::HttpResponse get(const std::string& target, const char* from = "127.0.0.1", const char* method = "GET",
                        HttpRoutes* routes = nullptr, std::string authorization = {}) {
    net::HttpRequest r;
    r.method = method;
    r.target = target;
    r.remote = *util::parse_ip(from);
    r.authorization = std::move(authorization);
    return (routes ? *routes : routes_).handle(r);
  }

  static constexpr EmbeddedFile kFiles[] = {{"/index.html", "<html>"}, {"/app.js", "js"}, {"/style.css", "css"}};
  std::shared_ptr<metrics::Registry> metrics_ = std::make_shared<metrics::Registry>();
  HttpRoutes routes_{std::make_shared<EmbeddedStaticFiles>(kFiles), metrics_, AdminAcl({"10.0.0.0/8"})};
};

TEST_F(HttpRoutesTest, Healthz) {
  auto r = get("/healthz", "203.0.113.9");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "ok\n");
}

TEST_F(HttpRoutesTest, MetricsForLoopbackAndAllowedOnly) {
  auto r = get("/metrics");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("signalbox_test 7\n"), std::string::npos);
  EXPECT_EQ(get("/metrics", "::1").status, 200u);
  EXPECT_EQ(get("/metrics", "10.9.9.9").status, 200u);
  auto denied = get("/metrics", "203.0.113.9");
  EXPECT_EQ(denied.status, 403u);
  EXPECT_EQ(denied.body.find("signalbox_test"), std::string::npos);
  EXPECT_EQ(get("/admin/anything", "203.0.113.9").status, 403u);
  EXPECT_EQ(get("/admin/anything").status, 404u);
}

// Issue 10: behind a reverse proxy on the same host every request comes from loopback, so the ACL alone
// made /metrics and /admin (usernames, IPs) public. With --admin-token they need the bearer token too.
TEST_F(HttpRoutesTest, AdminTokenIsRequiredEvenFromLoopback) {
  const std::string token = "0123456789abcdef-token";
  HttpRoutes with_token{std::make_shared<EmbeddedStaticFiles>(kFiles), metrics_, AdminAcl({"10.0.0.0/8"}, token)};
  with_token.add("/admin/x", HttpRoutes::Access::admin, [](const net::HttpRequest&) { return text_response(200, "x"); });
  for (const char* target : {"/metrics", "/admin/x", "/admin/unknown"}) {
    auto r = get(target, "127.0.0.1", "GET", &with_token);
    EXPECT_EQ(r.status, 401u) << target;
    EXPECT_EQ(r.body.find("signalbox_test"), std::string::npos);
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0].first, "WWW-Authenticate");
    EXPECT_EQ(get(target, "127.0.0.1", "GET", &with_token, "Bearer wrong-token-of-length").status, 401u) << target;
    EXPECT_EQ(get(target, "127.0.0.1", "GET", &with_token, "Bearer " + token + "x").status, 401u) << target;
    EXPECT_EQ(get(target, "127.0.0.1", "GET", &with_token, "Basic " + token).status, 401u) << target;
    EXPECT_EQ(get(target, "203.0.113.9", "GET", &with_token, "Bearer " + token).status, 403u) << target;
  }
  auto ok = get("/metrics", "10.1.1.1", "GET", &with_token, "Bearer " + token);
  EXPECT_EQ(ok.status, 200u);
  EXPECT_NE(ok.body.find("signalbox_test 7\n"), std::string::npos);
  EXPECT_EQ(get("/admin/x", "127.0.0.1", "GET", &with_token, "Bearer " + token).status, 200u);
  EXPECT_EQ(get("/admin/unknown", "127.0.0.1", "GET", &with_token, "Bearer " + token).status, 404u);
  EXPECT_EQ(get("/healthz", "127.0.0.1", "GET", &with_token).status, 200u);  // not an admin route
}

TEST_F(HttpRoutesTest, WebClient) {
  auto r = get("/?room=demo", "203.0.113.9");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "<html>");
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(get("/app.js").content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(get("/style.css").content_type, "text/css; charset=utf-8");
  EXPECT_EQ(get("/nope.js").status, 404u);
  EXPECT_EQ(get("/../app.js").status, 404u);
  EXPECT_EQ(get("/%2e%2e/app.js").status, 404u);
}

TEST_F(HttpRoutesTest, MethodsAndExtraRoutes) {
  EXPECT_EQ(get("/", "127.0.0.1", "POST").status, 405u);
  EXPECT_EQ(get("/", "127.0.0.1", "HEAD").status, 200u);
  routes_.add("/admin/x", HttpRoutes::Access::admin, [](const net::HttpRequest&) { return text_response(200, "x"); });
  EXPECT_EQ(get("/admin/x").body, "x");
  EXPECT_EQ(get("/admin/x", "203.0.113.9").status, 403u);
}

TEST_F(HttpRoutesTest, PostRoutesTakeTheBodyAndOnlyPost) {
  routes_.add_post("/echo", HttpRoutes::Access::open, [](const net::HttpRequest& r) { return text_response(201, r.body); });
  routes_.add_post("/admin/post", HttpRoutes::Access::admin, [](const net::HttpRequest&) { return text_response(200, ""); });
  net::HttpRequest r;
  r.method = "POST";
  r.target = "/echo?x=1";
  r.body = "{\"a\":1}";
  r.remote = *util::parse_ip("203.0.113.9");
  const auto posted = routes_.handle(r);
  EXPECT_EQ(posted.status, 201u);
  EXPECT_EQ(posted.body, "{\"a\":1}");
  const auto got = get("/echo");
  EXPECT_EQ(got.status, 405u);
  ASSERT_EQ(got.headers.size(), 1u);
  EXPECT_EQ(got.headers[0].second, "POST");
  EXPECT_EQ(get("/admin/post", "203.0.113.9", "POST").status, 403u);
  EXPECT_EQ(get("/admin/post", "127.0.0.1", "POST").status, 200u);
  EXPECT_EQ(get("/index.html", "127.0.0.1", "POST").status, 405u) << "POST goes to POST routes only";
}

}  // namespace
}  // namespace sb::server
