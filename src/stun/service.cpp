#include "stun/service.hpp"

#include <algorithm>

#include "stun/attr_address.hpp"
#include "stun/attr_error.hpp"
#include "stun/attr_nat.hpp"
#include "stun/attr_text.hpp"
#include "stun/framing.hpp"
#include "stun/integrity.hpp"

namespace sb::stun {

namespace {

// Without behaviour discovery, the RFC 5780 request attributes are not understood: a client that sends
// CHANGE-REQUEST gets 420, which is how RFC 5780 §6.1 tells it discovery is unavailable.
bool known_without_discovery(std::uint16_t type) {
  return attr::is_known(type) && type != attr::kChangeRequest && type != attr::kResponsePort &&
         type != attr::kPadding;
}

}  // namespace

std::string ServiceConfig::validate() const {
  std::string errs;
  if (limits.max_attributes == 0 || limits.max_attributes > kAttributeCapacity) {
    errs += "stun: max attributes must be 1.." + std::to_string(kAttributeCapacity) + "\n";
  }
  if (limits.max_message_size < kHeaderSize) errs += "stun: max message size below 20 bytes\n";
  if (primary.has_value() != alternate.has_value()) {
    errs += "stun-alt-address: needs both a primary and an alternate address\n";
  } else if (primary && alternate) {
    if (primary->family() != alternate->family()) errs += "stun-alt-address: must be the listen address's family\n";
    if (primary->ip == alternate->ip) errs += "stun-alt-address: IP must differ from the listen IP (RFC 5780)\n";
    if (primary->port == alternate->port) errs += "stun-alt-address: port must differ from the listen port\n";
    if (primary->ip.is_unspecified() || alternate->ip.is_unspecified()) {
      errs += "stun-alt-address: both addresses must be concrete IPs, not wildcards\n";
    }
    if (primary->port == 0 || alternate->port == 0) errs += "stun-alt-address: ports must not be 0\n";
  }
  return errs;
}

BindingService::BindingService(const ServiceConfig& config, Metrics& metrics)
    : config_(config), metrics_(metrics) {}

Outcome BindingService::drop(DropReason r) {
  metrics_.drop(r);
  return {Action::kDrop, r};
}

// RFC 5389 §12.2: a Binding request without the magic cookie comes from an RFC 3489 client (libnice, which
// GStreamer's webrtcbin uses, sends these for server-reflexive discovery). Bytes 4..19 are then its 128-bit
// transaction id.
namespace {
bool is_classic_binding_request(std::span<const std::uint8_t> b) {
  if (b.size() < kHeaderSize || (b[0] & 0xC0) != 0) return false;
  if (load_u16(b.data()) != kBindingRequest.encode() || load_u32(b.data() + 4) == kMagicCookie) return false;
  const std::size_t length = load_u16(b.data() + 2);
  return length % 4 == 0 && length == b.size() - kHeaderSize;
}
}  // namespace

// "The server ... MUST include a MAPPED-ADDRESS attribute, and MUST NOT include XOR-MAPPED-ADDRESS"
// (RFC 5389 §12.2); the whole 128-bit transaction id is echoed.
Outcome BindingService::answer_classic(const Packet& packet, Reply& reply) {
  metrics_.requests.inc();
  const TransportAddress& a = packet.source;
  const std::size_t ip_len = a.ip_size();
  const std::size_t value_len = 4 + ip_len;
  std::uint8_t* p = classic_.data();
  store_u16(p, kBindingSuccess.encode());
  store_u16(p + 2, static_cast<std::uint16_t>(kAttributeHeaderSize + value_len));
  std::copy_n(packet.bytes.data() + 4, 16, p + 4);
  p += kHeaderSize;
  store_u16(p, attr::kMappedAddress);
  store_u16(p + 2, static_cast<std::uint16_t>(value_len));
  p[4] = 0;
  p[5] = static_cast<std::uint8_t>(a.family());
  store_u16(p + 6, a.port);
  std::copy_n(a.ip_bytes().data(), ip_len, p + 8);
  reply.bytes = std::span<const std::uint8_t>(classic_.data(), kHeaderSize + kAttributeHeaderSize + value_len);
  reply.from = packet.local;
  reply.to = packet.source;
  metrics_.responses.inc();
  return {Action::kReply, DropReason::kMalformed};
}

// RFC 8489 §6.3: check the message, then dispatch on class.
Outcome BindingService::handle(const Packet& packet, Reply& reply) {
  if (packet.bytes.empty()) return drop(DropReason::kMalformed);
  if (is_channel_data_byte(packet.bytes[0])) return {Action::kPassOn, DropReason::kUnhandled};
  if (is_classic_binding_request(packet.bytes)) return answer_classic(packet, reply);
  const auto parsed = MessageView::parse(packet.bytes, config_.limits);
  if (!parsed) return drop(parsed.error() == Error::kTooLarge ? DropReason::kTooLarge : DropReason::kMalformed);
  const MessageView& m = *parsed;
  // RFC 8489 §7.3: "a FINGERPRINT that does not contain the correct value" → discard.
  if (m.fingerprint() && !verify_fingerprint(m)) return drop(DropReason::kBadFingerprint);
  if (m.method() != Method::kBinding) return {Action::kPassOn, DropReason::kUnhandled};
  switch (m.message_class()) {
    case Class::kRequest:
      return handle_request(m, packet, reply);
    case Class::kIndication:
      // RFC 8489 §6.3.2: no response; Binding indications are keep-alives.
      metrics_.indications.inc();
      return {Action::kNone, DropReason::kMalformed};
    case Class::kSuccess:
    case Class::kError:
      break;
  }
  return drop(DropReason::kUnexpectedClass);
}

bool BindingService::discovery_applies(const Packet& packet) const {
  if (!config_.behaviour_discovery()) return false;
  const auto& p = *config_.primary;
  const auto& a = *config_.alternate;
  const bool ip_ok = packet.local.ip == p.ip || packet.local.ip == a.ip;
  const bool port_ok = packet.local.port == p.port || packet.local.port == a.port;
  return ip_ok && port_ok;
}

// RFC 5780 §6.1: the response comes from the other IP when "change IP" is set, from the other port when
// "change port" is set. OTHER-ADDRESS is this with both flags set.
TransportAddress BindingService::changed_origin(const TransportAddress& local, bool change_ip,
                                                bool change_port) const {
  const auto& p = *config_.primary;
  const auto& a = *config_.alternate;
  TransportAddress out = local;
  if (change_ip) out.ip = local.ip == p.ip ? a.ip : p.ip;
  if (change_port) out.port = local.port == p.port ? a.port : p.port;
  return out;
}

Outcome BindingService::answer_error(const MessageView& request, const Packet& packet, Reply& reply,
                                     std::uint16_t code) {
  start_error_response(scratch_, request, code);
  if (code == code::kUnknownAttribute) {
    UnknownAttributes unknown;
    find_unknown_comprehension_required(
        request, unknown, discovery_applies(packet) ? &attr::is_known : &known_without_discovery);
    scratch_.add(unknown);
  }
  metrics_.errors.inc();
  reply.from = packet.local;
  reply.to = packet.source;
  return finish(request, reply);
}

Outcome BindingService::handle_request(const MessageView& request, const Packet& packet, Reply& reply) {
  metrics_.requests.inc();
  const bool discovery = discovery_applies(packet);
  // RFC 8489 §6.3.1.1: unknown comprehension-required attributes → 420 listing them.
  UnknownAttributes unknown;
  if (find_unknown_comprehension_required(request, unknown,
                                          discovery ? &attr::is_known : &known_without_discovery) > 0) {
    return answer_error(request, packet, reply, code::kUnknownAttribute);
  }
  reply.from = packet.local;
  reply.to = packet.source;
  if (discovery) {
    ChangeRequest change;
    if (const auto a = request.find(attr::kChangeRequest)) {
      const auto c = ChangeRequest::decode(request, *a);
      if (!c) return answer_error(request, packet, reply, code::kBadRequest);
      change = *c;
    }
    // A stream connection cannot answer from another address.
    if (packet.transport != Transport::kUdp && (change.change_ip || change.change_port)) {
      return answer_error(request, packet, reply, code::kBadRequest);
    }
    if (const auto a = request.find(attr::kResponsePort); a && packet.transport == Transport::kUdp) {
      const auto port = ResponsePort::decode(request, *a);
      if (!port) return answer_error(request, packet, reply, code::kBadRequest);
      reply.to.port = port->port;
    }
    reply.from = changed_origin(packet.local, change.change_ip, change.change_port);
  }
  start_success_response(scratch_, request).add(XorMappedAddress{packet.source});
  if (discovery) {
    // RFC 5780 §6.1: RESPONSE-ORIGIN is where the response comes from, OTHER-ADDRESS the alternate pair.
    // MAPPED-ADDRESS as well, so clients can detect ALGs rewriting addresses (RFC 5780 §4.3, "No ALG").
    scratch_.add(MappedAddress{packet.source})
        .add(ResponseOrigin{reply.from})
        .add(OtherAddress{changed_origin(packet.local, true, true)});
  }
  metrics_.responses.inc();
  return finish(request, reply);
}

// Common tail of every response: FINGERPRINT when the request had one. Never SOFTWARE: Binding is
// unauthenticated, and every byte of an answer is reflected at whatever source a datagram claims.
Outcome BindingService::finish(const MessageView& request, Reply& reply) {
  if (request.fingerprint()) scratch_.add_fingerprint();
  if (!scratch_.ok()) return drop(DropReason::kMalformed);
  reply.bytes = scratch_.bytes();
  return {Action::kReply, DropReason::kMalformed};
}

}  // namespace sb::stun
