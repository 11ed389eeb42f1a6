#include "counting_new.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

// GCC inlines these replacements into new/delete pairs and then sees malloc memory freed by "delete";
// that is exactly what a replacement does, so the warning does not apply here.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<std::size_t> g_allocations{0};  // test-only instrumentation, not program state
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

namespace sb::test {

std::size_t allocation_count() { return g_allocations.load(std::memory_order_relaxed); }

}  // namespace sb::test
