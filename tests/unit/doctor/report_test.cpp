// The report's JSON: what the page posts and the server reads back. Round trips, defaults, and refusal
// of malformed input with the field named.
#include <gtest/gtest.h>

#include <stdexcept>

#include <nlohmann/json.hpp>

#include "doctor/report.hpp"
#include "doctor/verdict.hpp"

namespace sb::doctor {
namespace {

using json = nlohmann::json;

Facts sample() {
  Facts f;
  f.client = {"native", "signalbox-client 0.1.0", false};
  f.server = {"ws://127.0.0.1:8080/ws", true, true, false, true};
  f.signaling = {Status::pass, 1.5, -20.0, ""};
  f.stun = {Status::pass, 0.8, "192.0.2.2:4000", "10.0.0.2:4000", true, ""};
  f.nat = {Status::pass, "rfc5780", Mapping::address_dependent, Filtering::endpoint_independent, false, ""};
  f.turn_tcp = {Status::fail, true, 3478, TurnError::quota, 486, std::nullopt, "", "x"};
  f.media.status = Status::fail;
  f.media.error = TurnError::forbidden;
  f.media.code = 403;
  return f;
}

TEST(DoctorReport, FactsSurviveARoundTripThroughJson) {
  const Facts f = sample();
  const json j = to_json(f);
  EXPECT_EQ(j["turnTcp"]["error"], "quota");
  EXPECT_EQ(j["nat"]["mapping"], "address-dependent");
  EXPECT_TRUE(j["turnUdp"]["rttMs"].is_null());
  const Facts g = facts_from_json(json::parse(j.dump()));
  EXPECT_EQ(to_json(g), j);
  EXPECT_EQ(decide(g).code, decide(f).code);
}

TEST(DoctorReport, AReportRoundTripsAndKeepsItsVerdictCode) {
  Report r;
  r.started_at = "2026-11-30T10:00:00.000Z";
  r.duration_ms = 1234;
  r.facts = sample();
  r.verdict = decide(r.facts);
  const Report back = report_from_json(to_json(r));
  EXPECT_EQ(back.verdict.code, r.verdict.code);
  EXPECT_EQ(to_json(back.facts), to_json(r.facts));
  EXPECT_EQ(back.started_at, r.started_at);
}

TEST(DoctorReport, MissingFieldsTakeTheirDefaults) {
  const Facts f = facts_from_json(json::parse(R"({"stun": {"status": "pass"}, "turnUdp": null})"));
  EXPECT_EQ(f.stun.status, Status::pass);
  EXPECT_EQ(f.signaling.status, Status::unknown);
  EXPECT_FALSE(f.turn_udp.offered);
  EXPECT_TRUE(f.client.turn_tls);
}

TEST(DoctorReport, MalformedInputNamesTheField) {
  auto error_of = [](const char* text) {
    try {
      facts_from_json(json::parse(text));
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(error_of(R"([1, 2])"), "facts: not an object");
  EXPECT_EQ(error_of(R"({"stun": {"status": "great"}})"), "facts.stun.status: unknown value 'great'");
  EXPECT_EQ(error_of(R"({"stun": {"status": 1}})"), "facts.stun.status: not a string");
  EXPECT_EQ(error_of(R"({"turnTcp": {"port": 70000}})"), "facts.turnTcp.port: not an integer in 0..65535");
  EXPECT_EQ(error_of(R"({"media": {"sent": -1}})"), "facts.media.sent: not an integer in 0..100000000");
  EXPECT_EQ(error_of(R"({"signaling": {"rttMs": "fast"}})"), "facts.signaling.rttMs: not a number");
  EXPECT_EQ(error_of(R"({"server": {"stun": "yes"}})"), "facts.server.stun: not a boolean");
  EXPECT_EQ(error_of(R"({"nat": []})"), "facts.nat: not an object");
  const std::string long_detail = R"({"stun": {"detail": ")" + std::string(300, 'x') + R"("}})";
  EXPECT_EQ(error_of(long_detail.c_str()), "facts.stun.detail: too long");
}

TEST(DoctorReport, ReportsOfAnotherVersionOrWithoutFactsAreRefused) {
  EXPECT_THROW(report_from_json(json::parse(R"({"version": 2, "facts": {}})")), std::invalid_argument);
  EXPECT_THROW(report_from_json(json::parse(R"({"version": 1})")), std::invalid_argument);
  EXPECT_NO_THROW(report_from_json(json::parse(R"({"version": 1, "facts": {}})")));
}

}  // namespace
}  // namespace sb::doctor
