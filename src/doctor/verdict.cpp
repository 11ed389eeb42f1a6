// The verdict rules, in the order they are tried (docs/doctor.md, "How the verdict is reached"):
//   1. signaling unreachable                       → no-signaling
//   2. neither STUN nor TURN offered               → no-stun-turn
//   3. UDP blocked (STUN over UDP fails, TURN over UDP does not work) → udp-blocked-*
//   4. no NAT                                      → public-address
//   5. endpoint-independent mapping                → direct
//   6. address(-and-port)-dependent mapping        → symmetric-relay / symmetric-no-relay
//   7. mapping unknown                             → relay-available / direct-only
// Where the network needs the relay (3, 6) and the relay allocates but relayed data does not flow, the
// verdict is relay-no-media instead.
#include "doctor/verdict.hpp"

#include "doctor/words.hpp"

namespace sb::doctor {
namespace {

using words::relay_ways_text;
using words::usable_relays;

Verdict make(const char* code, Severity s, std::string text) { return Verdict{code, s, std::move(text), {}, {}}; }

bool udp_works(const Facts& f) { return f.stun.status == Status::pass || f.turn_udp.status == Status::pass; }

bool udp_blocked(const Facts& f) {
  if (udp_works(f)) return false;
  return f.stun.status == Status::fail || (f.turn_udp.offered && f.turn_udp.error == TurnError::unreachable);
}

bool relay_needed_but_silent(const Facts& f) {
  return !usable_relays(f).empty() && f.media.status == Status::fail;
}

Verdict relay_no_media() {
  return make("relay-no-media", Severity::bad,
              "Your network needs the TURN relay, which accepts this device but did not carry data in the test: "
              "calls that need the relay will fail.");
}

Verdict blocked(const Facts& f) {
  if (!usable_relays(f).empty()) {
    const bool tls = f.turn_tls.status == Status::pass && f.client.turn_tls;
    const TurnCheck& t = tls ? f.turn_tls : f.turn_tcp;
    return make("udp-blocked-relay", Severity::warn,
                std::string("UDP is blocked: calls will only connect through the TURN relay over ") +
                    (tls ? "TLS, which works here (turns: on port " : "TCP, which works here (port ") +
                    std::to_string(t.port) + ").");
  }
  if (f.turn_tls.status == Status::pass) {
    return make("udp-blocked-tls-only", Severity::bad,
                "UDP is blocked and only TURN over TLS gets through, which this client cannot use: calls from it "
                "will fail, while a web browser on this network will connect.");
  }
  if (!words::any_relay_offered(f)) {
    return make("udp-blocked-no-relay", Severity::bad,
                "UDP is blocked and this server offers no TURN relay: calls cannot connect from this network.");
  }
  return make("udp-blocked-relay-fails", Severity::bad,
              "UDP is blocked and the TURN relay cannot be used over TCP or TLS either: calls cannot connect from "
              "this network.");
}

Verdict symmetric(const Facts& f) {
  const std::string per = f.nat.mapping == Mapping::address_dependent ? "per destination address" : "per destination";
  if (!usable_relays(f).empty()) {
    return make("symmetric-relay", Severity::warn,
                "Your network changes its public port " + per +
                    " (symmetric NAT): calls to peers behind similar NATs need the TURN relay, which works here " +
                    relay_ways_text(f) + ".");
  }
  return make("symmetric-no-relay", Severity::bad,
              "Your network changes its public port " + per +
                  " (symmetric NAT) and no TURN relay works here: calls to peers behind similar NATs will fail.");
}

Verdict unknown_nat(const Facts& f) {
  if (!usable_relays(f).empty()) {
    return make("relay-available", Severity::ok,
                "Calls will work: directly where the networks allow it, otherwise through the TURN relay, which "
                "works here " + relay_ways_text(f) + ".");
  }
  return make("direct-only", Severity::warn,
              "Direct calls may work, but no TURN relay works here: calls to peers behind strict NATs or firewalls "
              "will fail.");
}

Verdict headline(const Facts& f) {
  if (f.signaling.status == Status::fail) {
    return make("no-signaling", Severity::bad, "This device cannot reach the signalbox server, so calls cannot start.");
  }
  if (!f.server.stun && !words::any_relay_offered(f)) {
    return make("no-stun-turn", Severity::warn,
                "This server offers neither STUN nor TURN: only devices that can reach each other directly (the "
                "same network, public addresses) will connect.");
  }
  if (udp_blocked(f)) return relay_needed_but_silent(f) ? relay_no_media() : blocked(f);
  if (f.stun.behind_nat == false || f.nat.mapping == Mapping::none) {
    return make("public-address", Severity::ok,
                "This device has a public address (no NAT): direct calls will work with most peers.");
  }
  switch (f.nat.mapping) {
    case Mapping::endpoint_independent: return make("direct", Severity::ok, "Direct calls will work with most peers.");
    case Mapping::address_dependent:
    case Mapping::address_and_port_dependent:
      return relay_needed_but_silent(f) ? relay_no_media() : symmetric(f);
    default: return unknown_nat(f);
  }
}

// The operator line when the data test failed; empty when it did not.
std::string media_problem(const Facts& f) {
  const MediaCheck& m = f.media;
  if (m.status != Status::fail) return {};
  const bool to_device = m.path == "relay-to-device";
  if (to_device && (m.error == TurnError::forbidden || f.server.relay_to_device == false)) {
    return "The relay refuses to send to this device's address (403: its peer policy denies private and special "
           "ranges): allow the range users call from with --allow-peer if they are meant to reach the relay from it.";
  }
  if (m.error == TurnError::forbidden || (!to_device && f.server.relay_to_relay == false)) {
    return "The relay refuses to relay between two of its own allocations (peer policy), so two users who both need "
           "it cannot call each other: allow relay-to-relay (--allow-peer RELAY-IP/32).";
  }
  if (m.path == "relay-to-relay") {
    return "Allocations work but data between two of them does not flow: see the relay's log and "
           "signalbox_turn_dropped_packets_total.";
  }
  return "Allocations work but relayed data does not reach users: open the relay port range (--turn-min-port to "
         "--turn-max-port, UDP) in the server's firewall and check --turn-external-address.";
}

// The operator line when the relay itself misbehaves; empty when it does not.
std::string relay_problem(const Facts& f) {
  switch (words::relay_refusal(f)) {
    case TurnError::unauthorized:
      return "The relay refused the credentials this server minted (401): every signalbox behind this address must "
             "share --turn-secret, and the server's clock must be right.";
    case TurnError::forbidden: return "The relay refused this device (403 Forbidden): check the TURN access rules.";
    case TurnError::quota:
      return "The relay is at its allocation quota (486): raise --turn-user-quota or --turn-max-allocations, or add "
             "relay capacity.";
    case TurnError::tls:
      return "TURN over TLS failed its handshake: give --turn-tls-cert a certificate that clients trust for this "
             "server's name.";
    default: break;
  }
  return media_problem(f);
}

std::string ports_text(const Facts& f) {
  std::vector<std::string> p;
  if (f.turn_udp.offered) p.push_back("UDP " + std::to_string(f.turn_udp.port));
  if (f.turn_tcp.offered) p.push_back("TCP " + std::to_string(f.turn_tcp.port));
  if (f.turn_tls.offered) p.push_back("TLS " + std::to_string(f.turn_tls.port));
  return words::join_and(p);
}

std::string no_relay_line(const Facts& f) {
  if (!words::any_relay_offered(f)) {
    return "Run signalbox's TURN relay (it is on unless --no-turn): users on networks like this one need it.";
  }
  return "The TURN relay is offered but cannot be reached from here: open its ports (" + ports_text(f) +
         ") in the server's firewall.";
}

std::string operator_line(const Verdict& v, const Facts& f) {
  if (auto p = relay_problem(f); !p.empty()) return p;
  const std::string& c = v.code;
  if (c == "no-signaling") {
    return "Make signalbox's HTTP/WebSocket port reachable from users' networks (firewall, proxy, TLS certificate).";
  }
  if (c == "no-stun-turn") return "Run STUN and TURN (drop --no-stun and --no-turn).";
  if (c == "public-address" || c == "direct") {
    if (!usable_relays(f).empty()) return "Nothing to change for this network; keep TURN running for users on stricter ones.";
    return no_relay_line(f);
  }
  if (c == "symmetric-relay") {
    return "Keep TURN " + relay_ways_text(f) +
           " running and size its bandwidth: users on networks like this one relay every call with peers behind "
           "similar NATs.";
  }
  if (c == "relay-available") {
    return "Enable RFC 5780 discovery (--stun-alt-address) so that the doctor can tell users' NAT types.";
  }
  if (c == "udp-blocked-relay" && f.turn_tls.status == Status::pass && f.turn_tls.port == 443) {
    return "TURN over TLS on port 443 is what lets users on networks like this one in: keep it.";
  }
  if (c == "udp-blocked-no-relay") {
    return "Run signalbox's TURN relay (it is on unless --no-turn) with TCP and TLS, and turns: on port 443, which "
           "passes most firewalls: users behind firewalls that block UDP need it.";
  }
  if (c == "udp-blocked-relay" || c == "udp-blocked-relay-fails") {
    return "Users behind firewalls that block UDP reach the relay only over TCP or TLS: offer both, and turns: on "
           "port 443 (--stun-tls-listen with a certificate), which passes most firewalls.";
  }
  if (c == "udp-blocked-tls-only") {
    return "Networks like this one let only TURN over TLS through, which native clients (libnice) cannot use: also "
           "offer TURN over TCP on a port such networks pass.";
  }
  return no_relay_line(f);  // symmetric-no-relay, direct-only
}

}  // namespace

Verdict decide(const Facts& f) {
  Verdict v = headline(f);
  v.evidence = evidence(f);
  v.operator_line = operator_line(v, f);
  return v;
}

std::string short_text(const Report& r) {
  std::string out = "signalbox connectivity doctor: " + r.facts.server.url + "\n";
  out += r.verdict.text + "\n";
  for (const auto& e : r.verdict.evidence) out += "  - " + e + "\n";
  out += "Operator: " + r.verdict.operator_line + "\n";
  out += "Client: " + r.facts.client.kind + (r.facts.client.agent.empty() ? "" : " (" + r.facts.client.agent + ")") +
         "; started " + r.started_at + ", took " + words::whole(r.duration_ms / 1000) + " s.\n";
  return out;
}

}  // namespace sb::doctor
