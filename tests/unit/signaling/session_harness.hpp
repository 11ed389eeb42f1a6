// A fixture for protocol v1 session tests without sockets: sessions over a MemoryRouter, each with a FakeLink
// and a FakeMember, and the events they cause delivered as src/net would (after the call that caused them).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fake_link.hpp"
#include "signaling/memory_router.hpp"
#include "signaling/session.hpp"

namespace sb::signaling::testing {

class SessionHarness : public ::testing::Test {
 protected:
  struct Client {
    FakeLink link;
    std::shared_ptr<FakeMember> member = std::make_shared<FakeMember>();
    std::unique_ptr<Session> session;
    std::string id;
  };

  SessionHarness(std::unique_ptr<IceServerSource> ice, SessionConfig config, RouterLimits limits)
      : config_(std::move(config)), router_(limits), ice_(std::move(ice)) {}

  // A new connection; `gate` decides its joins (null: no access control).
  Client& connect(std::unique_ptr<Gatekeeper> gate = nullptr) {
    clients_.push_back(std::make_unique<Client>());
    Client& c = *clients_.back();
    c.session = std::make_unique<Session>(ctx_, c.link, c.member, util::IpAddress{}, std::move(gate));
    return c;
  }
  // One frame from the client, then every event the router delivered meanwhile, as src/net would.
  void text(Client& c, std::string_view frame) {
    c.session->on_text(frame);
    pump();
  }
  void pump() { testing::pump(clients_); }
  // The one message the client received since the last take, which must be a T.
  template <class T>
  static T only(Client& c) {
    auto got = c.link.take();
    if (got.size() != 1 || !std::holds_alternative<T>(got[0])) {
      ADD_FAILURE() << "expected one " << (got.empty() ? std::string("message") : "message, got " +
                                                             std::to_string(got.size()));
      return {};
    }
    return std::get<T>(got[0]);
  }

  SessionConfig config_;
  MemoryRouter router_;
  std::unique_ptr<IceServerSource> ice_;
  metrics::Registry registry_;
  Counters counters_{registry_};
  util::ManualClock clock_;
  SessionContext ctx_{config_, router_, *ice_, counters_, clock_};
  std::vector<std::unique_ptr<Client>> clients_;  // after router_: sessions leave it as they go
};

}  // namespace sb::signaling::testing
