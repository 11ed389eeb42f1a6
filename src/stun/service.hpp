// The STUN Binding service core (RFC 8489 §6.3, RFC 5780 §6): bytes, source address, local address and
// transport in; response bytes and the addresses to send them between out, or nothing (a counted drop).
// No sockets, no clock: src/net/stun_* feed it.
//
// Threading: one BindingService per worker thread. handle() writes into a scratch Message owned by the
// service and into that worker's stun::Metrics; the configuration is read-only after construction.
#pragma once

#include <array>

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "stun/address.hpp"
#include "stun/message.hpp"
#include "stun/metrics.hpp"

namespace sb::stun {

struct ServiceConfig {
  // RFC 5780 behaviour discovery: on when both are set. `primary` is IP1:P1 (the advertised address),
  // `alternate` is IP2:P2 with IP2 != IP1 and P2 != P1. The listeners must bind all four combinations,
  // because CHANGE-REQUEST asks for a response from the other IP and/or port.
  std::optional<TransportAddress> primary;
  std::optional<TransportAddress> alternate;
  ParseLimits limits;

  bool behaviour_discovery() const { return primary.has_value() && alternate.has_value(); }
  // Empty when usable; otherwise the problems found, one per line.
  std::string validate() const;
};

struct Packet {
  std::span<const std::uint8_t> bytes;
  TransportAddress source;  // the client as the server sees it (the mapped address)
  TransportAddress local;   // the concrete address the packet arrived on
  Transport transport = Transport::kUdp;
};

// Where and what to send. `bytes` points into the service's scratch buffer and is valid until the next
// handle() call on the same service.
struct Reply {
  std::span<const std::uint8_t> bytes;
  TransportAddress from;  // == packet.local unless RFC 5780 CHANGE-REQUEST asked otherwise
  TransportAddress to;    // == packet.source unless RFC 5780 RESPONSE-PORT asked otherwise
};

enum class Action : std::uint8_t {
  kReply,   // send `reply`
  kNone,    // nothing to send and nothing wrong (a Binding indication)
  kDrop,    // counted under `reason`; on a stream transport close the connection when kMalformed
  kPassOn,  // a valid STUN message of another method, or ChannelData: for TURN, if it runs
};

struct Outcome {
  Action action = Action::kDrop;
  DropReason reason = DropReason::kMalformed;  // meaningful for kDrop only
};

class BindingService {
 public:
  BindingService(const ServiceConfig& config, Metrics& metrics);

  Outcome handle(const Packet& packet, Reply& reply);

  Metrics& metrics() { return metrics_; }

 private:
  Outcome handle_request(const MessageView& request, const Packet& packet, Reply& reply);
  Outcome answer_error(const MessageView& request, const Packet& packet, Reply& reply, std::uint16_t code);
  bool discovery_applies(const Packet& packet) const;
  TransportAddress changed_origin(const TransportAddress& local, bool change_ip, bool change_port) const;
  Outcome finish(const MessageView& request, Reply& reply);
  Outcome answer_classic(const Packet& packet, Reply& reply);
  Outcome drop(DropReason r);

  const ServiceConfig config_;
  Metrics& metrics_;
  Message scratch_;  // reused: no allocation per response once warm
  // RFC 3489 ("classic") Binding response: header + MAPPED-ADDRESS for at most an IPv6 address.
  std::array<std::uint8_t, kHeaderSize + kAttributeHeaderSize + 20> classic_{};
};

}  // namespace sb::stun
