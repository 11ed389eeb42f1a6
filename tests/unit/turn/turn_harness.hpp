// Test support for the TURN core: a fake RelayBinder, a client that speaks long-term auth, and a
// harness holding one TurnShared + TurnCore driven by a ManualClock.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "stun/attr_address.hpp"
#include "stun/attr_error.hpp"
#include "stun/attr_text.hpp"
#include "stun/attr_turn.hpp"
#include "stun/integrity.hpp"
#include "turn/core.hpp"
#include "util/clock.hpp"

namespace sb::turn::test {

class FakeBinder final : public RelayBinder {
 public:
  bool v4 = true;
  bool v6 = true;
  std::set<std::uint16_t> busy;  // ports that fail to bind (both families)
  bool fail_all = false;
  bool fail_v6 = false;  // IPv6 offered, but every bind fails
  std::map<RelayId, RelayEndpoint> open;
  std::size_t bind_calls = 0;
  RelayId next_id = 100;

  bool has_family(Family f) const override { return f == Family::kIPv4 ? v4 : v6; }
  std::optional<RelayEndpoint> bind(Family f, std::uint16_t port) override {
    ++bind_calls;
    if (fail_all || busy.count(port) != 0 || (fail_v6 && f == Family::kIPv6)) return std::nullopt;
    RelayEndpoint e;
    e.id = next_id++;
    e.address = f == Family::kIPv4 ? TransportAddress::v4({198, 51, 100, 1}, port)
                                   : *TransportAddress::parse("[2001:db8::1]:" + std::to_string(port));
    open[e.id] = e;
    return e;
  }
  void close(const RelayEndpoint& r) override { open.erase(r.id); }
};

inline FiveTuple udp_tuple(std::uint8_t last, std::uint16_t port = 40000) {
  return FiveTuple{TransportAddress::v4({192, 0, 2, last}, port), TransportAddress::v4({198, 51, 100, 1}, 3478),
                   Transport::kUdp};
}
inline TransportAddress peer_v4(std::uint8_t last, std::uint16_t port = 5000) {
  return TransportAddress::v4({203, 0, 113, last}, port);
}

struct TestClient {
  explicit TestClient(FiveTuple t) : tuple(t) {}
  FiveTuple tuple;
  std::string username = "alice";
  std::string password = "secret";
  std::string realm = "signalbox";
  std::string nonce;
  bool sha256 = false;
  bool fingerprint = false;
};

using Attrs = std::function<void(stun::Message&)>;

class Harness {
 public:
  util::ManualClock clock;
  TurnConfig cfg;
  std::shared_ptr<StaticCredentials> creds = std::make_shared<StaticCredentials>("signalbox");
  std::shared_ptr<const CredentialSource> source;  // default: creds
  std::shared_ptr<const PeerPolicy> policy = std::make_shared<DefaultPeerPolicy>();
  std::unique_ptr<TurnShared> shared;
  FakeBinder binder;
  metrics::Registry registry;  // outlives the core, which registers its metrics here
  std::unique_ptr<TurnCore> core;
  std::array<std::uint8_t, 2048> out{};

  Harness() { creds->add_password("alice", "secret"); creds->add_password("bob", "hunter2"); }
  ~Harness() { core.reset(); }

  void start() {
    if (!source) source = creds;
    shared = std::make_unique<TurnShared>(cfg, source, policy);
    core = std::make_unique<TurnCore>(*shared, binder, registry);
  }
  Now now() const { return Now::from(clock); }
  void advance(std::chrono::seconds s) { clock.advance(s); }

  Output send_bytes(const FiveTuple& t, std::span<const std::uint8_t> bytes) {
    return core->on_client_packet(t, bytes, now(), out);
  }
  // Sends `m`; the response as an owning Message, or nullopt when the core answered nothing.
  std::optional<stun::Message> send(const FiveTuple& t, const stun::Message& m) {
    const Output o = send_bytes(t, m.bytes());
    if (o.action != Action::kToClient) return std::nullopt;
    EXPECT_EQ(o.client, t);
    auto r = stun::Message::decode(o.bytes);
    EXPECT_TRUE(r.ok());
    return r.ok() ? std::optional<stun::Message>(std::move(r.value())) : std::nullopt;
  }

  static stun::Message build(stun::Method method, const Attrs& attrs) {
    stun::Message m(stun::MessageType{method, stun::Class::kRequest}, stun::TransactionId::random());
    if (attrs) attrs(m);
    return m;
  }
  static void sign(stun::Message& m, const TestClient& c) {
    m.add(stun::Username{c.username}).add(stun::Realm{c.realm}).add(stun::Nonce{c.nonce});
    const auto key = stun::long_term_key_md5(c.username, c.realm, c.password);
    if (c.sha256) {
      m.add_message_integrity_sha256(key);
    } else {
      m.add_message_integrity(key);
    }
    if (c.fingerprint) m.add_fingerprint();
  }

  // A request with long-term auth; learns the nonce from a 401/438 first when needed.
  std::optional<stun::Message> request(TestClient& c, stun::Method method, const Attrs& attrs = {}) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (c.nonce.empty()) {
        auto challenge = send(c.tuple, build(method, attrs));
        if (!challenge) return std::nullopt;
        const auto n = challenge->view().get<stun::Nonce>();
        if (!n) return challenge;
        c.nonce = std::string(n->value);
      }
      auto m = build(method, attrs);
      sign(m, c);
      auto resp = send(c.tuple, m);
      if (resp && error_code(*resp) == stun::code::kStaleNonce) {
        c.nonce = std::string(resp->view().get<stun::Nonce>()->value);
        continue;
      }
      return resp;
    }
    return std::nullopt;
  }

  static std::uint16_t error_code(const stun::Message& m) {
    const auto e = m.view().get<stun::ErrorCode>();
    return e ? e->code : 0;
  }
  static bool is_success(const std::optional<stun::Message>& m) {
    return m && m->type().cls == stun::Class::kSuccess;
  }
  static std::uint16_t code_of(const std::optional<stun::Message>& m) { return m ? error_code(*m) : 0; }

  std::optional<stun::Message> allocate(TestClient& c, const Attrs& extra = {}) {
    return request(c, stun::Method::kAllocate, [&](stun::Message& m) {
      m.add(stun::RequestedTransport{});
      if (extra) extra(m);
    });
  }
  std::optional<stun::Message> permit(TestClient& c, const TransportAddress& peer) {
    return request(c, stun::Method::kCreatePermission,
                   [&](stun::Message& m) { m.add(stun::XorPeerAddress{peer}); });
  }
  std::optional<stun::Message> bind_channel(TestClient& c, std::uint16_t number, const TransportAddress& peer) {
    return request(c, stun::Method::kChannelBind, [&](stun::Message& m) {
      m.add(stun::ChannelNumber{number}).add(stun::XorPeerAddress{peer});
    });
  }
  std::optional<stun::Message> refresh(TestClient& c, std::optional<std::uint32_t> lifetime) {
    return request(c, stun::Method::kRefresh, [&](stun::Message& m) {
      if (lifetime) m.add(stun::Lifetime{*lifetime});
    });
  }
  static TransportAddress relayed(const stun::Message& m) {
    return m.view().get<stun::XorRelayedAddress>()->address;
  }
};

}  // namespace sb::turn::test
