// Session resume (docs/signaling-protocol.md, "Resume"): a protocol-v1 session that outlives its connection.
//
// A resumable session's router member is its ResumeRecord, not its connection. The record turns every router
// event into the client's frame as it arrives, numbers it (`seq`) and keeps it until the client acknowledges
// it; the connection that owns the record writes what it has not written yet whenever the record rings it
// (by passing the event on, as a wake-up). When the connection drops, the record is parked in the
// ResumeRegistry for the resume window: still a member of its room, still numbering and keeping frames, within
// bounds. A `resume` with the session id and the secret, on any connection, takes the record over (also while
// the old connection still owns it: a half-open TCP connection the server has not noticed yet) and writes
// every frame after the client's last `seq`, exactly once and in order.
//
// Threading: a record's state is guarded by its own mutex; router deliveries come from any thread, the
// owner's calls from its connection's strand. Lock order: the registry's, then a record's. The router is never
// called under either lock. Owners are named by a token (ResumeRegistry::next_owner), so a connection that
// lost its record to another one finds out at its next call and stops, without leaving the room.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "signaling/counters.hpp"
#include "signaling/events.hpp"
#include "signaling/protocol.hpp"
#include "signaling/router.hpp"
#include "util/clock.hpp"
#include "util/metrics.hpp"

namespace sb::signaling {

struct ResumeConfig {
  // How long a session whose connection dropped waits for a `resume`. Zero: no resume (joins that ask for it
  // get no ticket).
  util::Duration window = std::chrono::seconds(20);
  // Messages kept per session (sent but not acknowledged, and, while parked, not sent yet), in messages and in
  // bytes. A parked session over either bound ends as a slow reader does today (peer-left `dropped`).
  std::size_t max_messages = 256;
  std::size_t max_bytes = 256 * 1024;
  std::size_t max_parked = 10000;  // sessions parked at once; over it a dropped connection leaves at once
};

// One numbered server message of a resumable session: `frame` is the serialized message without its number.
struct KeptFrame {
  std::uint64_t seq = 0;
  std::shared_ptr<const std::string> frame;
};

class ResumeRegistry;
using SecretHash = std::array<std::uint8_t, 32>;

// A session on its way from the node that held it to the node its client resumed on (docs/cluster.md, "Resume
// across nodes"): what the new node needs to hold it, parked, until the client's resume takes it over there.
struct SessionTransfer {
  std::string session;
  std::string room;
  std::string peer_id;
  Grant grant;
  SecretHash secret_hash{};
  std::vector<SecretHash> old_hashes;
  std::uint64_t next_seq = 1;   // the number the next frame gets
  std::uint64_t received = 0;   // offer/answer/candidate messages read from the client so far
  bool told_reconnecting = false;
  std::vector<KeptFrame> frames;  // every frame after the client's seq, in order
};

// The other nodes of a cluster, as the registry asks them: implemented by the cluster's router. The answer comes
// back through ResumeRegistry::adopt and ResumeRegistry::answer.
class SessionFinder {
 public:
  virtual ~SessionFinder() = default;
  virtual void find(const std::string& session, const SecretHash& hash, std::uint64_t seq) = 0;
};

class ResumeRecord final : public Member, public std::enable_shared_from_this<ResumeRecord> {
 public:
  ResumeRecord(ResumeRegistry& registry, std::string room, std::uint64_t owner, std::weak_ptr<Member> connection);

  // From the router, any thread. Before the session is admitted, events pass to the owner's connection as
  // they are; after that they become numbered frames here, and the connection gets the event as a wake-up.
  void deliver(Event event) override;

  // The owner's calls, from its connection's strand.
  enum class Access : std::uint8_t { ok, replaced, ended };
  // The frames this connection has not written yet, in order, appended to `out`.
  Access take_unwritten(std::uint64_t owner, std::vector<KeptFrame>& out);
  // Numbers `frame` (a message of the session's own, such as an error) and takes what is unwritten.
  Access send(std::uint64_t owner, std::shared_ptr<const std::string> frame, std::vector<KeptFrame>& out);
  // The client has every frame up to `seq`.
  Access ack(std::uint64_t owner, std::uint64_t seq);
  // One more offer/answer/candidate read from the client (reported as `received` by `resumed`).
  Access count_received(std::uint64_t owner);
  // Why the session ended, once take_unwritten / send say `ended`.
  LeaveReason end_reason() const;

  // What access control granted the join (docs/auth.md): a resumed session keeps its identity, its TURN
  // permission and a webhook's iceServers. Set by the joining session before the router knows the record;
  // read-only after (a resume reaches the record through the registry's lock).
  Grant grant;

 private:
  friend class ResumeRegistry;

  // Numbers and keeps `frame` and rings the connection with `wake`; false when over the bounds.
  bool keep_locked(std::shared_ptr<const std::string> frame, Event& wake);
  // A frame the session's former node framed after it handed the session over (cluster resume).
  void keep(std::shared_ptr<const std::string> frame);
  // Appends a numbered frame within the bounds; false when over them (the session must end).
  bool append_locked(std::shared_ptr<const std::string> frame);
  Access access_locked(std::uint64_t owner) const;
  void take_unwritten_locked(std::vector<KeptFrame>& out);
  std::uint64_t floor_locked() const { return kept_.empty() ? next_seq_ : kept_.front().seq; }

  ResumeRegistry& registry_;
  const std::string room_;
  mutable std::mutex mu_;
  // Everything below is guarded by mu_.
  std::string peer_id_;     // from Admitted
  std::string session_id_;  // set when registered
  SecretHash secret_hash_{};
  std::vector<SecretHash> old_hashes_;  // of secrets rotated away, to tell a replay from a wrong secret
  bool joined_ = false;                 // Admitted has passed: events become frames
  bool ended_ = false;
  LeaveReason end_reason_ = LeaveReason::disconnect;
  std::uint64_t owner_;  // 0: parked, no connection
  std::weak_ptr<Member> connection_;
  bool rung_ = false;  // the connection has a wake-up it has not acted on yet
  std::deque<KeptFrame> kept_;
  std::size_t kept_bytes_ = 0;
  std::uint64_t next_seq_ = 1;
  std::uint64_t written_ = 0;   // the last seq handed to the current connection
  std::uint64_t received_ = 0;  // offer/answer/candidate messages read from the client
  util::TimePoint deadline_{};  // while parked
  std::uint64_t park_generation_ = 0;
  bool told_reconnecting_ = false;  // the room heard peer-reconnecting and has not heard peer-resumed
  // Handed over to another node: what still reaches this record goes there, framed (until the router here
  // forgets the member, and for what was already on its way then).
  std::function<void(std::shared_ptr<const std::string>)> forward_;
};

// The answer to a `resume`.
struct ResumeAccepted {
  std::shared_ptr<ResumeRecord> record;
  std::string room;
  std::string peer_id;
  ResumeTicket ticket;          // with the new secret
  std::uint64_t received = 0;   // offer/answer/candidate messages read from the client so far
};
struct ResumeFailed {
  ErrorCode code = ErrorCode::resume_refused;  // or invalid-message (a seq the server never sent)
  std::optional<ResumeRefusal> reason;
  std::string message;
};
// Not held here: the other nodes were asked, and an event::ResumeAnswer follows (cluster resume).
struct ResumeAsked {};
using ResumeOutcome = std::variant<ResumeAccepted, ResumeFailed, ResumeAsked>;
using HandOver = std::variant<SessionTransfer, ResumeFailed>;

// Every resumable session of this node, by session id. Owned by the server; outlives every session.
class ResumeRegistry {
 public:
  ResumeRegistry(ResumeConfig config, Router& router, Counters& counters, metrics::Registry& metrics);

  const ResumeConfig& config() const { return config_; }
  bool enabled() const { return config_.window.count() > 0; }
  // A token for a connection's session, to own records with.
  std::uint64_t next_owner() { return next_owner_.fetch_add(1, std::memory_order_relaxed); }
  // Called (from any thread, outside every lock) with each new parked deadline; the expiry timer's hook. Set
  // before serving.
  void set_wake(std::function<void(util::TimePoint)> wake) { wake_ = std::move(wake); }
  // This node is going away (SIGTERM): a `resume` here is turned away, so that the client resumes on another
  // node, and the session is left as it was. `hand_over`: another node can take sessions over (a cluster), so
  // the sessions of the connections the drain closes are parked, not ended (parks_drained), and the node holds
  // them through its shutdown grace for their clients' resumes elsewhere (waiting()). Call before the router's
  // drain.
  void drain(bool hand_over = false) {
    parks_drained_.store(hand_over, std::memory_order_relaxed);
    draining_.store(true, std::memory_order_relaxed);
  }
  bool draining() const { return draining_.load(std::memory_order_relaxed); }
  bool parks_drained() const { return parks_drained_.load(std::memory_order_relaxed); }

  // A record for a join that asked to resume, owned by `owner`; its events go to `connection` until then.
  std::shared_ptr<ResumeRecord> make_record(std::string room, std::uint64_t owner, std::weak_ptr<Member> connection);
  // The record's join was admitted: it gets a session id and a secret, and may be resumed from now on.
  // nullopt when it ended meanwhile (its frames overflowed before the session saw the admission).
  std::optional<ResumeTicket> add(const std::shared_ptr<ResumeRecord>& record);

  enum class Park : std::uint8_t { parked, replaced, refused };
  // The owner's connection dropped without a goodbye. parked: kept for the window (the room hears
  // peer-reconnecting); replaced: another connection owns it now (nothing to do); refused: the registry is
  // full, the session is over and the caller leaves the room.
  // `drained`: the server's drain closed the connection (counted apart: signalbox_resume_drained_total).
  Park park(const std::shared_ptr<ResumeRecord>& record, std::uint64_t owner, util::TimePoint now,
            bool drained = false);
  // The owner ends the session (bye, a deliberate close, a join cancelled). True when it was still the owner:
  // the caller then leaves the room; false when another connection took it over.
  bool remove(const std::shared_ptr<ResumeRecord>& record, std::uint64_t owner);
  // A `resume` from the connection `owner` (events to `connection`). A session not held here is asked for
  // from the other nodes when `ask_others` and a finder is set (ResumeAsked).
  ResumeOutcome resume(const msg::Resume& request, std::uint64_t owner, std::weak_ptr<Member> connection,
                       util::TimePoint now, bool ask_others = true);

  // Resume across the nodes of a cluster (docs/cluster.md, "Resume across nodes"); the router's calls.
  void set_finder(SessionFinder* finder) { finder_ = finder; }
  // Another node asks for `session` with the hash of the secret its client showed and the client's seq.
  // nullopt: not held here. A refusal as a local resume would get (a replayed secret or lost messages end the
  // session here). Otherwise the session leaves this node: the transfer carries it, and from now on `forward`
  // gets every frame for it (from any thread, in order, under the record's lock: it must not block).
  std::optional<HandOver> hand_over(const std::string& session, const SecretHash& hash, std::uint64_t seq,
                                    std::function<void(std::shared_ptr<const std::string>)> forward);
  // The router has moved the member of a session it handed over (or gave up): its record, kept alive until then
  // for what still reaches it, may go.
  void handed_over(const std::string& session);
  // A session another node handed over: held here, parked for a fresh window. Null when one with its id is held
  // already. The connection that asked is told by answer() once the router holds the record as its member.
  std::shared_ptr<ResumeRecord> adopt(SessionTransfer transfer, util::TimePoint now);
  // A frame for `session` from the node that handed it over.
  void forwarded(const std::string& session, std::shared_ptr<const std::string> frame);
  // The end of a find(): nullopt when the session is held here now, else why the resume is refused.
  void answer(const std::string& session, std::optional<ResumeFailed> refused);
  static SecretHash hash_of(std::string_view secret);
  // Ends the parked sessions whose window has passed (their rooms hear peer-left `timeout`). Returns the
  // earliest deadline still ahead.
  std::optional<util::TimePoint> expire(util::TimePoint now);

  std::size_t parked() const;
  std::size_t size() const;
  // Sessions this node still holds for a resume: parked, or handed over with their move not finished yet.
  std::size_t waiting() const;

 private:
  friend class ResumeRecord;
  struct Expiry {
    util::TimePoint deadline;
    std::string session_id;
    std::uint64_t generation = 0;
  };
  struct Ended {
    std::string room;
    std::string peer_id;
    LeaveReason reason = LeaveReason::disconnect;
  };

  // The record's frames overflowed; `event` (the one that did it) wakes its connection, which then closes.
  void end_overflowed(ResumeRecord& record, Event event);
  // Ends `record` (both locks held): forgets it and says what the room must hear.
  Ended end_locked(ResumeRecord& record, LeaveReason reason);
  // The checks of a resume against `record` (both locks held): a wrong or replayed secret, a seq never sent,
  // lost messages. The last two end the session (`ended`).
  std::optional<ResumeFailed> check_locked(ResumeRecord& record, const SecretHash& hash, std::uint64_t seq,
                                           std::optional<Ended>& ended);
  ResumeOutcome take_over_locked(ResumeRecord& record, const msg::Resume& request, std::uint64_t owner,
                                 std::weak_ptr<Member> connection, std::optional<Ended>& ended, bool& was_parked);
  void count_refusal(ResumeRefusal reason);

  const ResumeConfig config_;
  Router& router_;
  Counters& counters_;
  std::function<void(util::TimePoint)> wake_;
  std::atomic<std::uint64_t> next_owner_{1};
  std::atomic<bool> draining_{false};
  std::atomic<bool> parks_drained_{false};
  SessionFinder* finder_ = nullptr;

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<ResumeRecord>> sessions_;  // guarded by mu_
  std::deque<Expiry> expiries_;  // guarded by mu_; in deadline order (one window for all)
  std::size_t parked_ = 0;       // guarded by mu_
  // guarded by mu_: the connections waiting for the other nodes' answer about a session, by session id
  std::unordered_map<std::string, std::weak_ptr<Member>> asking_;
  // guarded by mu_: sessions handed over to another node, until the router has moved their member
  std::unordered_map<std::string, std::shared_ptr<ResumeRecord>> handed_;

  metrics::Gauge& parked_gauge_;
  metrics::Counter& parked_total_;
  metrics::Counter& drained_total_;
  metrics::Counter& resumed_total_;
  std::array<metrics::Counter*, kResumeRefusalCount> refused_total_;
  metrics::Counter& replayed_total_;
  metrics::Counter& ended_timeout_;
  metrics::Counter& ended_overflow_;
  metrics::Counter& ended_limit_;
};

}  // namespace sb::signaling
