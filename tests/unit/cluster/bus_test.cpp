// The bus codec: what a node publishes for another node parses back to the same thing, and what does not parse is
// refused (the cluster fuzz target covers arbitrary bytes).
#include "cluster/bus.hpp"

#include <gtest/gtest.h>

namespace sb::cluster {
namespace {

using signaling::ErrorCode;
using signaling::LeaveReason;
using signaling::PeerInfo;
using signaling::RelayedType;

TEST(Bus, RelayRoundTripsWithTheFrameUntouched) {
  const std::string frame = "{\"type\":\"offer\",\"from\":\"abc\",\"sdp\":\"v=0\\r\\nline\\n\"}";
  const auto wire = encode_relay("node-1", "room", "from-id", "to-id", RelayedType::candidate, frame);
  auto m = parse_bus_message(wire);
  ASSERT_TRUE(m.has_value());
  const auto& r = std::get<bus::Relay>(*m);
  EXPECT_EQ(r.origin, "node-1");
  EXPECT_EQ(r.room, "room");
  EXPECT_EQ(r.from, "from-id");
  EXPECT_EQ(r.to, "to-id");
  EXPECT_EQ(r.type, RelayedType::candidate);
  EXPECT_EQ(r.frame, frame);
}

TEST(Bus, JoinedLeftAndUndeliverableRoundTrip) {
  const PeerInfo p{"id-1", "Ann \"A\"\n", "user@example", R"({"k":[1,2]})"};
  auto j = parse_bus_message(encode_joined("peerjs/key", "n2", 1700000000123456ull, p));
  ASSERT_TRUE(j.has_value());
  const auto& joined = std::get<bus::Joined>(*j);
  EXPECT_EQ(joined.room, "peerjs/key");
  EXPECT_EQ(joined.node, "n2");
  EXPECT_EQ(joined.seq, 1700000000123456ull);
  EXPECT_EQ(joined.peer, p);

  auto l = parse_bus_message(encode_left("r", "id-1", LeaveReason::node_lost));
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(std::get<bus::Left>(*l).reason, LeaveReason::node_lost);
  // The sweep script writes this one itself (scripts.hpp).
  auto swept = parse_bus_message("L\nr\nid-1\nnode-lost");
  ASSERT_TRUE(swept.has_value());
  EXPECT_EQ(std::get<bus::Left>(*swept).id, "id-1");

  auto u = parse_bus_message(encode_undeliverable("r", "a", "b", RelayedType::answer, ErrorCode::unknown_peer));
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(std::get<bus::Undeliverable>(*u).code, ErrorCode::unknown_peer);
  EXPECT_EQ(std::get<bus::Undeliverable>(*u).type, RelayedType::answer);
}

TEST(Bus, WatchQueryAndArrivedRoundTrip) {
  const auto wire = encode_watch_query("n1", "peerjs/key", "bob");  // the query's fields are views into it
  auto q = parse_bus_message(wire);
  ASSERT_TRUE(q.has_value());
  const auto& query = std::get<bus::WatchQuery>(*q);
  EXPECT_EQ(query.origin, "n1");
  EXPECT_EQ(query.room, "peerjs/key");
  EXPECT_EQ(query.target, "bob");

  const PeerInfo p{"bob", "Bob", "", R"({"x":1})"};
  auto a = parse_bus_message(encode_arrived("peerjs/key", p));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(std::get<bus::Arrived>(*a).room, "peerjs/key");
  EXPECT_EQ(std::get<bus::Arrived>(*a).peer, p);
}

TEST(Bus, StatusRoundTrips) {
  for (auto status : {signaling::PeerStatus::reconnecting, signaling::PeerStatus::resumed}) {
    const std::string wire = encode_status("peerjs/key", "id-1", status);  // the views point into it
    auto m = parse_bus_message(wire);
    ASSERT_TRUE(m.has_value());
    const auto& s = std::get<bus::Status>(*m);
    EXPECT_EQ(s.room, "peerjs/key");
    EXPECT_EQ(s.id, "id-1");
    EXPECT_EQ(s.status, status);
  }
}

TEST(Bus, MalformedMessagesAreRefused) {
  for (const char* bad : {"", "R", "R\n", "X\na\nb", "R\nn\nr\nf\nt\n9\nframe", "R\nn\n\nf\nt\n0\nframe",
                          "J\nr\nn\nnot-a-number\nid\n{}", "J\nr\nn\n1\nid\n[1]", "J\nr\nn\n1\nid\n{\"name\":3}",
                          "L\nr\nid\neaten", "U\nr\na\nb\n0\nno-such-code", "Q\nn\nr", "Q\nn\nr\nt\ntrailing",
                          "A\nr\nid\n[]", "A\nr\n\n{}", "S\nr\nid\nasleep", "S\nr\nreconnecting"}) {
    EXPECT_FALSE(parse_bus_message(bad).has_value()) << bad;
  }
  EXPECT_FALSE(parse_bus_message(std::string("R\nn\nr\nf\nt\n0\n") + std::string(kMaxBodyBytes + 1, 'x')));
}

TEST(MemberRecord, RoundTripsAndRefusesGarbage) {
  const MemberRecord r{"node-7", 42, false, PeerInfo{"id", "name", "ident", "{}"}};
  auto back = parse_member_record("id", encode_record(r));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->node, "node-7");
  EXPECT_EQ(back->seq, 42u);
  EXPECT_FALSE(back->presence);
  EXPECT_EQ(back->peer, r.peer);
  EXPECT_FALSE(parse_member_record("id", "node\n42\n2\n{}"));
  EXPECT_FALSE(parse_member_record("id", "node\n-1\n1\n{}"));
  EXPECT_FALSE(parse_member_record("", encode_record(r)));
  EXPECT_FALSE(parse_member_record("id", "node"));
}

TEST(Bus, FieldsCannotCarryNewlines) {
  EXPECT_TRUE(valid_field("peerjs/some key"));
  EXPECT_FALSE(valid_field(""));
  EXPECT_FALSE(valid_field("a\nb"));
  EXPECT_FALSE(valid_field(std::string(kMaxFieldBytes + 1, 'a')));
}

}  // namespace
}  // namespace sb::cluster
