// Decoding a Binding request allocates nothing (STYLE habit 2). This executable replaces the global
// allocation functions with counting ones, so it holds only this test.
#include <gtest/gtest.h>

#include "counting_new.hpp"

#include <vector>

#include "rfc5769_vectors.hpp"
#include "stun/attr_address.hpp"
#include "stun/attr_error.hpp"
#include "stun/attr_ice.hpp"
#include "stun/attr_text.hpp"
#include "stun/integrity.hpp"
#include "stun/message.hpp"

namespace sb::stun {
namespace {

TEST(NoAllocation, DecodingABindingRequestAllocatesNothing) {
  const std::vector<std::uint8_t> request = test::kSampleRequest;  // allocated before counting
  const long before = static_cast<long>(sb::test::allocation_count());
  const auto v = MessageView::parse(request);
  ASSERT_TRUE(v.ok());
  const bool fp_ok = verify_fingerprint(*v);
  const auto software = v->get<Software>();
  const auto username = v->get<Username>();
  const auto priority = v->get<Priority>();
  UnknownAttributes unknown;
  const std::size_t n_unknown = find_unknown_comprehension_required(*v, unknown);
  const long after = static_cast<long>(sb::test::allocation_count());
  EXPECT_EQ(after - before, 0) << "heap allocations while decoding";
  EXPECT_TRUE(fp_ok);
  EXPECT_EQ(software->value, "STUN test client");
  EXPECT_EQ(username->value, "evtj:h6vY");
  EXPECT_EQ(priority->value, 0x6e0001ffu);
  EXPECT_EQ(n_unknown, 0u);
}

TEST(NoAllocation, ReusedResponseMessageBuildsWithoutAllocating) {
  const auto v = MessageView::parse(test::kSampleRequest);
  ASSERT_TRUE(v.ok());
  Message response;
  start_success_response(response, *v).add(XorMappedAddress{}).add_fingerprint();  // warms capacity
  const long before = static_cast<long>(sb::test::allocation_count());
  for (int i = 0; i < 100; ++i) {
    start_success_response(response, *v)
        .add(XorMappedAddress{TransportAddress::v4(0x0A000001, static_cast<std::uint16_t>(i))})
        .add_fingerprint();
  }
  EXPECT_EQ(static_cast<long>(sb::test::allocation_count()) - before, 0);
  EXPECT_TRUE(verify_fingerprint(response.view()));
}

TEST(NoAllocation, CounterSeesAllocations) {
  const long before = static_cast<long>(sb::test::allocation_count());
  // Called as a function, not as a new-expression, so the compiler may not elide the pair.
  void* p = ::operator new(64);
  ::operator delete(p);
  EXPECT_EQ(static_cast<long>(sb::test::allocation_count()) - before, 1);
}

}  // namespace
}  // namespace sb::stun
