// libFuzzer target for the TURN core as a state machine (issue 10): the input is a program of operations
// on one server with two shards, several client 5-tuples (UDP, TCP, IPv6) and a manual clock:
//
//   0 t len16 bytes   raw packet from client t (anything: STUN, ChannelData, garbage)
//   1 t m f  bytes    a request of method m from client t, built from attribute bits f and values taken from
//                     the input, then signed with valid credentials and the nonce the client last learnt
//                     (so the fuzzer gets past authentication into Allocate, CreatePermission, ChannelBind,
//                     Refresh and relaying)
//   2 r p len16 bytes datagram from peer p on the r-th open relay socket
//   3 s               the clock moves s seconds; both shards tick
//   4 t               client t's TCP/TLS connection closes
//
// Checked on every output: spans point into the caller's buffers, answers decode, kToLocalRelay outputs are
// handed to their shard as the network side would. At the end both shards go away and every quota and port
// must be released.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "stun/attr_address.hpp"
#include "stun/attr_error.hpp"
#include "stun/attr_text.hpp"
#include "stun/attr_turn.hpp"
#include "stun/integrity.hpp"
#include "turn/channel_data.hpp"
#include "turn/core.hpp"
#include "util/clock.hpp"

namespace {

using namespace sb;
using namespace sb::turn;

class Binder final : public RelayBinder {
 public:
  explicit Binder(RelayId first) : next_(first) {}
  bool has_family(Family) const override { return true; }
  std::optional<RelayEndpoint> bind(Family f, std::uint16_t port) override {
    if (port % 97 == 0) return std::nullopt;  // some ports are taken
    RelayEndpoint e{next_++, f == Family::kIPv4 ? TransportAddress::v4({198, 51, 100, 1}, port)
                                                : *TransportAddress::parse("[2001:db8::1]:" + std::to_string(port))};
    open[e.id] = e;
    return e;
  }
  void close(const RelayEndpoint& r) override { open.erase(r.id); }
  std::map<RelayId, RelayEndpoint> open;

 private:
  RelayId next_;
};

struct Reader {
  std::span<const std::uint8_t> in;
  std::size_t pos = 0;
  bool done() const { return pos >= in.size(); }
  std::uint8_t u8() { return pos < in.size() ? in[pos++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() << 8 | u8()); }
  std::span<const std::uint8_t> bytes(std::size_t n) {
    n = std::min(n, in.size() - std::min(pos, in.size()));
    auto s = in.subspan(pos, n);
    pos += n;
    return s;
  }
};

const std::array<TransportAddress, 6> kPeers = {
    TransportAddress::v4({203, 0, 113, 5}, 5000), TransportAddress::v4({203, 0, 113, 6}, 6000),
    TransportAddress::v4({198, 51, 100, 1}, 50000),  // one of our relayed IPs (relay-to-relay)
    TransportAddress::v4({127, 0, 0, 1}, 9),        // denied
    *TransportAddress::parse("[2001:db8:9::5]:7000"), *TransportAddress::parse("[2001:db8::1]:50001")};

struct World {
  util::ManualClock clock;
  std::unique_ptr<TurnShared> shared;
  Binder b0{100}, b1{100000};
  metrics::Registry registry;  // outlives the cores
  std::unique_ptr<TurnCore> c0, c1;
  std::vector<FiveTuple> clients;
  std::map<std::size_t, std::string> nonces;
  std::array<std::uint8_t, 2048> out{};
  std::array<std::uint8_t, 2048> peer_buf{};

  World() {
    TurnConfig cfg;
    cfg.max_allocations = 6;
    cfg.max_allocations_per_user = 4;
    cfg.max_allocations_per_ip = 3;
    cfg.min_port = 49900;
    cfg.max_port = 50100;
    cfg.bandwidth_bytes_per_s = 5000;
    cfg.total_bandwidth_bytes_per_s = 20000;
    cfg.unauthorized_burst = 1000;
    cfg.rate_limit_buckets = 16;  // small tables: each input builds a whole server
    cfg.rfc5766_channels = true;
    cfg.relayed_ips = {TransportAddress::v4({198, 51, 100, 1}, 0), *TransportAddress::parse("[2001:db8::1]:0")};
    auto creds = std::make_shared<StaticCredentials>("fuzz");
    creds->add_password("u", "p");
    std::string err;
    cfg.realm = "fuzz";
    auto policy = DefaultPeerPolicy::from_strings(
        {}, {}, {*util::parse_ip("198.51.100.1"), *util::parse_ip("2001:db8::1")}, err);
    shared = std::make_unique<TurnShared>(cfg, creds, std::make_shared<DefaultPeerPolicy>(std::move(*policy)));
    c0 = std::make_unique<TurnCore>(*shared, b0, registry, 0, 2);
    c1 = std::make_unique<TurnCore>(*shared, b1, registry, 1, 2);
    const auto server = TransportAddress::v4({198, 51, 100, 1}, 3478);
    clients = {{TransportAddress::v4({192, 0, 2, 1}, 1000), server, Transport::kUdp},
               {TransportAddress::v4({192, 0, 2, 1}, 1001), server, Transport::kUdp},
               {TransportAddress::v4({192, 0, 2, 2}, 1000), server, Transport::kTcp},
               {*TransportAddress::parse("[2001:db8:5::1]:1000"), *TransportAddress::parse("[2001:db8::1]:3478"),
                Transport::kUdp}};
  }
  // Clients 0, 2 live on shard 0, the others on shard 1 (the kernel's hashing, fixed here).
  TurnCore& core_of(std::size_t t) { return t % 2 == 0 ? *c0 : *c1; }
};

void check(const Output& o, std::span<const std::uint8_t> in, std::span<const std::uint8_t> out) {
  auto inside = [](std::span<const std::uint8_t> s, std::span<const std::uint8_t> buf) {
    return s.data() >= buf.data() && s.data() + s.size() <= buf.data() + buf.size();
  };
  if ((o.action == Action::kToPeer || o.action == Action::kToLocalRelay) && !inside(o.bytes, in)) __builtin_trap();
  if (o.action == Action::kToClient && !inside(o.bytes, out) && !inside(o.bytes, in)) __builtin_trap();
}

void deliver(World& w, const Output& o, std::span<const std::uint8_t> in) {
  check(o, in, w.out);
  if (o.action == Action::kToClient && !o.bytes.empty() && o.bytes[0] < 0x40) {
    auto m = stun::Message::decode(o.bytes);
    if (!m.ok()) __builtin_trap();  // the core only ever sends valid STUN
    for (std::size_t t = 0; t < w.clients.size(); ++t) {
      if (!(w.clients[t] == o.client)) continue;
      if (const auto n = m->view().get<stun::Nonce>()) w.nonces[t] = std::string(n->value);
    }
  }
  if (o.action != Action::kToLocalRelay || o.bytes.size() > 1500) return;
  std::copy(o.bytes.begin(), o.bytes.end(), w.peer_buf.begin() + kPeerHeadroom);
  TurnCore& owner = o.shard == 0 ? *w.c0 : *w.c1;
  check(owner.on_local_relay_datagram(o.relay, o.relay_port, o.peer, w.peer_buf, o.bytes.size(), w.clock.now()),
        w.peer_buf, w.peer_buf);
}

void add_attributes(stun::Message& m, std::uint8_t flags, Reader& r) {
  if (flags & 0x01) m.add(stun::RequestedTransport{});
  if (flags & 0x02) m.add(stun::Lifetime{static_cast<std::uint32_t>(r.u16())});
  if (flags & 0x04) m.add(stun::XorPeerAddress{kPeers[r.u8() % kPeers.size()]});
  if (flags & 0x08) m.add(stun::ChannelNumber{static_cast<std::uint16_t>(0x4000 + (r.u16() & 0x3FFF))});
  if (flags & 0x10) m.add(stun::AdditionalAddressFamily{Family::kIPv6});
  if (flags & 0x20) m.add(stun::RequestedAddressFamily{r.u8() & 1 ? Family::kIPv6 : Family::kIPv4});
  if (flags & 0x40) m.add(stun::EvenPort{(r.u8() & 1) != 0});
  if (flags & 0x80) m.add_raw(r.u16(), r.bytes(r.u8() % 16));
}

void signed_request(World& w, Reader& r) {
  const std::size_t t = r.u8() % w.clients.size();
  static constexpr stun::Method kMethods[] = {stun::Method::kAllocate, stun::Method::kRefresh,
                                              stun::Method::kCreatePermission, stun::Method::kChannelBind};
  const auto method = kMethods[r.u8() % 4];
  const std::uint8_t flags = r.u8();
  stun::Message m(stun::MessageType{method, stun::Class::kRequest}, stun::TransactionId::random());
  add_attributes(m, flags, r);
  if (w.nonces.count(t) != 0) {
    m.add(stun::Username{"u"}).add(stun::Realm{"fuzz"}).add(stun::Nonce{w.nonces[t]});
    m.add_message_integrity(stun::long_term_key_md5("u", "fuzz", "p"));
  }
  const std::vector<std::uint8_t> bytes(m.bytes().begin(), m.bytes().end());
  deliver(w, w.core_of(t).on_client_packet(w.clients[t], bytes, Now::from(w.clock), w.out), bytes);
}

void step(World& w, Reader& r) {
  switch (r.u8() % 5) {
    case 0: {
      const std::size_t t = r.u8() % w.clients.size();
      const auto raw = r.bytes(r.u16() % 1600);
      const std::vector<std::uint8_t> bytes(raw.begin(), raw.end());
      deliver(w, w.core_of(t).on_client_packet(w.clients[t], bytes, Now::from(w.clock), w.out), bytes);
      break;
    }
    case 1: signed_request(w, r); break;
    case 2: {
      const std::uint8_t which = r.u8();
      const auto& peer = kPeers[r.u8() % kPeers.size()];
      const auto payload = r.bytes(r.u16() % 1500);
      Binder& b = which & 0x80 ? w.b1 : w.b0;
      if (b.open.empty()) break;
      auto it = b.open.begin();
      std::advance(it, (which & 0x7F) % b.open.size());
      std::copy(payload.begin(), payload.end(), w.peer_buf.begin() + kPeerHeadroom);
      TurnCore& core = which & 0x80 ? *w.c1 : *w.c0;
      check(core.on_peer_datagram(it->first, peer, w.peer_buf, payload.size(), w.clock.now()), w.peer_buf,
            w.peer_buf);
      break;
    }
    case 3:
      w.clock.advance(std::chrono::seconds(r.u8()));
      w.c0->tick(Now::from(w.clock));
      w.c1->tick(Now::from(w.clock));
      break;
    default: {
      const std::size_t t = r.u8() % w.clients.size();
      w.core_of(t).on_client_closed(w.clients[t]);
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World w;
  Reader r{std::span<const std::uint8_t>(data, size)};
  for (int i = 0; i < 256 && !r.done(); ++i) step(w, r);
  if (w.shared->allocations() > w.shared->config().max_allocations) __builtin_trap();
  w.c0.reset();
  w.c1.reset();
  // Every allocation gave back its quota and its ports (reserved EVEN-PORT halves once they expire).
  w.shared->ports().sweep(w.clock.now() + std::chrono::hours(1));
  if (w.shared->allocations() != 0 || w.shared->ports().used(Family::kIPv4) != 0 ||
      w.shared->ports().used(Family::kIPv6) != 0) {
    __builtin_trap();
  }
  return 0;
}
