// The verdict as a pure function of the measured facts, against tests/doctor/vectors.json: the same
// vectors web/doctor/verdict.js is checked against (tests/doctor/verdict.test.mjs), so that the page,
// the native client and the server's recomputation of posted reports give the same verdict, word for word.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "doctor/verdict.hpp"

namespace sb::doctor {
namespace {

using json = nlohmann::json;

const json& vectors() {
  static const json doc = [] {
    std::ifstream in(std::string(SB_SOURCE_DIR) + "/tests/doctor/vectors.json");
    return json::parse(in);
  }();
  return doc;
}

TEST(DoctorVerdict, EveryVectorGivesItsVerdictWordForWord) {
  ASSERT_GE(vectors()["vectors"].size(), 20u);
  for (const auto& v : vectors()["vectors"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    const Verdict d = decide(facts_from_json(v["facts"]));
    const auto& e = v["expect"];
    EXPECT_EQ(d.code, e["code"].get<std::string>());
    EXPECT_EQ(to_string(d.severity), e["severity"].get<std::string>());
    EXPECT_EQ(d.text, e["text"].get<std::string>());
    EXPECT_EQ(d.evidence, e["evidence"].get<std::vector<std::string>>());
    EXPECT_EQ(d.operator_line, e["operator"].get<std::string>());
  }
}

TEST(DoctorVerdict, EveryCodeIsReachedAndKnown) {
  std::set<std::string> reached;
  for (const auto& v : vectors()["vectors"]) reached.insert(v["expect"]["code"].get<std::string>());
  std::set<std::string> known(std::begin(kVerdictCodes), std::end(kVerdictCodes));
  EXPECT_EQ(reached, known);
}

TEST(DoctorVerdict, ShortTextMatchesThePage) {
  for (const auto& r : vectors()["reports"]) {
    SCOPED_TRACE(r["vector"].get<std::string>());
    const auto& vs = vectors()["vectors"];
    const auto it = std::find_if(vs.begin(), vs.end(), [&](const json& v) { return v["name"] == r["vector"]; });
    ASSERT_NE(it, vs.end());
    Report report;
    report.started_at = r["startedAt"].get<std::string>();
    report.duration_ms = r["durationMs"].get<double>();
    report.facts = facts_from_json((*it)["facts"]);
    report.verdict = decide(report.facts);
    EXPECT_EQ(short_text(report), r["shortText"].get<std::string>());
  }
}

// The rules in isolation, on facts built here rather than read: each rule needs only the facts it names.
TEST(DoctorVerdict, SignalingFailureWinsOverEverythingElse) {
  Facts f;
  f.signaling.status = Status::fail;
  f.stun.status = Status::pass;
  f.nat.mapping = Mapping::endpoint_independent;
  EXPECT_EQ(decide(f).code, "no-signaling");
  EXPECT_EQ(decide(f).severity, Severity::bad);
}

TEST(DoctorVerdict, SymmetricNatNeedsAUsableRelay) {
  Facts f;
  f.server.stun = true;
  f.signaling.status = f.stun.status = Status::pass;
  f.nat.status = Status::pass;
  f.nat.mapping = Mapping::address_and_port_dependent;
  f.turn_udp.offered = true;
  f.turn_udp.status = Status::fail;
  f.turn_udp.error = TurnError::unreachable;
  EXPECT_EQ(decide(f).code, "symmetric-no-relay");
  // TLS works, but a client without TURN over TLS cannot use it in a call.
  f.turn_tls.offered = true;
  f.turn_tls.status = Status::pass;
  f.client.turn_tls = false;
  EXPECT_EQ(decide(f).code, "symmetric-no-relay");
  f.client.turn_tls = true;
  EXPECT_EQ(decide(f).code, "symmetric-relay");
  EXPECT_NE(decide(f).text.find("over TLS"), std::string::npos);
  // A relay that allocates but carries no data does not count as working when the network needs it.
  f.media.status = Status::fail;
  EXPECT_EQ(decide(f).code, "relay-no-media");
}

TEST(DoctorVerdict, UdpBlockedIsSeenFromTurnOverUdpWithoutStun) {
  Facts f;
  f.signaling.status = Status::pass;
  f.turn_udp.offered = f.turn_tcp.offered = true;
  f.turn_udp.status = Status::fail;
  f.turn_udp.error = TurnError::unreachable;
  f.turn_tcp.status = Status::pass;
  f.turn_tcp.port = 3478;
  EXPECT_EQ(decide(f).code, "udp-blocked-relay");
  // TURN over UDP failing for another reason (401) says nothing about UDP being blocked.
  f.turn_udp.error = TurnError::unauthorized;
  EXPECT_EQ(decide(f).code, "relay-available");
}

}  // namespace
}  // namespace sb::doctor
