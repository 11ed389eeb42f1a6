#include "signaling/memory_router.hpp"

#include <gtest/gtest.h>

#include "fake_link.hpp"

namespace sb::signaling {
namespace {

using testing::FakeLink;

struct Peer {
  std::shared_ptr<FakeLink> link = std::make_shared<FakeLink>();
  std::string id;
};

Peer join_ok(Router& r, const std::string& room, const std::string& name = "") {
  Peer p;
  auto res = r.join(room, name, p.link);
  EXPECT_FALSE(res.error.has_value()) << (res.error ? res.error->message : "");
  p.id = res.peer_id;
  r.announce_joined(room, p.id);
  return p;
}

TEST(MemoryRouter, IdsAre128BitHex) {
  MemoryRouter r({2, 10});
  auto a = join_ok(r, "x");
  auto b = join_ok(r, "x");
  EXPECT_TRUE(is_valid_peer_id(a.id));
  EXPECT_TRUE(is_valid_peer_id(b.id));
  EXPECT_NE(a.id, b.id);
}

TEST(MemoryRouter, JoinListsOthersAndAnnounces) {
  MemoryRouter r({3, 10});
  auto a = join_ok(r, "room", "alice");
  auto b_link = std::make_shared<FakeLink>();
  auto res = r.join("room", "bob", b_link);
  ASSERT_FALSE(res.error);
  ASSERT_EQ(res.peers.size(), 1u);
  EXPECT_EQ(res.peers[0], (PeerInfo{a.id, "alice"}));
  EXPECT_TRUE(a.link->frames().empty()) << "not announced before announce_joined";
  r.announce_joined("room", res.peer_id);
  auto got = a.link->take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], (ServerMessage{msg::PeerJoined{res.peer_id, "bob"}}));
  EXPECT_TRUE(b_link->frames().empty()) << "the newcomer is not told about itself";
}

TEST(MemoryRouter, RoomCapacity) {
  MemoryRouter r({2, 10});
  join_ok(r, "room");
  join_ok(r, "room");
  auto link = std::make_shared<FakeLink>();
  auto res = r.join("room", "", link);
  ASSERT_TRUE(res.error);
  EXPECT_EQ(res.error->code, ErrorCode::room_full);
  EXPECT_EQ(r.peer_count(), 2u);
  EXPECT_FALSE(r.join("other", "", link).error) << "other rooms are unaffected";
}

TEST(MemoryRouter, MaxRooms) {
  MemoryRouter r({2, 2});
  join_ok(r, "a");
  auto b = join_ok(r, "b");
  auto link = std::make_shared<FakeLink>();
  auto res = r.join("c", "", link);
  ASSERT_TRUE(res.error);
  EXPECT_EQ(res.error->code, ErrorCode::server_full);
  EXPECT_FALSE(r.join("a", "", link).error) << "existing rooms still accept peers";
  r.leave("b", b.id, LeaveReason::bye);
  EXPECT_EQ(r.room_count(), 1u);
  EXPECT_FALSE(r.join("c", "", std::make_shared<FakeLink>()).error) << "an emptied room frees its slot";
}

TEST(MemoryRouter, RelayOnlyWithinTheRoom) {
  MemoryRouter r({2, 10});
  auto a = join_ok(r, "one");
  auto b = join_ok(r, "one");
  auto c = join_ok(r, "two");
  a.link->take();
  auto frame = std::make_shared<const std::string>("hello");
  EXPECT_TRUE(r.relay("one", a.id, b.id, frame));
  EXPECT_EQ(b.link->frames(), std::vector<std::string>{"hello"});
  EXPECT_FALSE(r.relay("one", a.id, c.id, frame)) << "c is in another room";
  EXPECT_FALSE(r.relay("two", a.id, c.id, frame)) << "the room is the sender's, not the target's";
  EXPECT_FALSE(r.relay("one", a.id, a.id, frame)) << "not to oneself";
  EXPECT_FALSE(r.relay("one", a.id, std::string(32, 'f'), frame));
  EXPECT_TRUE(c.link->frames().empty());
  EXPECT_TRUE(a.link->frames().empty());
}

TEST(MemoryRouter, LeaveTellsTheOthersWithReason) {
  MemoryRouter r({3, 10});
  auto a = join_ok(r, "room");
  auto b = join_ok(r, "room");
  auto c = join_ok(r, "room");
  a.link->take();
  b.link->take();
  r.leave("room", c.id, LeaveReason::dropped);
  EXPECT_EQ(a.link->take(), (std::vector<ServerMessage>{msg::PeerLeft{c.id, LeaveReason::dropped}}));
  EXPECT_EQ(b.link->take(), (std::vector<ServerMessage>{msg::PeerLeft{c.id, LeaveReason::dropped}}));
  EXPECT_TRUE(c.link->frames().empty());
  r.leave("room", c.id, LeaveReason::bye);  // idempotent
  EXPECT_TRUE(a.link->frames().empty());
  EXPECT_EQ(r.peer_count(), 2u);
  r.leave("room", a.id, LeaveReason::bye);
  r.leave("room", b.id, LeaveReason::bye);
  EXPECT_EQ(r.room_count(), 0u);
  EXPECT_EQ(r.peer_count(), 0u);
}

TEST(MemoryRouter, ExpiredLinksAreSkipped) {
  MemoryRouter r({2, 10});
  auto a = join_ok(r, "room");
  auto b = join_ok(r, "room");
  b.link.reset();
  EXPECT_TRUE(r.relay("room", a.id, b.id, std::make_shared<const std::string>("x")));
  r.leave("room", a.id, LeaveReason::bye);  // no crash sending to a dead link
  EXPECT_EQ(r.peer_count(), 1u);
}

}  // namespace
}  // namespace sb::signaling
