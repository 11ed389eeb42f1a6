#include "doctor/words.hpp"

#include <cmath>

namespace sb::doctor::words {

std::string ms(double v) {
  const double r = std::round(v);
  return r <= 0 ? "<1" : std::to_string(static_cast<long long>(r));
}

std::string whole(double v) { return std::to_string(static_cast<long long>(std::round(v))); }

std::string join_and(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += i + 1 == parts.size() ? " and " : ", ";
    out += parts[i];
  }
  return out;
}

std::vector<RelayWay> usable_relays(const Facts& f) {
  std::vector<RelayWay> out;
  if (f.turn_udp.status == Status::pass) out.push_back({"UDP", &f.turn_udp});
  if (f.turn_tcp.status == Status::pass) out.push_back({"TCP", &f.turn_tcp});
  if (f.turn_tls.status == Status::pass && f.client.turn_tls) out.push_back({"TLS", &f.turn_tls});
  return out;
}

bool any_relay_offered(const Facts& f) { return f.turn_udp.offered || f.turn_tcp.offered || f.turn_tls.offered; }

std::string relay_ways_text(const Facts& f) {
  std::vector<std::string> names;
  for (const auto& w : usable_relays(f)) names.emplace_back(w.name);
  return "over " + join_and(names);
}

TurnError relay_refusal(const Facts& f) {
  for (const TurnCheck* t : {&f.turn_udp, &f.turn_tcp, &f.turn_tls}) {
    if (t->status == Status::fail && t->error != TurnError::unreachable && t->error != TurnError::none) return t->error;
  }
  return TurnError::none;
}

}  // namespace sb::doctor::words
