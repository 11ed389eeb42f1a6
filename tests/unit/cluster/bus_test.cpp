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

TEST(Bus, ResumeAcrossNodesRoundTrips) {
  signaling::SecretHash hash{};
  for (std::size_t i = 0; i < hash.size(); ++i) hash[i] = static_cast<std::uint8_t>(i * 9);
  const std::string find = encode_find("node-2", "sess", 17, hash);
  auto f = std::get<bus::Find>(*parse_bus_message(find));
  EXPECT_EQ(f.origin, "node-2");
  EXPECT_EQ(f.session, "sess");
  EXPECT_EQ(f.seq, 17u);
  EXPECT_EQ(f.hash, hash);
  const std::string not_here = encode_not_here("sess");
  EXPECT_EQ(std::get<bus::NotHere>(*parse_bus_message(not_here)).session, "sess");
  const signaling::ResumeFailed failed{ErrorCode::resume_refused, signaling::ResumeRefusal::secret, "no\nmatch"};
  auto x = std::get<bus::Refusal>(*parse_bus_message(encode_refusal("sess", failed)));
  EXPECT_EQ(x.session, "sess");
  EXPECT_EQ(x.failed.code, ErrorCode::resume_refused);
  EXPECT_EQ(x.failed.reason, signaling::ResumeRefusal::secret);
  EXPECT_EQ(x.failed.message, "no\nmatch");
  auto seq = std::get<bus::Refusal>(
      *parse_bus_message(encode_refusal("sess", {ErrorCode::invalid_message, std::nullopt, "seq"})));
  EXPECT_FALSE(seq.failed.reason.has_value());
  const std::string kept = encode_kept("sess", "{\"seq\":1}\n");
  EXPECT_EQ(std::get<bus::Kept>(*parse_bus_message(kept)).frame, "{\"seq\":1}\n");
  const std::string moved = encode_moved("room", "id", "node-2");
  auto v = std::get<bus::Moved>(*parse_bus_message(moved));
  EXPECT_EQ(v.room, "room");
  EXPECT_EQ(v.id, "id");
  EXPECT_EQ(v.node, "node-2");
  for (const char* bad : {"F\nn\ns\n1\nabc", "F\nn\ns\nx\n", "N\ns\ntrailing", "X\ns\nno-such-code\n-\nm",
                          "X\ns\nresume-refused\nasleep\nm", "K\ns\n", "V\nr\nid\n", "T\n{}", "T\n[]"}) {
    EXPECT_FALSE(parse_bus_message(bad).has_value()) << bad;
  }
}

TEST(Bus, TransferRoundTripsEverythingTheNewNodeNeeds) {
  bus::Transfer t;
  auto& s = t.session;
  s.session = "sess";
  s.room = "room";
  s.peer_id = "id-1";
  s.grant.identity = "user@example";
  s.grant.name = "Ann";
  s.grant.turn = false;
  s.grant.token_room = "ro";
  s.grant.token_room_prefix = true;
  s.grant.token_expires = 1'900'000'000;
  s.grant.ice_servers = std::vector<signaling::IceServer>{{{"turn:a:3478"}, "u", "p"}, {{"stun:b"}, {}, {}}};
  s.secret_hash[0] = 0xab;
  s.old_hashes = {signaling::SecretHash{}, s.secret_hash};
  s.next_seq = 8;
  s.received = 3;
  s.told_reconnecting = true;
  for (std::uint64_t q = 5; q < 8; ++q) s.frames.push_back({q, std::make_shared<const std::string>("frame " + std::to_string(q))});
  t.seq = 99;
  t.presence = true;
  t.peer = PeerInfo{"id-1", "Ann", "user@example", "{}"};
  t.roster = {{"node-1", 98, true, PeerInfo{"id-0", "Bob", "", ""}}};
  const std::string wire = encode_transfer(t);
  auto back = std::get<bus::Transfer>(*parse_bus_message(wire));
  EXPECT_EQ(back.session.session, "sess");
  EXPECT_EQ(back.session.room, "room");
  EXPECT_EQ(back.session.peer_id, "id-1");
  EXPECT_EQ(back.session.grant.identity, "user@example");
  EXPECT_FALSE(back.session.grant.turn);
  EXPECT_EQ(back.session.grant.token_room, "ro");
  EXPECT_TRUE(back.session.grant.token_room_prefix);
  EXPECT_EQ(back.session.grant.token_expires, 1'900'000'000);
  EXPECT_EQ(back.session.grant.ice_servers, s.grant.ice_servers);
  EXPECT_EQ(back.session.secret_hash, s.secret_hash);
  EXPECT_EQ(back.session.old_hashes, s.old_hashes);
  EXPECT_EQ(back.session.next_seq, 8u);
  EXPECT_EQ(back.session.received, 3u);
  EXPECT_TRUE(back.session.told_reconnecting);
  ASSERT_EQ(back.session.frames.size(), 3u);
  EXPECT_EQ(back.session.frames[0].seq, 5u);
  EXPECT_EQ(*back.session.frames[2].frame, "frame 7");
  EXPECT_EQ(back.seq, 99u);
  EXPECT_EQ(back.peer, t.peer);
  ASSERT_EQ(back.roster.size(), 1u);
  EXPECT_EQ(back.roster[0].node, "node-1");
  EXPECT_EQ(back.roster[0].peer, t.roster[0].peer);
  // Frames that are not contiguous up to next_seq are not a session a node can hold.
  t.session.frames.erase(t.session.frames.begin() + 1);
  EXPECT_FALSE(parse_bus_message(encode_transfer(t)).has_value());
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

TEST(Bus, ReattachAcrossNodesRoundTrips) {
  const std::string digest(64, 'a');
  const std::string claim_wire = encode_claim("node-2", "peerjs/peerjs", "alice", digest);  // parsed: views into it
  auto claim = parse_bus_message(claim_wire);
  ASSERT_TRUE(claim.has_value());
  const auto& c = std::get<bus::Claim>(*claim);
  EXPECT_EQ(c.origin, "node-2");
  EXPECT_EQ(c.room, "peerjs/peerjs");
  EXPECT_EQ(c.id, "alice");
  EXPECT_EQ(c.digest, digest);
  EXPECT_FALSE(parse_bus_message(encode_claim("node-2", "r", "alice", "not a digest")));
  EXPECT_FALSE(parse_bus_message(encode_claim("node-2", "r", "alice", std::string(64, 'A'))));

  const std::string moved_wire = encode_handed("peerjs/peerjs", "alice", true, 1234);
  auto moved = parse_bus_message(moved_wire);
  ASSERT_TRUE(moved.has_value());
  const auto& h = std::get<bus::Handed>(*moved);
  EXPECT_EQ(h.room, "peerjs/peerjs");
  EXPECT_EQ(h.id, "alice");
  EXPECT_TRUE(h.moved);
  EXPECT_EQ(h.seq, 1234u);
  auto refused = parse_bus_message(encode_handed("r", "alice", false, 0));
  ASSERT_TRUE(refused.has_value());
  EXPECT_FALSE(std::get<bus::Handed>(*refused).moved);
  EXPECT_FALSE(parse_bus_message("H\nr\nalice\n1\nmaybe"));
  EXPECT_FALSE(parse_bus_message("H\nr\nalice\nx\nmoved"));
}

TEST(MemberRecord, KeepsTheTokenDigestAndNeverATokenThatIsNotOne) {
  const std::string digest(64, 'f');
  const MemberRecord r{"node-7", 42, false, PeerInfo{"id", "", "", ""}, digest};
  const std::string wire = encode_record(r);
  // The scripts find it as written (scripts.hpp, attach_of).
  EXPECT_NE(wire.find("\"attach\":\"" + digest + "\""), std::string::npos) << wire;
  auto back = parse_member_record("id", wire);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->attach, digest);
  EXPECT_EQ(back->peer, r.peer);
  EXPECT_EQ(parse_member_record("id", encode_record(MemberRecord{"n", 1, true, PeerInfo{"id", "", "", ""}}))->attach,
            "");
  EXPECT_FALSE(parse_member_record("id", "node\n1\n0\n{\"attach\":\"the token\"}"));
}

TEST(Bus, FieldsCannotCarryNewlines) {
  EXPECT_TRUE(valid_field("peerjs/some key"));
  EXPECT_FALSE(valid_field(""));
  EXPECT_FALSE(valid_field("a\nb"));
  EXPECT_FALSE(valid_field(std::string(kMaxFieldBytes + 1, 'a')));
}

}  // namespace
}  // namespace sb::cluster
