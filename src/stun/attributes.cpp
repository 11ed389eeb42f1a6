#include "stun/attributes.hpp"

namespace sb::stun::attr {

namespace {
struct Named {
  std::uint16_t type;
  std::string_view name;
};
constexpr Named kRegistry[] = {
    {kMappedAddress, "MAPPED-ADDRESS"},
    {kResponseAddress, "RESPONSE-ADDRESS"},
    {kChangeRequest, "CHANGE-REQUEST"},
    {kUsername, "USERNAME"},
    {kMessageIntegrity, "MESSAGE-INTEGRITY"},
    {kErrorCode, "ERROR-CODE"},
    {kUnknownAttributes, "UNKNOWN-ATTRIBUTES"},
    {kChannelNumber, "CHANNEL-NUMBER"},
    {kLifetime, "LIFETIME"},
    {kXorPeerAddress, "XOR-PEER-ADDRESS"},
    {kData, "DATA"},
    {kRealm, "REALM"},
    {kNonce, "NONCE"},
    {kXorRelayedAddress, "XOR-RELAYED-ADDRESS"},
    {kRequestedAddressFamily, "REQUESTED-ADDRESS-FAMILY"},
    {kEvenPort, "EVEN-PORT"},
    {kRequestedTransport, "REQUESTED-TRANSPORT"},
    {kDontFragment, "DONT-FRAGMENT"},
    {kMessageIntegritySha256, "MESSAGE-INTEGRITY-SHA256"},
    {kPasswordAlgorithm, "PASSWORD-ALGORITHM"},
    {kUserhash, "USERHASH"},
    {kXorMappedAddress, "XOR-MAPPED-ADDRESS"},
    {kReservationToken, "RESERVATION-TOKEN"},
    {kPriority, "PRIORITY"},
    {kUseCandidate, "USE-CANDIDATE"},
    {kPadding, "PADDING"},
    {kResponsePort, "RESPONSE-PORT"},
    {kConnectionId, "CONNECTION-ID"},
    {kAdditionalAddressFamily, "ADDITIONAL-ADDRESS-FAMILY"},
    {kAddressErrorCode, "ADDRESS-ERROR-CODE"},
    {kPasswordAlgorithms, "PASSWORD-ALGORITHMS"},
    {kAlternateDomain, "ALTERNATE-DOMAIN"},
    {kIcmp, "ICMP"},
    {kSoftware, "SOFTWARE"},
    {kAlternateServer, "ALTERNATE-SERVER"},
    {kCacheTimeout, "CACHE-TIMEOUT"},
    {kFingerprint, "FINGERPRINT"},
    {kIceControlled, "ICE-CONTROLLED"},
    {kIceControlling, "ICE-CONTROLLING"},
    {kResponseOrigin, "RESPONSE-ORIGIN"},
    {kOtherAddress, "OTHER-ADDRESS"},
};
}  // namespace

bool is_known(std::uint16_t type) {
  for (const Named& n : kRegistry) {
    if (n.type == type) return true;
  }
  return false;
}

std::string_view name(std::uint16_t type) {
  for (const Named& n : kRegistry) {
    if (n.type == type) return n.name;
  }
  return "UNKNOWN";
}

}  // namespace sb::stun::attr
