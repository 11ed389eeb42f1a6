// The native doctor's checks (docs/doctor.md): each measures one thing against the server and fills one
// part of doctor::Facts. Every network step is bounded (Env::step). The verdict is not made here:
// src/doctor/verdict.hpp makes it from the facts, as it does for the page.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "client/doctor_link.hpp"
#include "client/doctor_offer.hpp"
#include "client/options.hpp"
#include "doctor/report.hpp"
#include "doctor/turn_client.hpp"

namespace sb::client::doctor {

struct Env {
  boost::asio::io_context& io;
  const ClientOptions& options;
  std::shared_ptr<boost::asio::ssl::context> tls;  // turns: client context
  Clock::duration step = std::chrono::seconds(3);  // per transaction / connection
};

// The signaling WebSocket: opens, then five application pings; RTT is their median.
sb::doctor::SignalingCheck check_signaling(Env& env);
// STUN Binding over UDP to the offered stun: URL: the mapped address, RTT, local address, NAT or not.
sb::doctor::StunCheck check_stun(Env& env, const Offer& offer);
// RFC 5780 §4.3 (mapping) and §4.4 (filtering) from one UDP socket, when the server offers the four addresses.
sb::doctor::NatCheck check_nat(Env& env, const Offer& offer);
// Allocate over one transport (`kind`): relayed address and RTT, or the error told apart; then deallocate.
sb::doctor::TurnCheck check_turn(Env& env, const Offer& offer, StunLink::Kind kind);
// STUN Binding over IPv6 when the server offers an IPv6 address; otherwise whether this host has one.
sb::doctor::Ipv6Check check_ipv6(Env& env, const Offer& offer);

// One TURN allocation of this device (doctor_media.cpp uses two).
struct Allocation {
  std::unique_ptr<StunLink> link;
  Endpoint server;
  sb::doctor::TurnAuth auth{"", ""};
  stun::TransportAddress relayed;
  int code = -1;  // 0 allocated; a STUN error code; -1 no answer / no connection
  std::string detail;
  double rtt_ms = 0;
  bool tls_failed = false;
};
Allocation allocate(Env& env, const Offer& offer, StunLink::Kind kind);
// A signed request on an allocation (challenges and stale nonces answered); its final code, -1 for none.
int turn_request(Env& env, Allocation& a, const std::function<stun::Message()>& make, double* rtt_ms = nullptr);

// The first address a stun:/turn: URL's host resolves to; nullopt with `error` set when it does not.
std::optional<Endpoint> resolve_url(Env& env, const std::string& url, std::string& error);

// The offered URL for a transport ("" when not offered).
const std::string& turn_url(const Offer& offer, StunLink::Kind kind);

}  // namespace sb::client::doctor
