// net::WebhookClient against a scripted HTTP(S) server: every kind of answer becomes the join outcome the
// contract names, https verifies the certificate and the host name, the deadline holds, the cap on calls in
// flight holds, and a slow answer does not hold up other calls.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>

#include "common/hook_server.hpp"
#include "common/io_thread.hpp"
#include "net/tls.hpp"
#include "net/webhook_client.hpp"

namespace sb::itest {
namespace {

using std::chrono::milliseconds;
using auth::WebhookReply;
using signaling::ErrorCode;

constexpr milliseconds kWait{10000};

class WebhookClientTest : public ::testing::Test {
 protected:
  // Starts a call and returns its reply (or fails the test if `done` never ran).
  WebhookReply call(net::WebhookClient& client, std::string body = R"({"room":"demo"})") {
    auto promise = std::make_shared<std::promise<WebhookReply>>();
    auto future = promise->get_future();
    const bool started = client.post(io_.context(), std::move(body), io_.context().get_executor(),
                                     [promise](WebhookReply r) { promise->set_value(std::move(r)); });
    EXPECT_TRUE(started);
    if (!started || future.wait_for(kWait) != std::future_status::ready) {
      ADD_FAILURE() << "no reply";
      return {};
    }
    return future.get();
  }

  static ErrorCode code_of(const WebhookReply& r) {
    const auto o = auth::read_webhook_reply(r, auth::WebhookLimits{});
    if (!std::holds_alternative<auth::Refusal>(o)) return ErrorCode::invalid_json;  // stands for "allowed"
    return std::get<auth::Refusal>(o).code;
  }

  static net::WebhookClientOptions options(const std::string& url, milliseconds timeout = milliseconds(2000)) {
    net::WebhookClientOptions o;
    o.url = url;
    o.timeout = timeout;
    o.max_response_bytes = 4096;
    return o;
  }

  IoThread io_;
};

TEST_F(WebhookClientTest, PostsTheBodyAsJson) {
  HookServer hook([](const HookRequest&) { return HookResponse{}; });
  net::WebhookClient client(options(hook.url("/hooks/join?v=1")));
  const auto r = call(client, R"({"room":"demo","identity":"alice"})");
  EXPECT_EQ(r.kind, WebhookReply::Kind::answered) << r.error;
  EXPECT_EQ(r.status, 200u);
  ASSERT_EQ(hook.requests().size(), 1u);
  const auto req = hook.requests()[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/hooks/join?v=1");
  EXPECT_EQ(req.content_type, "application/json");
  EXPECT_EQ(nlohmann::json::parse(req.body)["identity"], "alice");
  EXPECT_EQ(client.in_flight(), 0u);
}

TEST_F(WebhookClientTest, EachAnswerHasItsOutcome) {
  struct Case {
    const char* path;
    HookResponse response;
    ErrorCode expected;  // invalid_json stands for "allowed"
  };
  const std::vector<Case> cases = {
      {"/allow", {200, R"({"allowed":true,"maxPeers":2})"}, ErrorCode::invalid_json},
      {"/deny", {200, R"({"allowed":false,"reason":"not today"})"}, ErrorCode::auth_denied},
      {"/error", {500, R"({"allowed":true})"}, ErrorCode::auth_webhook_failed},
      {"/forbidden", {403, ""}, ErrorCode::auth_webhook_failed},
      {"/malformed", {200, "<html>hello</html>"}, ErrorCode::auth_webhook_invalid},
      {"/not-http", {200, "", milliseconds(0), "SSH-2.0-OpenSSH_9.2\r\n"}, ErrorCode::auth_webhook_invalid},
      {"/too-large", {200, std::string(5000, ' ') + R"({"allowed":true})"}, ErrorCode::auth_webhook_invalid},
      {"/too-large-unannounced", {200, "", milliseconds(0),
                                  "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + std::string(9000, ' ') + "{}"},
       ErrorCode::auth_webhook_invalid},
      {"/chunked", {200, "", milliseconds(0),
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"allowed\":true}\r\n0\r\n\r\n"},
       ErrorCode::invalid_json},
  };
  HookServer hook([&](const HookRequest& r) {
    for (const auto& c : cases) {
      if (r.target == c.path) return c.response;
    }
    return HookResponse{404, ""};
  });
  for (const auto& c : cases) {
    net::WebhookClient client(options(hook.url(c.path)));
    const auto reply = call(client);
    EXPECT_EQ(code_of(reply), c.expected) << c.path << ": " << reply.error;
  }
}

TEST_F(WebhookClientTest, ATimeoutEndsTheCallAtTheDeadline) {
  HookServer hook([](const HookRequest&) { return HookResponse{200, R"({"allowed":true})", milliseconds(3000)}; });
  net::WebhookClient client(options(hook.url(), milliseconds(300)));
  const auto start = std::chrono::steady_clock::now();
  const auto r = call(client);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.kind, WebhookReply::Kind::timeout);
  EXPECT_EQ(code_of(r), ErrorCode::auth_webhook_timeout);
  EXPECT_GE(took, milliseconds(300));
  EXPECT_LT(took, milliseconds(2500));
}

TEST_F(WebhookClientTest, UnreachableIsAFailure) {
  std::uint16_t closed_port = 0;
  {
    HookServer gone([](const HookRequest&) { return HookResponse{}; });
    closed_port = gone.port();
  }
  net::WebhookClient client(options("http://127.0.0.1:" + std::to_string(closed_port) + "/hook"));
  const auto r = call(client);
  EXPECT_EQ(r.kind, WebhookReply::Kind::unreachable);
  EXPECT_EQ(code_of(r), ErrorCode::auth_webhook_failed);
}

TEST_F(WebhookClientTest, ASlowAnswerDoesNotHoldUpOthers) {
  HookServer hook([](const HookRequest& r) {
    const bool slow = r.target == "/slow";
    return HookResponse{200, R"({"allowed":true})", milliseconds(slow ? 1500 : 0)};
  });
  net::WebhookClient slow_client(options(hook.url("/slow"), milliseconds(5000)));
  net::WebhookClient fast_client(options(hook.url("/fast")));
  auto slow = std::make_shared<std::promise<WebhookReply>>();
  auto slow_done = slow->get_future();
  ASSERT_TRUE(slow_client.post(io_.context(), "{}", io_.context().get_executor(),
                               [slow](WebhookReply r) { slow->set_value(std::move(r)); }));
  ASSERT_TRUE(hook.wait_requests(1, kWait));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(call(fast_client).status, 200u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1200)) << "fast calls waited for the slow one";
  EXPECT_NE(slow_done.wait_for(milliseconds(0)), std::future_status::ready);
  ASSERT_EQ(slow_done.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(slow_done.get().status, 200u);
}

TEST_F(WebhookClientTest, CapsTheCallsInFlight) {
  HookServer hook([](const HookRequest&) { return HookResponse{200, R"({"allowed":true})", milliseconds(800)}; });
  auto o = options(hook.url());
  o.max_in_flight = 2;
  net::WebhookClient client(o);
  std::vector<std::future<WebhookReply>> pending;
  for (int i = 0; i < 2; ++i) {
    auto p = std::make_shared<std::promise<WebhookReply>>();
    pending.push_back(p->get_future());
    ASSERT_TRUE(client.post(io_.context(), "{}", io_.context().get_executor(),
                            [p](WebhookReply r) { p->set_value(std::move(r)); }));
  }
  EXPECT_EQ(client.in_flight(), 2u);
  bool called = false;
  EXPECT_FALSE(client.post(io_.context(), "{}", io_.context().get_executor(), [&](WebhookReply) { called = true; }));
  for (auto& f : pending) ASSERT_EQ(f.wait_for(kWait), std::future_status::ready);
  EXPECT_FALSE(called);
  // Once they are done, there is room again.
  EXPECT_EQ(call(client).status, 200u);
}

// A certificate for `names` (plus localhost and 127.0.0.1), its PEM in a file the client may trust.
struct TestCa {
  explicit TestCa(const std::vector<std::string>& names = {}) : cert(net::make_self_signed(names)) {
    char tmpl[] = "/tmp/signalbox-hook-ca-XXXXXX";
    const int fd = mkstemp(tmpl);
    ::close(fd);
    path = tmpl;
    std::ofstream(path) << cert.certificate_pem;
  }
  ~TestCa() { std::remove(path.c_str()); }
  net::SelfSigned cert;
  std::string path;
};

TEST_F(WebhookClientTest, HttpsVerifiesTheCertificate) {
  TestCa ca;
  HookServer hook([](const HookRequest&) { return HookResponse{}; }, ca.cert.context);
  auto trusted = options(hook.url());
  trusted.ca_file = ca.path;
  net::WebhookClient client(trusted);
  const auto ok = call(client);
  EXPECT_EQ(ok.kind, WebhookReply::Kind::answered) << ok.error;
  EXPECT_EQ(ok.status, 200u);
  // The system's trust store does not know this self-signed certificate.
  net::WebhookClient untrusting(options(hook.url()));
  const auto refused = call(untrusting);
  EXPECT_EQ(refused.kind, WebhookReply::Kind::unreachable);
  EXPECT_NE(refused.error.find("tls"), std::string::npos) << refused.error;
  EXPECT_EQ(hook.requests().size(), 1u) << "a request went out over an unverified connection";
}

TEST_F(WebhookClientTest, HttpsChecksTheHostName) {
  TestCa ca;  // names localhost, 127.0.0.1 and ::1, not 127.0.0.2
  HookServer hook([](const HookRequest&) { return HookResponse{}; }, ca.cert.context, "127.0.0.2");
  auto o = options(hook.url());
  o.ca_file = ca.path;
  net::WebhookClient client(o);
  const auto r = call(client);
  EXPECT_EQ(r.kind, WebhookReply::Kind::unreachable) << r.error;
  EXPECT_TRUE(hook.requests().empty());
}

TEST(WebhookClientOptions, RefusesUnusableSettings) {
  net::WebhookClientOptions o;
  o.url = "ftp://example.org/";
  EXPECT_THROW(net::WebhookClient{o}, std::runtime_error);
  o.url = "https://example.org/";
  o.ca_file = "/nonexistent/ca.pem";
  EXPECT_THROW(net::WebhookClient{o}, std::runtime_error);
}

}  // namespace
}  // namespace sb::itest
