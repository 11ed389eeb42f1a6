// libFuzzer target for what a cluster node parses from Redis: messages from the bus (another node, or anyone who
// can PUBLISH on the node's channel) and member records from the room hashes. Arbitrary bytes must never crash a
// node, and whatever parses must encode back to something that parses to the same fields.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "cluster/bus.hpp"

namespace {

using namespace sb::cluster;

// The messages of resume across nodes (Find, NotHere, Refusal, Transfer, Kept, Moved) and of re-attach across
// nodes (Claim, Handed).
template <class T, class Encode, class Same>
void round_trip(const BusMessage& m, Encode encode, Same same) {
  const auto* x = std::get_if<T>(&m);
  if (x == nullptr) return;
  const std::string wire = encode(*x);
  const auto again = parse_bus_message(wire);
  const auto* y = again ? std::get_if<T>(&*again) : nullptr;
  if (y == nullptr || !same(*x, *y)) __builtin_trap();
}

void check_node_messages(const BusMessage& m) {
  round_trip<bus::Find>(
      m, [](const bus::Find& f) { return encode_find(f.origin, f.session, f.seq, f.hash); },
      [](const bus::Find& a, const bus::Find& b) {
        return a.origin == b.origin && a.session == b.session && a.seq == b.seq && a.hash == b.hash;
      });
  round_trip<bus::NotHere>(
      m, [](const bus::NotHere& n) { return encode_not_here(n.session); },
      [](const bus::NotHere& a, const bus::NotHere& b) { return a.session == b.session; });
  round_trip<bus::Refusal>(
      m, [](const bus::Refusal& r) { return encode_refusal(r.session, r.failed); },
      [](const bus::Refusal& a, const bus::Refusal& b) {
        return a.session == b.session && a.failed.code == b.failed.code && a.failed.reason == b.failed.reason &&
               a.failed.message == b.failed.message;
      });
  // A transfer has many fields: encoding what was parsed must give the same bytes again.
  round_trip<bus::Transfer>(
      m, [](const bus::Transfer& t) { return encode_transfer(t); },
      [](const bus::Transfer& a, const bus::Transfer& b) { return encode_transfer(a) == encode_transfer(b); });
  round_trip<bus::Kept>(
      m, [](const bus::Kept& k) { return encode_kept(k.session, k.frame); },
      [](const bus::Kept& a, const bus::Kept& b) { return a.session == b.session && a.frame == b.frame; });
  round_trip<bus::Moved>(
      m, [](const bus::Moved& v) { return encode_moved(v.room, v.id, v.node); },
      [](const bus::Moved& a, const bus::Moved& b) { return a.room == b.room && a.id == b.id && a.node == b.node; });
  // Re-attach across nodes (Claim, Handed).
  round_trip<bus::Claim>(
      m, [](const bus::Claim& c) { return encode_claim(c.origin, c.room, c.id, c.digest); },
      [](const bus::Claim& a, const bus::Claim& b) {
        return a.origin == b.origin && a.room == b.room && a.id == b.id && a.digest == b.digest;
      });
  round_trip<bus::Handed>(
      m, [](const bus::Handed& h) { return encode_handed(h.room, h.id, h.moved, h.seq); },
      [](const bus::Handed& a, const bus::Handed& b) {
        return a.room == b.room && a.id == b.id && a.moved == b.moved && a.seq == b.seq;
      });
}

// Each encoded message is kept in `wire` while the fields parsed from it, views into it, are compared.
void check_bus(std::string_view input) {
  const auto m = parse_bus_message(input);
  if (!m) return;
  if (const auto* r = std::get_if<bus::Relay>(&*m)) {
    const std::string wire = encode_relay(r->origin, r->room, r->from, r->to, r->type, r->frame);
    const auto again = parse_bus_message(wire);
    const auto* r2 = again ? std::get_if<bus::Relay>(&*again) : nullptr;
    if (r2 == nullptr || r2->origin != r->origin || r2->room != r->room || r2->from != r->from || r2->to != r->to ||
        r2->type != r->type || r2->frame != r->frame) {
      __builtin_trap();
    }
  } else if (const auto* j = std::get_if<bus::Joined>(&*m)) {
    const std::string wire = encode_joined(j->room, j->node, j->seq, j->peer);
    const auto again = parse_bus_message(wire);
    const auto* j2 = again ? std::get_if<bus::Joined>(&*again) : nullptr;
    if (j2 == nullptr || j2->room != j->room || j2->node != j->node || j2->seq != j->seq || !(j2->peer == j->peer)) {
      __builtin_trap();
    }
  } else if (const auto* l = std::get_if<bus::Left>(&*m)) {
    const std::string wire = encode_left(l->room, l->id, l->reason);
    const auto again = parse_bus_message(wire);
    const auto* l2 = again ? std::get_if<bus::Left>(&*again) : nullptr;
    if (l2 == nullptr || l2->room != l->room || l2->id != l->id || l2->reason != l->reason) __builtin_trap();
  } else if (const auto* q = std::get_if<bus::WatchQuery>(&*m)) {
    const std::string wire = encode_watch_query(q->origin, q->room, q->target);
    const auto again = parse_bus_message(wire);
    const auto* q2 = again ? std::get_if<bus::WatchQuery>(&*again) : nullptr;
    if (q2 == nullptr || q2->origin != q->origin || q2->room != q->room || q2->target != q->target) __builtin_trap();
  } else if (const auto* a = std::get_if<bus::Arrived>(&*m)) {
    const std::string wire = encode_arrived(a->room, a->peer);
    const auto again = parse_bus_message(wire);
    const auto* a2 = again ? std::get_if<bus::Arrived>(&*again) : nullptr;
    if (a2 == nullptr || a2->room != a->room || !(a2->peer == a->peer)) __builtin_trap();
  } else if (const auto* st = std::get_if<bus::Status>(&*m)) {
    const std::string wire = encode_status(st->room, st->id, st->status);
    const auto again = parse_bus_message(wire);
    const auto* st2 = again ? std::get_if<bus::Status>(&*again) : nullptr;
    if (st2 == nullptr || st2->room != st->room || st2->id != st->id || st2->status != st->status) __builtin_trap();
  } else {
    check_node_messages(*m);
  }
}

void check_record(std::string_view input) {
  const auto rec = parse_member_record("member-id", input);
  if (!rec) return;
  const std::string wire = encode_record(*rec);
  const auto again = parse_member_record("member-id", wire);
  if (!again || again->node != rec->node || again->seq != rec->seq || again->presence != rec->presence ||
      !(again->peer == rec->peer) || again->attach != rec->attach) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    check_record(input);
  } else {
    check_bus(input);
  }
  return 0;
}
