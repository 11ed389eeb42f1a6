// libFuzzer target for the STUN codec and Binding service: arbitrary bytes must never crash, leak or read
// out of bounds, and whatever parses must survive every attribute decoder and re-encode consistently.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <span>
#include <vector>

#include "stun/attr_address.hpp"
#include "stun/attr_error.hpp"
#include "stun/attr_ice.hpp"
#include "stun/attr_nat.hpp"
#include "stun/attr_text.hpp"
#include "stun/attr_turn.hpp"
#include "stun/framing.hpp"
#include "stun/integrity.hpp"
#include "stun/message.hpp"
#include "stun/service.hpp"

namespace {

using namespace sb::stun;

template <class... A>
void decode_all(const MessageView& m) {
  (static_cast<void>(m.get<A>()), ...);
}

void exercise_view(const MessageView& m) {
  decode_all<MappedAddress, XorMappedAddress, XorPeerAddress, XorRelayedAddress, AlternateServer,
             ResponseOrigin, OtherAddress, Username, Realm, Nonce, Software, AlternateDomain, Data,
             ErrorCode, UnknownAttributes, ChannelNumber, Lifetime, RequestedAddressFamily,
             AdditionalAddressFamily, EvenPort, RequestedTransport, DontFragment, ReservationToken,
             AddressErrorCode, Icmp, ConnectionId, ChangeRequest, ResponsePort, Padding, CacheTimeout,
             Priority, UseCandidate, IceControlled, IceControlling, Userhash, PasswordAlgorithm,
             PasswordAlgorithms>(m);
  static constexpr std::uint8_t kKey[] = {'k', 'e', 'y'};
  static_cast<void>(verify_message_integrity(m, kKey));
  static_cast<void>(verify_message_integrity_sha256(m, kKey));
  static_cast<void>(verify_fingerprint(m));
  // Re-encoding the counted attributes must give a message that parses to the same attributes.
  Message copy(m.type(), m.transaction_id());
  for (std::size_t i = 0; i < m.attribute_count(); ++i) copy.add_raw(m.attribute(i).type, m.attribute(i).value);
  const auto again = MessageView::parse(copy.bytes(), ParseLimits{kMaxMessageSize, kAttributeCapacity});
  if (copy.ok() && !again.ok()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  static_cast<void>(next_stream_frame(bytes, 4096));
  if (const auto m = MessageView::parse(bytes)) exercise_view(*m);

  ServiceConfig cfg;
  cfg.primary = TransportAddress::parse("127.0.0.1:3478");
  cfg.alternate = TransportAddress::parse("127.0.0.2:3479");
  sb::metrics::Registry registry;
  Metrics metrics(registry);
  BindingService service(cfg, metrics);
  Reply reply;
  const Packet packet{bytes, *TransportAddress::parse("[2001:db8::1]:1234"), *cfg.primary, Transport::kUdp};
  if (service.handle(packet, reply).action == Action::kReply) {
    // Every response the service builds must itself be valid STUN and echo the transaction id. An RFC 3489
    // request (no magic cookie) gets an RFC 3489 answer, which echoes all 128 bits of the id in place of the
    // cookie: with the cookie put back, it must parse as a Binding success with a MAPPED-ADDRESS.
    if (reply.bytes.size() < kHeaderSize || bytes.size() < kHeaderSize) __builtin_trap();
    if (!std::equal(bytes.begin() + 8, bytes.begin() + 20, reply.bytes.begin() + 8)) __builtin_trap();
    const bool classic = load_u32(bytes.data() + 4) != kMagicCookie;
    std::vector<std::uint8_t> copy(reply.bytes.begin(), reply.bytes.end());
    if (classic) {
      if (!std::equal(bytes.begin() + 4, bytes.begin() + 8, copy.begin() + 4)) __builtin_trap();
      store_u32(copy.data() + 4, kMagicCookie);
    }
    const auto parsed = MessageView::parse(copy);
    if (!parsed.ok()) __builtin_trap();
    if (classic && (parsed->type() != kBindingSuccess || !parsed->get<MappedAddress>().ok())) __builtin_trap();
  }
  return 0;
}
