// The relay fast path allocates no more than it must: the frame built for the target (its string and the
// shared block that carries it across threads) and nothing in the router. Counted with a replaced operator
// new.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "fake_link.hpp"
#include "signaling/memory_router.hpp"
#include "signaling/session.hpp"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<int> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}

namespace sb::signaling {
namespace {

// A member that keeps the last event it was given, as a connection's queue would.
class KeepingMember final : public Member {
 public:
  void deliver(Event event) override { last = std::move(event); }
  Event last;
};

class NullLink final : public PeerLink {
 public:
  void send(std::shared_ptr<const std::string>) override {}
  void close(std::uint16_t, std::string) override {}
};

int count_allocations(const std::function<void()>& f) {
  g_allocations = 0;
  g_counting = true;
  f();
  g_counting = false;
  return g_allocations.load();
}

TEST(RelayAllocations, TheRouterAllocatesNothingPerRelay) {
  MemoryRouter router({2, 10});
  auto a = std::make_shared<KeepingMember>();
  auto b = std::make_shared<KeepingMember>();
  const auto a_id = router.join(JoinRequest{"room", {}, 0, true}, a);
  const auto b_id = router.join(JoinRequest{"room", {}, 0, true}, b);
  auto frame = std::make_shared<const std::string>(R"({"type":"candidate","from":"x","candidate":null})");
  router.relay("room", a_id, b_id, event::Relay{RelayedType::candidate, frame});  // warm up
  EXPECT_EQ(count_allocations([&] {
              router.relay("room", a_id, b_id, event::Relay{RelayedType::candidate, frame});
            }),
            0);
  EXPECT_TRUE(std::holds_alternative<event::Relay>(b->last));
}

TEST(RelayAllocations, ASessionRelaysAFrameWithTwoAllocations) {
  SessionConfig config;
  MemoryRouter router({2, 10});
  StaticIceServers ice({});
  metrics::Registry registry;
  Counters counters{registry};
  util::ManualClock clock;
  SessionContext ctx{config, router, ice, counters, clock};
  NullLink link_a, link_b;
  auto member_a = std::make_shared<KeepingMember>();
  auto member_b = std::make_shared<KeepingMember>();
  Session a(ctx, link_a, member_a), b(ctx, link_b, member_b);
  a.on_text(R"({"type":"join","room":"r"})");
  a.on_event(member_a->last);
  b.on_text(R"({"type":"join","room":"r"})");
  b.on_event(member_b->last);
  ASSERT_TRUE(a.joined() && b.joined());
  const std::string candidate =
      R"({"type":"candidate","to":")" + b.peer_id() +
      R"(","candidate":{"candidate":"candidate:1 1 udp 2122260223 192.0.2.2 54321 typ host","sdpMid":"0","sdpMLineIndex":0}})";
  a.on_text(candidate);  // warm up
  // The target's frame: its string, and the shared block that carries it.
  EXPECT_EQ(count_allocations([&] { a.on_text(candidate); }), 2);
  ASSERT_TRUE(std::holds_alternative<event::Relay>(member_b->last));
  EXPECT_EQ(count_allocations([&] { b.on_event(member_b->last); }), 0) << "written as it came";
}

}  // namespace
}  // namespace sb::signaling
