#include "doctor/nat.hpp"

namespace sb::doctor {

Mapping classify_mapping(const MappingTests& t) {
  if (!t.test1) return Mapping::unknown;
  // RFC 5780 §4.3: "If the MAPPED-ADDRESS is equal to the local address, the client is not behind a NAT."
  if (*t.test1 == t.local) return Mapping::none;
  if (!t.test2) return Mapping::unknown;
  // "If the XOR-MAPPED-ADDRESS of test II equals that of test I, the NAT has endpoint-independent mapping."
  if (*t.test2 == *t.test1) return Mapping::endpoint_independent;
  if (!t.test3) return Mapping::unknown;
  // "If test III's equals test II's, the NAT has address-dependent mapping; otherwise address and port dependent."
  return *t.test3 == *t.test2 ? Mapping::address_dependent : Mapping::address_and_port_dependent;
}

Filtering classify_filtering(const FilteringTests& t) {
  if (!t.test1 || !t.test2) return Filtering::unknown;
  // RFC 5780 §4.4: a response to test II (change IP and port) means endpoint-independent filtering.
  if (*t.test2) return Filtering::endpoint_independent;
  if (!t.test3) return Filtering::unknown;
  // A response to test III (change port) means address-dependent filtering; none, address and port dependent.
  return *t.test3 ? Filtering::address_dependent : Filtering::address_and_port_dependent;
}

std::optional<bool> port_preserving(const MappingTests& t) {
  if (!t.test1) return std::nullopt;
  return t.test1->port == t.local.port;
}

}  // namespace sb::doctor
