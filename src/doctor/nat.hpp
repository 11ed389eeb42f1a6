// NAT behaviour from RFC 5780 test results (RFC 5780 §4.3 mapping, §4.4 filtering). Pure: the native
// client (src/client/doctor_checks.cpp) runs the Binding transactions and hands the outcomes in.
#pragma once

#include <optional>

#include "doctor/report.hpp"
#include "stun/address.hpp"

namespace sb::doctor {

// §4.3: the mapped address returned for a Binding request sent from one local socket to the server's
// primary address IP1:P1 (test I), to IP2:P1 (test II) and to IP2:P2 (test III). nullopt: no answer.
struct MappingTests {
  stun::TransportAddress local;  // the socket's own address, to tell "no NAT"
  std::optional<stun::TransportAddress> test1, test2, test3;
};

// none when test I's mapped address is the local one; endpoint-independent when II equals I;
// address-dependent when III equals II; address-and-port-dependent otherwise; unknown when an answer
// needed for the decision is missing.
Mapping classify_mapping(const MappingTests& t);

// §4.4: whether test I (no change) was answered, and whether the answers to test II (CHANGE-REQUEST with
// change IP and change port) and test III (change port only) arrived. nullopt: not run.
struct FilteringTests {
  bool test1 = false;
  std::optional<bool> test2, test3;
};

// endpoint-independent when II arrived; address-dependent when III arrived; address-and-port-dependent
// when neither did; unknown when test I failed or a test needed was not run.
Filtering classify_filtering(const FilteringTests& t);

// Whether the NAT kept the local port (test I's mapped port equals the socket's port); nullopt without test I.
std::optional<bool> port_preserving(const MappingTests& t);

}  // namespace sb::doctor
