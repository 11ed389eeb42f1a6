// The PeerJS wire session: one per connection at `<peerjs-path>/peerjs`. Turns PeerJS frames
// (peerjs/protocol.hpp) into router calls and router events into PeerJS frames, as peer 1.0.x behaves for the
// peerjs 1.5.x client (docs/compatibility.md). No I/O of its own; src/net calls it on the connection's
// executor (wire_session.hpp) and drives its timer (next_deadline / on_timer).
//
// Every id of a key lives in the router room `peerjs/<key>`, without presence (PeerJS announces nobody),
// whose capacity is the concurrent limit. Relays to an id that is not connected wait in this session
// (PendingRelays) until the router says the id joined, or until they expire. Joins and leaves go through the
// node's Attachments (attach.hpp), which hands an id over to a connection that re-attaches with its token.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/compat_session.hpp"
#include "signaling/counters.hpp"
#include "signaling/peer_link.hpp"
#include "signaling/peerjs/attach.hpp"
#include "signaling/peerjs/pending.hpp"
#include "signaling/peerjs/protocol.hpp"
#include "signaling/rate_limiter.hpp"
#include "signaling/router.hpp"
#include "util/clock.hpp"
#include "util/metrics.hpp"

namespace sb::signaling::peerjs {

struct Config {
  std::string key = "peerjs";
  util::Duration expire_timeout = std::chrono::seconds(5);
  util::Duration alive_timeout = std::chrono::seconds(90);
  std::uint32_t concurrent_limit = 5000;
  Limits limits;
  PendingLimits pending;
  std::size_t max_early_frames = 16;  // frames a client sends before its OPEN, kept until then
};

// What PeerJS sessions count (/metrics): what peer drops silently is dropped here too, and counted.
struct Metrics {
  std::array<metrics::Counter*, kDropReasonCount> dropped{};  // signalbox_peerjs_dropped_total{reason}
  metrics::Counter* held = nullptr;          // relays that waited for an id not connected yet
  metrics::Counter* held_refused = nullptr;  // ... over the session's bound, dropped instead
  metrics::Counter* expired = nullptr;       // EXPIRE sent
  static Metrics make(metrics::Registry& registry);
};

// Everything PeerJS sessions share. Owned by the server; outlives every session.
struct Context {
  const Config& config;
  Router& router;
  Counters& counters;
  const util::Clock& clock;
  const RateLimitConfig& rate;  // the same per-connection limit as protocol v1's
  const Metrics& metrics;
  Attachments& attachments;  // the ids of this node's PeerJS sessions, for re-attaching
};

inline constexpr std::string_view kRoomPrefix = "peerjs/";

class Session final : public CompatSession {
 public:
  // `query` is the WebSocket request's query string (key, id, token).
  Session(const Context& ctx, PeerLink& link, std::weak_ptr<Member> member, std::string_view query);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() override;

  // Answers the connection: OPEN once admitted, or ERROR / ID-TAKEN and a close.
  void on_open() override;
  void on_event(Event& event) override;

  std::optional<util::TimePoint> next_deadline() const override;
  void on_timer(util::TimePoint now) override;

  const std::string& id() const { return id_; }

 private:
  // joining (join sent) → open (OPEN sent) → closed; any refusal closes.
  enum class State : std::uint8_t { joining, open, closed };

  bool closed() const override { return state_ == State::closed; }
  void set_closed() override { state_ = State::closed; }
  // A replaced connection closes at its next frame, which is not counted.
  bool takes_frames() override { return !replaced_now(); }
  void on_frame(std::string_view frame) override;
  void leave_room(LeaveReason reason) override;

  void handle(const msg::Relay& m);
  void handle(const msg::Heartbeat& m);
  void handle(const Dropped& m);
  void relay(Type type, const std::string& dst, std::shared_ptr<const std::string> frame);
  void hold(const std::string& dst, RelayedType type, std::shared_ptr<const std::string> frame);
  void send_expire(const std::string& target);

  void on(event::Admitted& e);
  void on(event::Refused& e);
  void on(event::PeerJoined& e);
  void on(event::PeerLeft& e);
  void on(event::Relay& e);
  void on(event::Undeliverable& e);
  void on(event::Drain& e);
  // Only a Gatekeeper sends Granted, and this protocol has none (access control does not gate it).
  void on(event::Granted&) {}
  // PeerJS has no word for a peer whose connection dropped and may resume: its peers hear only the leave.
  void on(event::StatusChanged&) {}
  void on(event::ResumeAnswer&) {}

  // Another connection re-attached with this id and token: closes without leaving (the id is its now).
  bool replaced_now();
  void refuse(std::string frame);  // sends `frame`, then closes

  const Context& ctx_;
  State state_ = State::joining;
  std::string room_;   // "peerjs/<key>"
  std::string id_;     // client-chosen
  std::shared_ptr<Attachments::Hold> hold_;  // the token, for re-attaching (kept as long as the connection)
  bool reattached_ = false;                  // took the id over: no OPEN, as on peer
  std::string query_;  // the WebSocket request's query, read in on_open
  bool in_room_ = false;
  std::vector<std::string> early_;  // frames before OPEN
  PendingRelays pending_;
  util::TimePoint last_heartbeat_;
};

}  // namespace sb::signaling::peerjs
