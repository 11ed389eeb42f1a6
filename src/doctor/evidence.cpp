// The evidence lines of the verdict: one per check, in the order of the report. Same wording in
// web/doctor/verdict.js (checked by tests/doctor/vectors.json).
#include <cmath>
#include <vector>

#include "doctor/verdict.hpp"
#include "doctor/words.hpp"

namespace sb::doctor {
namespace {

using words::ms;
using words::whole;

std::string signaling_line(const SignalingCheck& s) {
  if (s.status == Status::fail) return "Signaling: not reachable" + (s.detail.empty() ? "" : " (" + s.detail + ")") + ".";
  if (s.status == Status::unknown) return "Signaling: not tested.";
  std::string out = "Signaling: reachable" + (s.rtt_ms ? ", round trip " + ms(*s.rtt_ms) + " ms" : "") + ".";
  if (s.clock_offset_ms && std::fabs(*s.clock_offset_ms) >= 60000) {
    out += " This device's clock is " + whole(std::fabs(*s.clock_offset_ms) / 1000) + " s off the server's.";
  }
  return out;
}

std::string stun_line(const Facts& f) {
  const StunCheck& s = f.stun;
  if (s.status == Status::fail) return "STUN over UDP: no answer" + (s.detail.empty() ? "" : " (" + s.detail + ")") + ".";
  if (s.status == Status::unknown) return f.server.stun ? "STUN over UDP: not tested." : "STUN: not offered by this server.";
  std::string out = "STUN over UDP: public address " + s.public_address + (s.rtt_ms ? " in " + ms(*s.rtt_ms) + " ms" : "");
  if (s.behind_nat == true) out += "; behind NAT" + (s.local_address.empty() ? "" : " (local address " + s.local_address + ")");
  if (s.behind_nat == false) out += "; not behind NAT";
  return out + ".";
}

std::string mapping_meaning(Mapping m) {
  switch (m) {
    case Mapping::endpoint_independent: return "the same public port for every destination";
    case Mapping::address_dependent: return "a new public port per destination address";
    case Mapping::address_and_port_dependent: return "a new public port per destination";
    default: return "";
  }
}

std::string nat_line(const Facts& f) {
  const NatCheck& n = f.nat;
  if (n.status == Status::unknown) {
    if (!f.server.rfc5780) return "NAT type: not tested (the server has no --stun-alt-address).";
    return "NAT type: unknown" + (n.detail.empty() ? "" : " (" + n.detail + ")") + ".";
  }
  if (n.status == Status::fail) return "NAT type: the tests failed" + (n.detail.empty() ? "" : " (" + n.detail + ")") + ".";
  if (n.mapping == Mapping::none) return "NAT: none (the public address is this device's own).";
  std::string out = std::string("NAT (") + (n.method == "rfc5780" ? "RFC 5780 tests" : "estimated from several server addresses") +
                    "): " + std::string(to_string(n.mapping)) + " mapping";
  if (n.filtering != Filtering::unknown) out += ", " + std::string(to_string(n.filtering)) + " filtering";
  if (n.port_preserving == true) out += ", port-preserving";
  if (const auto meaning = mapping_meaning(n.mapping); !meaning.empty()) out += "; " + meaning;
  return out + ".";
}

std::string turn_error_words(const TurnCheck& t) {
  switch (t.error) {
    case TurnError::unreachable: return "no answer (port " + std::to_string(t.port) + " unreachable)";
    case TurnError::unauthorized: return "401 Unauthorized (credentials refused)";
    case TurnError::forbidden: return "403 Forbidden";
    case TurnError::quota: return "486 Allocation Quota Reached";
    case TurnError::tls: return "the TLS handshake failed";
    default: return "error " + std::to_string(t.code);
  }
}

std::string turn_line(const char* label, const TurnCheck& t, bool usable_in_calls) {
  const std::string head = std::string("TURN over ") + label + ": ";
  if (!t.offered) return head + "not offered by this server.";
  if (t.status == Status::unknown) return head + "not tested.";
  if (t.status == Status::fail) return head + turn_error_words(t) + ".";
  return head + "relayed address " + t.relay_address + (t.rtt_ms ? " in " + ms(*t.rtt_ms) + " ms" : "") +
         (usable_in_calls ? "" : " (this client cannot use TURN over TLS in calls)") + ".";
}

std::string ipv6_line(const Ipv6Check& v) {
  if (v.status == Status::pass) return "IPv6: works" + (v.address.empty() ? "" : " (" + v.address + ")") + ".";
  if (v.status == Status::fail) return "IPv6: this device has an IPv6 address but cannot reach the server over it.";
  return "IPv6: not available" + (v.detail.empty() ? "" : " (" + v.detail + ")") + ".";
}

// "(udp, relay to this device)": how the data went.
std::string media_how(const MediaCheck& m) {
  std::vector<std::string> parts;
  if (!m.transport.empty()) parts.push_back(m.transport);
  if (m.path == "relay-to-device") parts.emplace_back("relay to this device");
  if (m.path == "relay-to-relay") parts.emplace_back("relay to relay");
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out.empty() ? "" : " (" + out + ")";
}

std::string media_line(const MediaCheck& m) {
  if (m.status == Status::unknown) {
    return "Data through the relay: not tested" + (m.detail.empty() ? "" : " (" + m.detail + ")") + ".";
  }
  const std::string head = "Data through the relay" + media_how(m) + ": ";
  if (m.status == Status::fail) {
    if (m.error == TurnError::forbidden) return head + "refused (403 Forbidden by the relay's peer policy).";
    if (m.sent == 0) return head + "failed" + (m.detail.empty() ? "" : " (" + m.detail + ")") + ".";
    return head + std::to_string(m.received) + " of " + std::to_string(m.sent) + " packets arrived.";
  }
  std::string out = head + std::to_string(m.received) + " of " + std::to_string(m.sent) + " packets arrived";
  if (m.loss_percent) out += " (" + whole(*m.loss_percent) + "% loss)";
  if (m.throughput_kbps) out += ", " + whole(*m.throughput_kbps) + " kbit/s";
  if (m.rtt_ms) out += ", round trip " + ms(*m.rtt_ms) + " ms";
  return out + ".";
}

}  // namespace

std::vector<std::string> evidence(const Facts& f) {
  return {
      signaling_line(f.signaling),
      stun_line(f),
      nat_line(f),
      turn_line("UDP", f.turn_udp, true),
      turn_line("TCP", f.turn_tcp, true),
      turn_line("TLS", f.turn_tls, f.client.turn_tls),
      ipv6_line(f.ipv6),
      media_line(f.media),
  };
}

}  // namespace sb::doctor
