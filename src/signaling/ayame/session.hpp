// The Ayame wire session: one per connection at the Ayame path. Turns Ayame frames (ayame/protocol.hpp) into
// router calls and router events into Ayame frames, as the Ayame server behaves for ayame-web-sdk and Momo
// (docs/compatibility.md). No I/O of its own; src/net calls it on the connection's executor
// (wire_session.hpp) and drives its timer (next_deadline / on_timer).
//
// A room `R` is the router room `ayame/R` (its own namespace: no v1 or PeerJS frame can reach it), of two.
// The member id is the connection id, a ULID, as on the Ayame server; the client id travels as the name.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "signaling/ayame/protocol.hpp"
#include "signaling/compat_session.hpp"
#include "signaling/counters.hpp"
#include "signaling/ice_servers.hpp"
#include "signaling/peer_link.hpp"
#include "signaling/rate_limiter.hpp"
#include "signaling/router.hpp"
#include "util/clock.hpp"
#include "util/metrics.hpp"

namespace sb::signaling::ayame {

struct Config {
  Limits limits;
  util::Duration ping_interval = std::chrono::seconds(5);  // Momo reconnects after 30 s without one
  util::Duration pong_timeout = std::chrono::seconds(60);  // no pong for this long: the connection is closed
};

// What Ayame sessions count (/metrics).
struct Metrics {
  std::array<metrics::Counter*, kFailureCount> failures{};  // signalbox_ayame_failures_total{reason}
  metrics::Counter* pong_timeouts = nullptr;
  metrics::Counter* rejected_full = nullptr;
  static Metrics make(metrics::Registry& registry);
};

// Everything Ayame sessions share. Owned by the server; outlives every session.
struct Context {
  const Config& config;
  Router& router;
  IceServerSource& ice_servers;
  Counters& counters;
  const util::Clock& clock;
  const RateLimitConfig& rate;  // the same per-connection limit as protocol v1's
  const Metrics& metrics;
};

inline constexpr std::string_view kRoomPrefix = "ayame/";

// Asks the auth webhook about a `register`, in Ayame's field names (docs/compatibility.md, "Auth"). One per
// connection, on a server with `--auth webhook`; called on the connection's executor.
class Authn {
 public:
  virtual ~Authn() = default;
  // Starts the call. Its answer reaches `member` as event::Granted (accept: the grant's ice_servers and, in
  // `meta`, Ayame's authzMetadata) or event::Refused (reject, with the reason as the message), with id =
  // `connection_id`. false: the call could not start (too many in flight); nothing will come.
  virtual bool ask(const msg::Register& r, std::string_view client_id, std::string_view connection_id,
                   std::weak_ptr<Member> member) = 0;
  // The connection is in a room, or gone: it no longer waits for admission.
  virtual void on_admitted() = 0;
  // It was not admitted within the deadline.
  virtual void on_deadline() = 0;
};

class Session final : public CompatSession {
 public:
  // `authn`: the auth webhook decides each register (nullptr: every register is accepted, room allowing).
  Session(const Context& ctx, PeerLink& link, std::weak_ptr<Member> member,
          std::unique_ptr<Authn> authn = nullptr);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() override;

  void on_event(Event& event) override;

  // The next time on_timer has something to do (a ping to send, the pong deadline); nullopt: none.
  std::optional<util::TimePoint> next_deadline() const override;
  void on_timer(util::TimePoint now) override;

  // With the auth webhook: not admitted until accepted, and deciding while the webhook is asked (the server's
  // pre-admission limits apply, docs/auth.md).
  bool admitted() const override { return !authn_ || accepted_; }
  bool deciding() const override { return state_ == State::authorizing; }
  void on_admission_deadline() override;

  const std::string& connection_id() const { return connection_id_; }

 private:
  // idle → [authorizing (webhook asked) →] registering (join sent) → registered (accept sent) → closed.
  // Every failure closes.
  enum class State : std::uint8_t { idle, authorizing, registering, registered, closed };

  bool closed() const override { return state_ == State::closed; }
  void set_closed() override { state_ = State::closed; }
  void on_frame(std::string_view frame) override;
  void leave_room(LeaveReason reason) override;

  void handle(msg::Register& m);
  void handle(const msg::Pong& m);
  void handle(const msg::Forward& m, std::string_view frame);
  void handle(const msg::Connected& m);
  void join();
  void fail(Failure f);

  void on(event::Admitted& e);
  void on(event::Refused& e);
  void on(event::PeerJoined& e);
  void on(event::PeerLeft& e);
  void on(event::Relay& e);
  void on(event::Undeliverable& e);
  void on(event::Drain& e);
  void on(event::Granted& e);
  // Ayame has no word for a peer whose connection dropped and may resume: its peers hear only the leave.
  void on(event::StatusChanged&) {}
  void on(event::ResumeAnswer&) {}

  void send(const ServerMessage& m);
  void reject(std::string reason);

  const Context& ctx_;
  State state_ = State::idle;
  bool standalone_ = false;    // Ayame's standalone mode: no pings, no bye
  std::string room_;           // "ayame/<roomId>" from register on
  std::string connection_id_;  // a ULID, from register on
  std::string other_;          // the other member's connection id, once known
  std::string client_id_;      // the register's clientId, else the connection id
  std::unique_ptr<Authn> authn_;
  bool accepted_ = false;
  std::optional<std::string> authz_metadata_;                  // the webhook's, for `accept`
  std::optional<std::vector<IceServer>> granted_ice_servers_;  // the webhook's, replacing the server's
  util::TimePoint next_ping_;
  util::TimePoint pong_deadline_;
};

}  // namespace sb::signaling::ayame
