// The typed router's contract (router_contract.hpp). Members alternate between the cluster's nodes, so with
// two RedisRouter nodes every rule below is also checked across nodes.
#include "router_contract.hpp"

#include <atomic>
#include <deque>
#include <thread>
#include <vector>

#include "fake_link.hpp"

namespace sb::signaling::testing {
namespace {

constexpr std::chrono::seconds kWait{5};

struct Peer {
  std::shared_ptr<FakeMember> member = std::make_shared<FakeMember>();
  std::deque<Event> pending;
  Router* router = nullptr;
  std::string room;
  std::string id;
  std::vector<PeerInfo> roster;
};

std::string type_of(const Event& ev) {
  static constexpr const char* kNames[] = {"Admitted", "Refused",       "PeerJoined", "PeerLeft",
                                           "Relay",    "Undeliverable", "Drain",      "StatusChanged"};
  return kNames[ev.index()];
}

class Harness {
 public:
  explicit Harness(const RouterFactory& f, RouterLimits limits = {2, 100}) : cluster_(f.make(limits)) {}

  RouterCluster& cluster() { return *cluster_; }
  Router& node(std::size_t i) { return cluster_->node(i); }

  // The next event for `p`, waiting up to kWait; nullopt when none came.
  std::optional<Event> next(Peer& p) {
    if (p.pending.empty()) {
      for (auto& ev : p.member->take_at_least(1, kWait)) p.pending.push_back(std::move(ev));
    }
    if (p.pending.empty()) return std::nullopt;
    Event ev = std::move(p.pending.front());
    p.pending.pop_front();
    return ev;
  }
  template <class T>
  T expect(Peer& p) {
    auto ev = next(p);
    if (!ev) {
      ADD_FAILURE() << "no event for " << p.id << ", expected " << typeid(T).name();
      return T{};
    }
    if (!std::holds_alternative<T>(*ev)) {
      ADD_FAILURE() << "got " << type_of(*ev) << " for " << p.id;
      return T{};
    }
    return std::get<T>(std::move(*ev));
  }
  // Nothing more arrives for `p` within the cluster's quiet period.
  void expect_nothing(Peer& p) {
    if (p.pending.empty()) {
      for (auto& ev : p.member->take_at_least(1, cluster_->quiet())) p.pending.push_back(std::move(ev));
    }
    EXPECT_TRUE(p.pending.empty()) << p.id << " got "
                                   << (p.pending.empty() ? "" : type_of(p.pending.front()));
    p.pending.clear();
  }

  // Joins on node `n` without announcing; the answer is left for the caller.
  Peer start_join(const std::string& room, std::size_t n, PeerInfo self = {}, std::uint32_t max_peers = 0,
                  bool presence = true) {
    Peer p;
    p.router = &node(n);
    p.room = room;
    p.id = p.router->join(JoinRequest{room, std::move(self), max_peers, presence}, p.member);
    return p;
  }
  Peer join_quietly(const std::string& room, std::size_t n, PeerInfo self = {}, std::uint32_t max_peers = 0,
                    bool presence = true) {
    Peer p = start_join(room, n, std::move(self), max_peers, presence);
    auto admitted = expect<event::Admitted>(p);
    EXPECT_EQ(admitted.id, p.id);
    EXPECT_EQ(admitted.room, room);
    p.roster = std::move(admitted.peers);
    return p;
  }
  Peer join(const std::string& room, std::size_t n, PeerInfo self = {}, std::uint32_t max_peers = 0,
            bool presence = true) {
    Peer p = join_quietly(room, n, std::move(self), max_peers, presence);
    p.router->announce_joined(room, p.id);
    return p;
  }
  void relay(Peer& from, const std::string& to, const std::string& text,
             RelayedType type = RelayedType::offer) {
    from.router->relay(from.room, from.id, to, event::Relay{type, std::make_shared<const std::string>(text)});
  }
  std::size_t peers() {
    std::size_t n = 0;
    for (std::size_t i = 0; i < cluster_->nodes(); ++i) n += node(i).peer_count();
    return n;
  }

 private:
  std::unique_ptr<RouterCluster> cluster_;
};

PeerInfo info(std::string name, std::string identity = "", std::string meta = "") {
  return PeerInfo{"", std::move(name), std::move(identity), std::move(meta)};
}

TEST_P(RouterContract, AdmitsWithFreshIdsAndARosterInJoinOrder) {
  Harness h(GetParam(), {3, 100});
  auto a = h.join("room", 0, info("alice", "user-a", R"({"role":"host"})"));
  auto b = h.join("room", 1, info("bob"));
  auto c = h.join("room", 2, info("carol"));
  for (const auto* p : {&a, &b, &c}) EXPECT_TRUE(is_valid_peer_id(p->id)) << p->id;
  EXPECT_NE(a.id, b.id);
  EXPECT_TRUE(a.roster.empty());
  EXPECT_EQ(b.roster, (std::vector<PeerInfo>{{a.id, "alice", "user-a", R"({"role":"host"})"}}));
  EXPECT_EQ(c.roster,
            (std::vector<PeerInfo>{{a.id, "alice", "user-a", R"({"role":"host"})"}, {b.id, "bob", "", ""}}));
  EXPECT_EQ(h.peers(), 3u);
}

TEST_P(RouterContract, AnnounceReachesOnlyThoseWhoCameBefore) {
  Harness h(GetParam(), {4, 100});
  auto a = h.join("room", 0, info("alice"));
  auto b = h.join_quietly("room", 1, info("bob", "user-b", "[1,2]"));
  h.expect_nothing(a);  // not before announce_joined
  auto c = h.join_quietly("room", 0, info("carol"));
  EXPECT_EQ(c.roster.size(), 2u) << "b is a member before it is announced";
  b.router->announce_joined("room", b.id);
  EXPECT_EQ(h.expect<event::PeerJoined>(a).peer, (PeerInfo{b.id, "bob", "user-b", "[1,2]"}));
  c.router->announce_joined("room", c.id);
  EXPECT_EQ(h.expect<event::PeerJoined>(a).peer.id, c.id);
  EXPECT_EQ(h.expect<event::PeerJoined>(b).peer.id, c.id);
  h.expect_nothing(c);  // c had b in its roster; nobody is told about themselves
  h.expect_nothing(b);
}

// Joins to one room on two nodes at once: whatever the order of the answers and the announcements, each member
// learns of the other exactly once (in its roster or by PeerJoined), and only after its own Admitted.
TEST_P(RouterContract, SimultaneousJoinsLearnOfEachOtherOnce) {
  Harness h(GetParam());
  constexpr int kRooms = 20;
  std::vector<Peer> a, b;
  for (int i = 0; i < kRooms; ++i) {
    a.push_back(h.start_join("both-" + std::to_string(i), 0));
    b.push_back(h.start_join("both-" + std::to_string(i), 1));
  }
  auto admit = [&](Peer& p) {
    auto admitted = h.expect<event::Admitted>(p);
    p.roster = admitted.peers;
    p.router->announce_joined(p.room, p.id);
  };
  for (int i = 0; i < kRooms; ++i) {
    admit(a[i]);
    admit(b[i]);
  }
  auto knows = [&](Peer& p, const Peer& other) {
    int times = 0;
    for (const auto& r : p.roster) times += r.id == other.id;
    auto more = p.member->take_at_least(times == 0 ? 1 : 0, h.cluster().quiet() + std::chrono::milliseconds(500));
    for (auto& ev : p.pending) more.insert(more.begin(), std::move(ev));
    p.pending.clear();
    for (const auto& ev : more) {
      if (auto* j = std::get_if<event::PeerJoined>(&ev)) times += j->peer.id == other.id;
    }
    return times;
  };
  for (int i = 0; i < kRooms; ++i) {
    EXPECT_EQ(knows(a[i], b[i]), 1) << "room " << i;
    EXPECT_EQ(knows(b[i], a[i]), 1) << "room " << i;
  }
}

TEST_P(RouterContract, LeaveBeforeAnnounceTellsOnlyThoseWhoKnew) {
  Harness h(GetParam(), {4, 100});
  auto a = h.join("room", 0);
  auto b = h.join_quietly("room", 1);
  auto c = h.join_quietly("room", 0);
  b.router->leave("room", b.id, LeaveReason::disconnect);
  EXPECT_EQ(h.expect<event::PeerLeft>(c).id, b.id) << "b was in c's roster";
  h.expect_nothing(a);  // a never heard of b
}

TEST_P(RouterContract, RoomCapacity) {
  Harness h(GetParam(), {2, 100});
  auto a = h.join("room", 0);
  auto b = h.join("room", 1);
  auto c = h.start_join("room", 0);
  auto refused = h.expect<event::Refused>(c);
  EXPECT_EQ(refused.code, ErrorCode::room_full);
  EXPECT_EQ(refused.id, c.id);
  EXPECT_NE(refused.message.find("full"), std::string::npos);
  h.join("other", 1);                 // other rooms are unaffected
  auto d = h.join("room", 1, {}, 3);  // a join may name a larger capacity
  EXPECT_EQ(d.roster.size(), 2u);
  EXPECT_EQ(h.peers(), 4u);
}

TEST_P(RouterContract, CapacityRaceAdmitsExactlyTheCapacity) {
  Harness h(GetParam(), {4, 100});
  constexpr int kJoins = 10;
  std::vector<Peer> peers(kJoins);
  std::vector<std::thread> threads;
  for (int i = 0; i < kJoins; ++i) {
    threads.emplace_back([&, i] { peers[i] = h.start_join("race", static_cast<std::size_t>(i)); });
  }
  for (auto& t : threads) t.join();
  int admitted = 0, full = 0;
  for (auto& p : peers) {
    auto ev = h.next(p);
    ASSERT_TRUE(ev.has_value());
    if (std::holds_alternative<event::Admitted>(*ev)) ++admitted;
    if (auto* r = std::get_if<event::Refused>(&*ev); r && r->code == ErrorCode::room_full) ++full;
  }
  EXPECT_EQ(admitted, 4);
  EXPECT_EQ(full, kJoins - 4);
  EXPECT_EQ(h.peers(), 4u);
}

TEST_P(RouterContract, ClientChosenIdsAreUniqueInTheirRoom) {
  Harness h(GetParam(), {10, 100});
  auto a = h.join("peerjs/key", 0, PeerInfo{"alice-1", "", "", ""}, 0, false);
  EXPECT_EQ(a.id, "alice-1");
  auto again = h.start_join("peerjs/key", 1, PeerInfo{"alice-1", "", "", ""}, 0, false);
  EXPECT_EQ(h.expect<event::Refused>(again).code, ErrorCode::id_taken);
  h.join("peerjs/other", 1, PeerInfo{"alice-1", "", "", ""}, 0, false);
  a.router->leave(a.room, a.id, LeaveReason::bye);
  h.join("peerjs/key", 0, PeerInfo{"alice-1", "", "", ""}, 0, false);  // free again once left (on that node)
}

TEST_P(RouterContract, RelayOnlyWithinTheRoom) {
  Harness h(GetParam());
  auto a = h.join("one", 0);
  auto b = h.join("one", 1);
  auto c = h.join("two", 0);
  h.expect<event::PeerJoined>(a);
  h.relay(a, b.id, "hello", RelayedType::answer);
  auto got = h.expect<event::Relay>(b);
  ASSERT_TRUE(got.frame);
  EXPECT_EQ(*got.frame, "hello");
  EXPECT_EQ(got.type, RelayedType::answer);

  h.relay(a, c.id, "to another room");
  auto u = h.expect<event::Undeliverable>(a);
  EXPECT_EQ(u.to, c.id);
  EXPECT_EQ(u.code, ErrorCode::unknown_peer);
  EXPECT_EQ(u.type, RelayedType::offer);
  ASSERT_TRUE(u.frame);
  EXPECT_EQ(*u.frame, "to another room");
  h.relay(a, a.id, "to oneself");
  EXPECT_EQ(h.expect<event::Undeliverable>(a).code, ErrorCode::unknown_peer);
  h.relay(a, std::string(32, 'f'), "to nobody");
  EXPECT_EQ(h.expect<event::Undeliverable>(a).code, ErrorCode::unknown_peer);
  // The room is the sender's, never the target's: a cannot reach c by naming c's room.
  a.router->relay("two", a.id, c.id,
                  event::Relay{RelayedType::offer, std::make_shared<const std::string>("x")});
  h.expect_nothing(c);
  h.expect_nothing(b);
}

TEST_P(RouterContract, RelaysArriveInOrder) {
  Harness h(GetParam());
  auto a = h.join("room", 0);
  auto b = h.join("room", 1);
  h.expect<event::PeerJoined>(a);
  constexpr int kCount = 1000;
  for (int i = 0; i < kCount; ++i) h.relay(a, b.id, std::to_string(i), RelayedType::candidate);
  for (int i = 0; i < kCount; ++i) {
    auto r = h.expect<event::Relay>(b);
    ASSERT_TRUE(r.frame);
    ASSERT_EQ(*r.frame, std::to_string(i));
  }
}

TEST_P(RouterContract, LeaveTellsTheOthersWithItsReason) {
  Harness h(GetParam(), {3, 100});
  auto a = h.join("room", 0);
  auto b = h.join("room", 1);
  auto c = h.join("room", 2);
  h.expect<event::PeerJoined>(a);
  h.expect<event::PeerJoined>(a);
  h.expect<event::PeerJoined>(b);
  c.router->leave("room", c.id, LeaveReason::dropped);
  for (auto* p : {&a, &b}) {
    auto left = h.expect<event::PeerLeft>(*p);
    EXPECT_EQ(left.id, c.id);
    EXPECT_EQ(left.reason, LeaveReason::dropped);
  }
  c.router->leave("room", c.id, LeaveReason::bye);  // idempotent
  h.expect_nothing(a);
  h.expect_nothing(c);
  EXPECT_EQ(h.peers(), 2u);
  h.relay(a, c.id, "gone");
  EXPECT_EQ(h.expect<event::Undeliverable>(a).code, ErrorCode::unknown_peer);
  a.router->leave("room", a.id, LeaveReason::bye);
  b.router->leave("room", b.id, LeaveReason::bye);
  EXPECT_EQ(h.peers(), 0u);
  std::size_t rooms = 0;
  for (std::size_t i = 0; i < h.cluster().nodes(); ++i) rooms += h.node(i).room_count();
  EXPECT_EQ(rooms, 0u);
}

// Session resume: a member whose connection dropped stays; the others that know of it hear its status, the
// member itself and those who do not know of it yet hear nothing.
TEST_P(RouterContract, StatusReachesThoseWhoKnowOfTheMember) {
  Harness h(GetParam(), {4, 100});
  auto a = h.join("room", 0);
  auto b = h.join("room", 1);
  h.expect<event::PeerJoined>(a);
  auto late = h.join_quietly("room", 0);  // not announced yet: only those after it would know of it
  b.router->set_status("room", b.id, PeerStatus::reconnecting);
  for (auto* p : {&a, &late}) {
    auto s = h.expect<event::StatusChanged>(*p);
    EXPECT_EQ(s.id, b.id);
    EXPECT_EQ(s.status, PeerStatus::reconnecting);
  }
  h.expect_nothing(b);
  late.router->set_status("room", late.id, PeerStatus::reconnecting);
  h.expect_nothing(a);
  h.expect_nothing(b);
  b.router->set_status("room", b.id, PeerStatus::resumed);
  EXPECT_EQ(h.expect<event::StatusChanged>(a).status, PeerStatus::resumed);
  EXPECT_EQ(h.expect<event::StatusChanged>(late).status, PeerStatus::resumed);
  a.router->set_status("elsewhere", a.id, PeerStatus::reconnecting);  // not a member there: ignored
  h.expect_nothing(b);
  EXPECT_EQ(h.peers(), 3u) << "a status changes no membership";
}

TEST_P(RouterContract, LeaveBeforeTheAnswerCancelsTheJoin) {
  Harness h(GetParam());
  auto x = h.start_join("solo", 0, {}, 1);
  x.router->leave("solo", x.id, LeaveReason::disconnect);
  auto y = h.join("solo", 0, {}, 1);  // the room of one is free again
  EXPECT_TRUE(y.roster.empty());
}

TEST_P(RouterContract, MembersWithoutPresenceAreAddressedButNotAnnounced) {
  Harness h(GetParam(), {10, 100});
  auto a = h.join("mixed", 0);
  auto quiet = h.join("mixed", 1, {}, 0, false);
  EXPECT_TRUE(quiet.roster.empty());
  h.expect_nothing(a);
  auto b = h.join("mixed", 0);
  EXPECT_EQ(b.roster.size(), 1u) << "only a is listed";
  h.relay(a, quiet.id, "direct");
  EXPECT_EQ(*h.expect<event::Relay>(quiet).frame, "direct");
  quiet.router->leave("mixed", quiet.id, LeaveReason::bye);
  h.expect<event::PeerJoined>(a);  // b
  h.expect_nothing(a);
  h.expect_nothing(quiet);
}

TEST_P(RouterContract, DrainTellsItsMembersAndRefusesJoins) {
  Harness h(GetParam(), {4, 100});
  auto a = h.join("room", 0);
  auto b = h.join("room", 1);
  h.expect<event::PeerJoined>(a);
  h.node(0).drain();
  h.expect<event::Drain>(a);
  if (h.cluster().nodes() > 1) h.expect_nothing(b);  // another node is not going away
  auto late = h.start_join("room", 0);
  EXPECT_EQ(h.expect<event::Refused>(late).code, ErrorCode::unavailable);
}

TEST_P(RouterContract, AWatcherLearnsOnceWhenItsTargetIsAnnounced) {
  Harness h(GetParam(), {10, 100});
  auto a = h.join("peerjs/k", 0, PeerInfo{"alice", "", "", ""}, 0, false);
  a.router->watch(a.room, a.id, "bob");
  auto b = h.join_quietly("peerjs/k", 1, PeerInfo{"bob", "", "", ""}, 0, false);
  h.expect_nothing(a);  // not before announce_joined: bob must have his own id first
  b.router->announce_joined(b.room, b.id);
  EXPECT_EQ(h.expect<event::PeerJoined>(a).peer.id, "bob");
  h.expect_nothing(b);  // without presence nobody else hears of bob
  // One-shot: bob leaving and coming back tells a nothing more.
  b.router->leave(b.room, b.id, LeaveReason::bye);
  h.join("peerjs/k", 1, PeerInfo{"bob", "", "", ""}, 0, false);
  h.expect_nothing(a);
}

TEST_P(RouterContract, WatchingAnAnnouncedMemberAnswersAtOnce) {
  Harness h(GetParam(), {10, 100});
  auto a = h.join("peerjs/k", 0, PeerInfo{"alice", "", "", ""}, 0, false);
  auto b = h.join("peerjs/k", 1, PeerInfo{"bob", "", "", ""}, 0, false);
  a.router->watch(a.room, a.id, "bob");
  EXPECT_EQ(h.expect<event::PeerJoined>(a).peer.id, "bob");
  a.router->watch(a.room, a.id, "alice");  // oneself: nothing
  h.expect_nothing(a);
}

TEST_P(RouterContract, UnwatchLeaveAndOtherRoomsEndOrMissAWatch) {
  Harness h(GetParam(), {10, 100});
  auto a = h.join("peerjs/k", 0, PeerInfo{"alice", "", "", ""}, 0, false);
  auto c = h.join("peerjs/k", 1, PeerInfo{"carol", "", "", ""}, 0, false);
  a.router->watch(a.room, a.id, "bob");
  a.router->unwatch(a.room, a.id, "bob");
  c.router->watch(c.room, c.id, "bob");
  c.router->leave(c.room, c.id, LeaveReason::disconnect);
  h.join("peerjs/other", 1, PeerInfo{"bob", "", "", ""}, 0, false);  // another room's bob
  h.join("peerjs/k", 0, PeerInfo{"bob", "", "", ""}, 0, false);
  h.expect_nothing(a);
  h.expect_nothing(c);
  // A non-member cannot watch.
  a.router->watch("peerjs/k", "mallory", "dave");
  h.join("peerjs/k", 1, PeerInfo{"dave", "", "", ""}, 0, false);
  h.expect_nothing(a);
}

}  // namespace
}  // namespace sb::signaling::testing
