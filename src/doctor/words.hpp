// Small pieces of wording and number formatting shared by verdict.cpp and evidence.cpp. web/doctor/
// verdict.js has the same helpers under the same names.
#pragma once

#include <string>
#include <vector>

#include "doctor/report.hpp"

namespace sb::doctor::words {

// Milliseconds as a whole number; "<1" below half a millisecond.
std::string ms(double v);
// A whole number (percent, kbit/s, seconds).
std::string whole(double v);
// "A", "A and B", "A, B and C".
std::string join_and(const std::vector<std::string>& parts);

// The TURN checks this client can use in a call, in preference order UDP, TCP, TLS.
struct RelayWay {
  const char* name;  // "UDP", "TCP", "TLS"
  const TurnCheck* check;
};
std::vector<RelayWay> usable_relays(const Facts& f);
bool any_relay_offered(const Facts& f);
// "over UDP", "over UDP and TCP", ...: the usable ways, for sentences.
std::string relay_ways_text(const Facts& f);
// The first failed relay check's error that is not "unreachable", or none.
TurnError relay_refusal(const Facts& f);

}  // namespace sb::doctor::words
