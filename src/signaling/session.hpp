// The protocol v1 wire session: one per /ws connection. Turns the client's v1 frames into router calls and
// the router's events into v1 frames (docs/signaling-protocol.md). No I/O of its own: frames come in through
// on_text(), events through on_event(), and everything goes out through the connection's PeerLink.
//
// Threading: see wire_session.hpp. Other sessions reach this connection only through the router.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "signaling/admission.hpp"
#include "signaling/counters.hpp"
#include "signaling/ice_servers.hpp"
#include "signaling/peer_link.hpp"
#include "signaling/protocol.hpp"
#include "signaling/rate_limiter.hpp"
#include "signaling/resume.hpp"
#include "signaling/router.hpp"
#include "signaling/wire_session.hpp"
#include "util/address.hpp"
#include "util/clock.hpp"
#include "util/per_ip.hpp"

namespace sb::signaling {

struct SessionConfig {
  Limits limits;
  RateLimitConfig rate;
  std::uint32_t max_peers_per_room = 0;  // caps the room size a grant asks for; 0 = no cap here
};

// Everything sessions share. Owned by the server; outlives every session.
struct SessionContext {
  const SessionConfig& config;
  Router& router;
  IceServerSource& ice_servers;
  Counters& counters;
  const util::Clock& clock;
  // Joins per second per client IP (IPv6: /64); null = no limit. More get `rate-limited` (ref `join`).
  util::PerIpRate* joins_per_ip = nullptr;
  ResumeRegistry* resume = nullptr;  // null: no session resume on this server
};

// The v1 frame a client gets for a router event (peer-joined, peer-left, a relayed message, an undeliverable
// relay's error, drain, peer-reconnecting / peer-resumed); null for the answers to a join, which are no frames.
// Counts relayed messages and errors. Shared by the session and the resume record, which frames events itself.
std::shared_ptr<const std::string> frame_for(Event& event, std::string_view room, Counters& counters);

class Session final : public WireSession {
 public:
  // `link` is this connection (it outlives the session); `member` is what the router delivers events to;
  // `remote` is the client's address (joins are limited per address); `gate` decides joins (null: no access
  // control, every join is granted).
  Session(const SessionContext& ctx, PeerLink& link, std::weak_ptr<Member> member, util::IpAddress remote = {},
          std::unique_ptr<Gatekeeper> gate = nullptr);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() override;

  void on_text(std::string_view frame) override;
  void on_event(Event& event) override;
  // Leaves the room (peers get peer-left with `reason`) and ignores the client from now on. Idempotent.
  void on_closed(LeaveReason reason) override;
  // As on_closed, but a session that can resume is parked for the resume window instead.
  void on_lost(LeaveReason reason) override;

  bool admitted() const override { return admitted_; }
  bool deciding() const override { return state_ == State::admitting || state_ == State::joining; }
  void on_admission_deadline() override;

  bool joined() const { return state_ == State::joined; }
  const std::string& peer_id() const { return peer_id_; }
  const std::string& room() const { return room_; }
  // What access control granted the current (or last) join: identity, the token's room and expiry.
  const Grant& grant() const { return grant_; }
  // What TURN credentials name when the grant names no identity: made when the connection opened, the same
  // for every join on it (TURN's per-user allocation quota then counts the connection, however often it
  // joins again).
  const std::string& connection_key() const { return connection_key_; }

 private:
  // idle → admitting (access control decides) → joining (join sent to the router) → joined (Admitted) → idle
  // (bye); admitting or joining → idle (Refused).
  enum class State : std::uint8_t { idle, admitting, joining, joined };

  void handle(const msg::Join& m);
  void handle(const msg::Offer& m);
  void handle(const msg::Answer& m);
  void handle(const msg::Candidate& m);
  void handle(const msg::Bye& m);
  void handle(const msg::Ping& m);
  void handle(const msg::Resume& m);
  void handle(const msg::Ack& m);

  void on(event::Admitted& e);
  void on(event::Refused& e);
  void on(event::Granted& e);
  void on(event::ResumeAnswer& e);
  // A peer-joined for a connection that is not resumable, with fresh iceServers (docs/auth.md).
  void on(event::PeerJoined& e);
  // Another event for a member that is not resumable (resumable ones get their frames from the record).
  void on_other(Event& e);

  void decide(AdmissionDecision decision);
  void enter_room(Grant grant);
  void deny(ErrorCode code, std::string message);
  std::vector<IceServer> ice_servers() const;

  // Resume (session_resume.cpp). Writes the record's unwritten frames; handles losing the record.
  void flush();
  bool resumable() const { return record_ != nullptr && state_ == State::joined; }
  void on_record_lost(ResumeRecord::Access access);
  // Parks the session (the room hears peer-reconnecting), or leaves with `reason` when it cannot be parked.
  void park_or_leave(LeaveReason reason, bool drained);
  // The node drains in a cluster: `drain`, then the close 1001, with the session parked for a resume elsewhere.
  void on_drained();
  // A resume of a session held here (or, with `ask_others`, asked for from the other nodes of a cluster).
  void resume(const msg::Resume& m, bool ask_others);
  // Counts an offer/answer/candidate read from the client; false when the session is not ours any more.
  bool count_received();

  // Hands `frame` (already carrying our id as `from`) to the router for `to` in our room.
  void relay(RelayedType type, std::string_view to, std::string frame);
  void leave_room(LeaveReason reason);
  // Back to idle: no room, no id, no record (the caller has dealt with the router and the record).
  void to_idle();
  bool require_joined(std::string_view type);
  // Numbered through the record when the session is resumable.
  void send(const ServerMessage& m);
  void send_error(ErrorCode code, std::string message, std::string field, std::string_view ref,
                  std::string reason = {});

  const SessionContext& ctx_;
  PeerLink& link_;
  std::weak_ptr<Member> member_;
  util::IpAddress remote_;
  std::string connection_key_;
  std::unique_ptr<Gatekeeper> gate_;
  RateLimiter limiter_;
  Grant grant_;
  bool admitted_ = false;  // has been in a room (or resumed a session that was)
  bool resume_asked_ = false;  // the join being admitted asked to be resumable
  State state_ = State::idle;
  std::string room_;      // set from join until the session leaves
  std::string peer_id_;   // set from join (the router names it at once) until the session leaves
  bool closing_ = false;  // closed, or closing for abuse: further frames and events are ignored
  // Resume: the record this session owns (a join that asked to resume, or a resumed session) and the token it
  // owns it with. The record is the router's member then; frames go out through it, numbered.
  std::shared_ptr<ResumeRecord> record_;
  std::uint64_t owner_ = 0;
  std::vector<KeptFrame> unwritten_;  // reused by flush()
  std::optional<msg::Resume> asked_;  // a resume waiting for the other nodes' answer (cluster)
};

}  // namespace sb::signaling
