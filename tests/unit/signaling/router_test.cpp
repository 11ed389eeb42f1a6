// MemoryRouter: the router contract (router_contract.cpp), and what only a single node has.
#include <gtest/gtest.h>

#include "fake_link.hpp"
#include "router_contract.hpp"
#include "signaling/memory_router.hpp"

namespace sb::signaling {
namespace {

using testing::FakeMember;
using testing::RouterContract;

class OneMemoryRouter final : public testing::RouterCluster {
 public:
  explicit OneMemoryRouter(const RouterLimits& limits) : router_(limits) {}
  std::size_t nodes() const override { return 1; }
  Router& node(std::size_t) override { return router_; }
  std::chrono::milliseconds quiet() const override { return std::chrono::milliseconds(0); }

 private:
  MemoryRouter router_;
};

INSTANTIATE_TEST_SUITE_P(Memory, RouterContract,
                         ::testing::Values(testing::RouterFactory{
                             "Memory",
                             [](const RouterLimits& l) { return std::make_unique<OneMemoryRouter>(l); }}),
                         [](const auto& info) { return info.param.name; });

std::string join_ok(Router& r, const std::string& room, const std::shared_ptr<FakeMember>& m) {
  auto id = r.join(JoinRequest{room, {}, 0, true}, m);
  auto events = m->take();
  EXPECT_EQ(events.size(), 1u);
  EXPECT_TRUE(!events.empty() && std::holds_alternative<event::Admitted>(events[0]));
  r.announce_joined(room, id);
  return id;
}

// The node's room limit (a node's memory, not the cluster's): an emptied room frees its slot.
TEST(MemoryRouter, MaxRooms) {
  MemoryRouter r({2, 2});
  auto m = [] { return std::make_shared<FakeMember>(); };
  join_ok(r, "a", m());
  auto b = join_ok(r, "b", m());
  auto refused = m();
  r.join(JoinRequest{"c", {}, 0, true}, refused);
  auto events = refused->take();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<event::Refused>(events[0]).code, ErrorCode::server_full);
  join_ok(r, "a", m());  // existing rooms still admit
  r.leave("b", b, LeaveReason::bye);
  EXPECT_EQ(r.room_count(), 1u);
  join_ok(r, "c", m());
}

TEST(MemoryRouter, MembersThatAreGoneAreSkipped) {
  MemoryRouter r({2, 10});
  auto a = std::make_shared<FakeMember>();
  auto b = std::make_shared<FakeMember>();
  const auto a_id = join_ok(r, "room", a);
  const auto b_id = join_ok(r, "room", b);
  b.reset();
  r.relay("room", a_id, b_id, event::Relay{RelayedType::offer, std::make_shared<const std::string>("x")});
  r.leave("room", a_id, LeaveReason::bye);  // no crash delivering to a member that is gone
  EXPECT_EQ(r.peer_count(), 1u);
  EXPECT_EQ(a->take().size(), 1u) << "only b's peer-joined";
}

// The relay fast path hands the sender's frame through as it is: no copy, no re-serialization.
TEST(MemoryRouter, RelayPassesTheFrameItself) {
  MemoryRouter r({2, 10});
  auto a = std::make_shared<FakeMember>();
  auto b = std::make_shared<FakeMember>();
  const auto a_id = join_ok(r, "room", a);
  const auto b_id = join_ok(r, "room", b);
  auto frame = std::make_shared<const std::string>("frame");
  const auto* raw = frame.get();
  r.relay("room", a_id, b_id, event::Relay{RelayedType::offer, std::move(frame)});
  auto events = b->take();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<event::Relay>(events[0]).frame.get(), raw);
}

}  // namespace
}  // namespace sb::signaling
