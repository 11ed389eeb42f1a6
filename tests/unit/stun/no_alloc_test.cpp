// Decoding a Binding request allocates nothing (STYLE habit 2). This executable replaces the global
// allocation functions with counting ones, so it holds only this test.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "rfc5769_vectors.hpp"
#include "stun/attr_address.hpp"
#include "stun/attr_error.hpp"
#include "stun/attr_ice.hpp"
#include "stun/attr_text.hpp"
#include "stun/integrity.hpp"
#include "stun/message.hpp"

// GCC inlines these replacements into new/delete pairs and then sees malloc memory freed by "delete";
// that is exactly what a replacement does, so the warning does not apply here.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<long> g_allocations{0};  // test-only instrumentation, not program state
}

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace sb::stun {
namespace {

TEST(NoAllocation, DecodingABindingRequestAllocatesNothing) {
  const std::vector<std::uint8_t> request = test::kSampleRequest;  // allocated before counting
  const long before = g_allocations.load();
  const auto v = MessageView::parse(request);
  ASSERT_TRUE(v.ok());
  const bool fp_ok = verify_fingerprint(*v);
  const auto software = v->get<Software>();
  const auto username = v->get<Username>();
  const auto priority = v->get<Priority>();
  UnknownAttributes unknown;
  const std::size_t n_unknown = find_unknown_comprehension_required(*v, unknown);
  const long after = g_allocations.load();
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
  const long before = g_allocations.load();
  for (int i = 0; i < 100; ++i) {
    start_success_response(response, *v)
        .add(XorMappedAddress{TransportAddress::v4(0x0A000001, static_cast<std::uint16_t>(i))})
        .add_fingerprint();
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
  EXPECT_TRUE(verify_fingerprint(response.view()));
}

TEST(NoAllocation, CounterSeesAllocations) {
  const long before = g_allocations.load();
  auto* p = new std::vector<int>(10);
  delete p;
  EXPECT_GE(g_allocations.load() - before, 2);
}

}  // namespace
}  // namespace sb::stun
