// The doctor's verdict: a pure function of the measured facts (report.hpp). One sentence for a
// non-expert, one evidence line per check, one line for the operator on what to deploy.
//
// web/doctor/verdict.js is the same logic for the page. Both are checked against tests/doctor/
// vectors.json (facts in, code, severity and every line of text out), so the page, the native client
// and the server's recomputation of posted reports cannot drift apart. Change both, then the vectors.
#pragma once

#include <string>
#include <vector>

#include "doctor/report.hpp"

namespace sb::doctor {

// Verdict codes (stable: metrics labels and tests use them).
inline constexpr const char* kVerdictCodes[] = {
    "no-signaling",        "no-stun-turn",         "public-address",       "direct",
    "symmetric-relay",     "symmetric-no-relay",   "relay-available",      "direct-only",
    "udp-blocked-relay",   "udp-blocked-tls-only", "udp-blocked-no-relay", "udp-blocked-relay-fails",
    "relay-no-media",
};

Verdict decide(const Facts& f);

// One line per check, in a fixed order (part of decide()).
std::vector<std::string> evidence(const Facts& f);

// The report as a short text to paste into a support ticket.
std::string short_text(const Report& r);

}  // namespace sb::doctor
