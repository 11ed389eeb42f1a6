// RFC 5780 §4.3 and §4.4 classification from test outcomes.
#include <gtest/gtest.h>

#include "doctor/nat.hpp"

namespace sb::doctor {
namespace {

stun::TransportAddress a(const char* text) { return *stun::TransportAddress::parse(text); }

TEST(DoctorNat, MappingFollowsTheRfc5780Tests) {
  MappingTests t{a("10.0.1.11:4000"), a("192.0.2.2:4000"), a("192.0.2.2:4000"), std::nullopt};
  EXPECT_EQ(classify_mapping(t), Mapping::endpoint_independent);
  EXPECT_EQ(port_preserving(t), true);
  t.test2 = a("192.0.2.2:5001");
  EXPECT_EQ(classify_mapping(t), Mapping::unknown) << "test III is needed to decide";
  t.test3 = a("192.0.2.2:5001");
  EXPECT_EQ(classify_mapping(t), Mapping::address_dependent);
  t.test3 = a("192.0.2.2:5002");
  EXPECT_EQ(classify_mapping(t), Mapping::address_and_port_dependent);
  t.test1 = a("192.0.2.2:6000");
  EXPECT_EQ(port_preserving(t), false);
}

TEST(DoctorNat, NoNatWhenTheMappedAddressIsLocal) {
  MappingTests t{a("198.51.100.7:4000"), a("198.51.100.7:4000"), std::nullopt, std::nullopt};
  EXPECT_EQ(classify_mapping(t), Mapping::none);
}

TEST(DoctorNat, NothingWithoutTestOne) {
  MappingTests t{a("10.0.0.1:1"), std::nullopt, a("192.0.2.2:4000"), a("192.0.2.2:4000")};
  EXPECT_EQ(classify_mapping(t), Mapping::unknown);
  EXPECT_EQ(port_preserving(t), std::nullopt);
  EXPECT_EQ(classify_filtering({false, true, true}), Filtering::unknown);
}

TEST(DoctorNat, FilteringFollowsTheRfc5780Tests) {
  EXPECT_EQ(classify_filtering({true, true, std::nullopt}), Filtering::endpoint_independent);
  EXPECT_EQ(classify_filtering({true, false, true}), Filtering::address_dependent);
  EXPECT_EQ(classify_filtering({true, false, false}), Filtering::address_and_port_dependent);
  EXPECT_EQ(classify_filtering({true, false, std::nullopt}), Filtering::unknown);
  EXPECT_EQ(classify_filtering({true, std::nullopt, std::nullopt}), Filtering::unknown);
}

}  // namespace
}  // namespace sb::doctor
