// The doctor's endpoints without sockets: what /doctor/config offers (URLs sorted per transport,
// short-lived credentials, the four RFC 5780 addresses, IPv6), the per-IP rate limit, and the report
// endpoint: off by default, size-limited, malformed input refused, the verdict recomputed and counted.
#include "server/doctor_endpoints.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "doctor/verdict.hpp"

namespace sb::server {
namespace {

using json = nlohmann::json;

class DoctorEndpointsTest : public ::testing::Test {
 protected:
  DoctorEndpointsTest() {
    config_.stun.listen = {"192.0.2.10:3478", "[::]:3478"};
    config_.stun.alt_address = "192.0.2.11:3479";
    sources_->listening = {{"http", "127.0.0.1:8080"},      {"turn-udp", "192.0.2.10:3478"},
                           {"stun-udp", "192.0.2.10:3478"}, {"stun-udp", "[::]:3478"},
                           {"stun-udp-alt", "192.0.2.11:3479"}};
    sources_->interface_addresses = {"127.0.0.1", "::1", "fe80::1", "2001:db8::10", "192.0.2.10"};
    sources_->ice_servers = [this](std::string_view id) {
      last_run_id_ = std::string(id);
      return std::vector<signaling::IceServer>{
          {{"stun:192.0.2.10:3478"}, std::nullopt, std::nullopt},
          {{"turn:192.0.2.10:3478?transport=udp", "turn:192.0.2.10:3478?transport=tcp", "turns:192.0.2.10:5349?transport=tcp"},
           "1700000300:doctor-x", "secret"}};
    };
    sources_->relay_to_relay = [] { return false; };
    sources_->relay_may_send_to = [](const util::IpAddress& ip) { return ip.to_string() != "198.51.100.7"; };
  }

  DoctorEndpoints make() { return DoctorEndpoints(config_, sources_, clock_, registry_); }

  static net::HttpRequest request(const char* target, std::string body = {}, const char* from = "198.51.100.7") {
    net::HttpRequest r;
    r.method = body.empty() ? "GET" : "POST";
    r.target = target;
    r.body = std::move(body);
    r.remote = *util::parse_ip(from);
    return r;
  }

  Config config_;
  std::shared_ptr<DoctorSources> sources_ = std::make_shared<DoctorSources>();
  std::shared_ptr<util::ManualClock> clock_ = std::make_shared<util::ManualClock>();
  std::string last_run_id_;
  metrics::Registry registry_;
};

TEST_F(DoctorEndpointsTest, ConfigOffersWhatTheServerRunsWithShortLivedCredentials) {
  auto d = make();
  const auto r = d.config(request("/doctor/config"));
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "application/json");
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Cache-Control", "no-store"}));
  const json j = json::parse(r.body);
  EXPECT_EQ(j["version"], 1);
  EXPECT_EQ(j["clientAddress"], "198.51.100.7");
  EXPECT_EQ(j["stun"], "stun:192.0.2.10:3478");
  EXPECT_EQ(j["stun6"], "stun:[2001:db8::10]:3478") << "a wildcard IPv6 listener is advertised with a global address";
  EXPECT_EQ(j["rfc5780"], json::array({"stun:192.0.2.10:3478", "stun:192.0.2.10:3479", "stun:192.0.2.11:3478",
                                       "stun:192.0.2.11:3479"}));
  EXPECT_EQ(j["turn"]["udp"], "turn:192.0.2.10:3478?transport=udp");
  EXPECT_EQ(j["turn"]["tcp"], "turn:192.0.2.10:3478?transport=tcp");
  EXPECT_EQ(j["turn"]["tls"], "turns:192.0.2.10:5349?transport=tcp");
  EXPECT_EQ(j["turn"]["username"], "1700000300:doctor-x");
  EXPECT_EQ(j["turn"]["ttl"], 300);
  EXPECT_EQ(j["relayToRelay"], false);
  EXPECT_EQ(j["relayToDevice"], false) << "judged for the address the request came from";
  EXPECT_EQ(j["reports"], false);
  EXPECT_TRUE(last_run_id_.starts_with("doctor-")) << last_run_id_;
  const std::string first = last_run_id_;
  const json other = json::parse(d.config(request("/doctor/config", {}, "198.51.100.8")).body);
  EXPECT_NE(last_run_id_, first) << "every run gets its own TURN user, so runs do not share a quota";
  EXPECT_EQ(other["relayToDevice"], true);
}

TEST_F(DoctorEndpointsTest, NoAltAddressNoRfc5780AndNoIpv6WithoutAGlobalAddress) {
  config_.stun.alt_address.clear();
  sources_->interface_addresses = {"::1", "fe80::1"};
  const json j = json::parse(make().config(request("/doctor/config")).body);
  EXPECT_TRUE(j["rfc5780"].is_null());
  EXPECT_TRUE(j["stun6"].is_null());
}

TEST_F(DoctorEndpointsTest, RateLimitedPerSourceAddress) {
  config_.doctor.rate_limit = 6;  // per minute; burst 5
  auto d = make();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(d.config(request("/doctor/config")).status, 200u) << i;
  const auto limited = d.config(request("/doctor/config"));
  EXPECT_EQ(limited.status, 429u);
  EXPECT_EQ(d.config(request("/doctor/config", {}, "198.51.100.99")).status, 200u) << "another address has its own bucket";
  clock_->advance(std::chrono::seconds(10));  // 6 per minute: one more after 10 s
  EXPECT_EQ(d.config(request("/doctor/config")).status, 200u);
  EXPECT_EQ(d.config(request("/doctor/config")).status, 429u);
  const std::string m = registry_.render();
  EXPECT_NE(m.find("signalbox_doctor_rejected_total{reason=\"rate-limited\"} 2\n"), std::string::npos) << m;
  EXPECT_NE(m.find("signalbox_doctor_config_requests_total 7\n"), std::string::npos) << m;
}

json report_for(const char* verdict_claimed) {
  sb::doctor::Report r;
  r.started_at = "2026-11-30T10:00:00.000Z";
  r.facts.signaling.status = sb::doctor::Status::fail;
  r.verdict.code = verdict_claimed;
  return sb::doctor::to_json(r);
}

TEST_F(DoctorEndpointsTest, ReportsAreOffByDefault) {
  auto d = make();
  EXPECT_EQ(d.report(request("/doctor/report", report_for("direct").dump())).status, 404u);
  EXPECT_NE(registry_.render().find("signalbox_doctor_rejected_total{reason=\"disabled\"} 1\n"), std::string::npos);
}

TEST_F(DoctorEndpointsTest, ReportsAreCheckedRecomputedCountedAndKept) {
  config_.doctor.reports = true;
  config_.doctor.reports_kept = 2;
  config_.doctor.report_max_bytes = 2048;
  auto d = make();
  // The client claims "direct"; its facts say signaling failed: the server counts what the facts say.
  const auto ok = d.report(request("/doctor/report", report_for("direct").dump()));
  ASSERT_EQ(ok.status, 201u) << ok.body;
  const json answer = json::parse(ok.body);
  EXPECT_EQ(answer["verdict"]["code"], "no-signaling");
  EXPECT_EQ(answer["id"].get<std::string>().size(), 16u);
  EXPECT_EQ(d.report(request("/doctor/report", "{not json")).status, 400u);
  const auto bad = d.report(request("/doctor/report", R"({"version":1,"facts":{"stun":{"status":"great"}}})"));
  EXPECT_EQ(bad.status, 400u);
  EXPECT_NE(bad.body.find("facts.stun.status"), std::string::npos) << bad.body;
  EXPECT_EQ(d.report(request("/doctor/report", std::string(2049, ' '))).status, 413u);
  d.report(request("/doctor/report", report_for("x").dump(), "198.51.100.20"));
  d.report(request("/doctor/report", report_for("y").dump(), "198.51.100.21"));
  const json kept = json::parse(d.reports(request("/admin/doctor/reports")).body);
  ASSERT_EQ(kept.size(), 2u) << "only the newest --doctor-reports-kept";
  EXPECT_EQ(kept[1]["clientVerdict"], "y");
  EXPECT_EQ(kept[1]["clientAddress"], "198.51.100.21");
  EXPECT_EQ(kept[1]["report"]["verdict"]["code"], "no-signaling");
  const std::string m = registry_.render();
  EXPECT_NE(m.find("signalbox_doctor_reports_total{verdict=\"no-signaling\"} 3\n"), std::string::npos) << m;
  EXPECT_NE(m.find("signalbox_doctor_reports_total{verdict=\"direct\"} 0\n"), std::string::npos);
  EXPECT_NE(m.find("signalbox_doctor_rejected_total{reason=\"malformed\"} 2\n"), std::string::npos);
  EXPECT_NE(m.find("signalbox_doctor_rejected_total{reason=\"too-large\"} 1\n"), std::string::npos);
}

}  // namespace
}  // namespace sb::server
