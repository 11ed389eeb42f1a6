#include "signaling/resume.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdexcept>

#include "signaling/session.hpp"
#include "util/random.hpp"

namespace sb::signaling {
namespace {

constexpr std::size_t kOldSecrets = 8;  // rotated-away secrets remembered, to recognize a replay

SecretHash hash_secret(std::string_view secret) {
  SecretHash out{};
  unsigned int len = 0;
  if (EVP_Digest(secret.data(), secret.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 || len != out.size()) {
    throw std::runtime_error("SHA-256 failed");
  }
  return out;
}

bool same_hash(const SecretHash& a, const SecretHash& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

double seconds(util::Duration d) { return std::chrono::duration<double>(d).count(); }

ResumeFailed refusal(ResumeRefusal reason, std::string message) {
  return ResumeFailed{ErrorCode::resume_refused, reason, std::move(message)};
}

}  // namespace

// ---- ResumeRecord ----

ResumeRecord::ResumeRecord(ResumeRegistry& registry, std::string room, std::uint64_t owner,
                           std::weak_ptr<Member> connection)
    : registry_(registry), room_(std::move(room)), owner_(owner), connection_(std::move(connection)) {}

void ResumeRecord::deliver(Event event) {
  {
    std::lock_guard lock(mu_);
    if (forward_) {
      // Handed over: the frame goes to the session's new node (under the lock: in the order they came).
      if (auto frame = frame_for(event, room_, registry_.counters_)) forward_(std::move(frame));
      return;
    }
    if (ended_) return;
    // Before the admission, and for drain (about the connection, not the session), the event goes to the
    // connection as it is; under the lock, so that no wake-up can overtake it.
    const bool as_is = !joined_ || std::holds_alternative<event::Drain>(event);
    if (as_is) {
      if (auto* a = std::get_if<event::Admitted>(&event)) {
        joined_ = true;
        peer_id_ = a->id;
      }
      if (auto c = connection_.lock(); c && owner_ != 0) c->deliver(std::move(event));
      return;
    }
    if (keep_locked(frame_for(event, room_, registry_.counters_), event)) return;
  }
  registry_.end_overflowed(*this, std::move(event));
}

bool ResumeRecord::keep_locked(std::shared_ptr<const std::string> frame, Event& wake) {
  if (!frame) return true;
  if (!append_locked(std::move(frame))) return false;
  if (owner_ == 0 || rung_) return true;
  auto connection = connection_.lock();
  if (!connection) return true;
  rung_ = true;
  // Still under the lock: a wake-up must not overtake the connection's earlier events.
  connection->deliver(std::move(wake));
  return true;
}

void ResumeRecord::keep(std::shared_ptr<const std::string> frame) {
  {
    std::lock_guard lock(mu_);
    if (forward_) {
      forward_(std::move(frame));  // handed on again already
      return;
    }
    if (ended_) return;
    Event wake = event::StatusChanged{};  // any event wakes a resumable session's connection
    if (keep_locked(std::move(frame), wake)) return;
  }
  registry_.end_overflowed(*this, event::StatusChanged{});
}

bool ResumeRecord::append_locked(std::shared_ptr<const std::string> frame) {
  const auto& cfg = registry_.config();
  kept_bytes_ += frame->size();
  kept_.push_back(KeptFrame{next_seq_++, std::move(frame)});
  const auto over = [&] { return kept_.size() > cfg.max_messages || kept_bytes_ > cfg.max_bytes; };
  // While a connection owns the record, the oldest frames it has written go first (the client has probably
  // received them; a resume that still needs one is refused as `lost`). Unwritten ones never go.
  while (over() && owner_ != 0 && kept_.front().seq <= written_) {
    kept_bytes_ -= kept_.front().frame->size();
    kept_.pop_front();
  }
  return !over();
}

ResumeRecord::Access ResumeRecord::access_locked(std::uint64_t owner) const {
  if (ended_) return owner_ == owner ? Access::ended : Access::replaced;
  return owner_ == owner ? Access::ok : Access::replaced;
}

void ResumeRecord::take_unwritten_locked(std::vector<KeptFrame>& out) {
  rung_ = false;
  // kept_ is in seq order and contiguous: the unwritten frames are its tail.
  const std::size_t unwritten = static_cast<std::size_t>(next_seq_ - 1 - written_);
  for (auto it = kept_.end() - static_cast<std::ptrdiff_t>(std::min(unwritten, kept_.size())); it != kept_.end(); ++it) {
    out.push_back(*it);
  }
  written_ = next_seq_ - 1;
}

ResumeRecord::Access ResumeRecord::take_unwritten(std::uint64_t owner, std::vector<KeptFrame>& out) {
  std::lock_guard lock(mu_);
  const Access a = access_locked(owner);
  if (a == Access::ok) take_unwritten_locked(out);
  return a;
}

ResumeRecord::Access ResumeRecord::send(std::uint64_t owner, std::shared_ptr<const std::string> frame,
                                        std::vector<KeptFrame>& out) {
  bool overflow = false;
  {
    std::lock_guard lock(mu_);
    const Access a = access_locked(owner);
    if (a != Access::ok) return a;
    overflow = !append_locked(std::move(frame));
    if (!overflow) {
      take_unwritten_locked(out);
      return Access::ok;
    }
  }
  registry_.end_overflowed(*this, event::Drain{});  // no wake-up needed: the caller learns it now
  return Access::ended;
}

ResumeRecord::Access ResumeRecord::ack(std::uint64_t owner, std::uint64_t seq) {
  std::lock_guard lock(mu_);
  if (const Access a = access_locked(owner); a != Access::ok) return a;
  // A client cannot acknowledge what it was never sent.
  const std::uint64_t upto = std::min(seq, written_);
  while (!kept_.empty() && kept_.front().seq <= upto) {
    kept_bytes_ -= kept_.front().frame->size();
    kept_.pop_front();
  }
  return Access::ok;
}

ResumeRecord::Access ResumeRecord::count_received(std::uint64_t owner) {
  std::lock_guard lock(mu_);
  const Access a = access_locked(owner);
  if (a == Access::ok) ++received_;
  return a;
}

LeaveReason ResumeRecord::end_reason() const {
  std::lock_guard lock(mu_);
  return end_reason_;
}

// ---- ResumeRegistry ----

ResumeRegistry::ResumeRegistry(ResumeConfig config, Router& router, Counters& counters, metrics::Registry& m)
    : config_(config),
      router_(router),
      counters_(counters),
      parked_gauge_(m.gauge("signalbox_resume_sessions_parked",
                            "Sessions whose connection dropped, waiting for a resume within the window.")),
      parked_total_(m.counter("signalbox_resume_parked_total", "Sessions parked when their connection dropped.")),
      drained_total_(m.counter("signalbox_resume_drained_total",
                               "Sessions parked because the node drained (SIGTERM in a cluster), for their clients "
                               "to resume on another node (also counted in signalbox_resume_parked_total).")),
      resumed_total_(m.counter("signalbox_resume_succeeded_total", "Resumes that re-attached a session.")),
      refused_total_(m.counter_family<ResumeRefusal, kResumeRefusalCount>(
          "signalbox_resume_refused_total", "Resumes refused, by cause.", "cause",
          [](ResumeRefusal r) { return to_string(r); })),
      replayed_total_(m.counter("signalbox_resume_replayed_messages_total",
                                "Kept messages written again to a resumed session's new connection.")),
      ended_timeout_(m.counter("signalbox_resume_ended_total",
                               "Parked sessions that ended without a resume, by cause.", {{"cause", "timeout"}})),
      ended_overflow_(m.counter("signalbox_resume_ended_total",
                                "Parked sessions that ended without a resume, by cause.", {{"cause", "overflow"}})),
      ended_limit_(m.counter("signalbox_resume_ended_total",
                             "Parked sessions that ended without a resume, by cause.", {{"cause", "limit"}})) {}

std::shared_ptr<ResumeRecord> ResumeRegistry::make_record(std::string room, std::uint64_t owner,
                                                          std::weak_ptr<Member> connection) {
  return std::make_shared<ResumeRecord>(*this, std::move(room), owner, std::move(connection));
}

std::optional<ResumeTicket> ResumeRegistry::add(const std::shared_ptr<ResumeRecord>& record) {
  ResumeTicket ticket{util::random_hex(16), util::random_hex(16), seconds(config_.window)};
  std::lock_guard lock(mu_);
  std::lock_guard rlock(record->mu_);
  if (record->ended_) return std::nullopt;
  record->session_id_ = ticket.session;
  record->secret_hash_ = hash_secret(ticket.secret);
  sessions_.emplace(ticket.session, record);
  return ticket;
}

ResumeRegistry::Ended ResumeRegistry::end_locked(ResumeRecord& record, LeaveReason reason) {
  record.ended_ = true;
  record.end_reason_ = reason;
  if (record.owner_ == 0) {
    --parked_;
    parked_gauge_.sub(1);
  }
  if (!record.session_id_.empty()) sessions_.erase(record.session_id_);
  record.kept_.clear();
  record.kept_bytes_ = 0;
  return Ended{record.room_, record.peer_id_, reason};
}

ResumeRegistry::Park ResumeRegistry::park(const std::shared_ptr<ResumeRecord>& record, std::uint64_t owner,
                                          util::TimePoint now, bool drained) {
  util::TimePoint deadline;
  std::string room, peer_id;
  {
    std::lock_guard lock(mu_);
    std::lock_guard rlock(record->mu_);
    if (record->owner_ != owner || record->ended_) return Park::replaced;
    if (parked_ >= config_.max_parked || record->session_id_.empty()) {
      ended_limit_.inc();
      record->ended_ = true;
      record->end_reason_ = LeaveReason::disconnect;
      if (!record->session_id_.empty()) sessions_.erase(record->session_id_);
      return Park::refused;
    }
    record->owner_ = 0;
    record->connection_.reset();
    record->rung_ = false;
    record->deadline_ = deadline = now + config_.window;
    record->told_reconnecting_ = true;
    expiries_.push_back(Expiry{deadline, record->session_id_, ++record->park_generation_});
    ++parked_;
    room = record->room_;
    peer_id = record->peer_id_;
  }
  parked_gauge_.add(1);
  parked_total_.inc();
  if (drained) drained_total_.inc();
  router_.set_status(room, peer_id, PeerStatus::reconnecting);
  if (wake_) wake_(deadline);
  return Park::parked;
}

bool ResumeRegistry::remove(const std::shared_ptr<ResumeRecord>& record, std::uint64_t owner) {
  std::lock_guard lock(mu_);
  std::lock_guard rlock(record->mu_);
  if (record->owner_ != owner || record->ended_) return false;
  end_locked(*record, LeaveReason::bye);
  return true;
}

ResumeOutcome ResumeRegistry::resume(const msg::Resume& request, std::uint64_t owner,
                                     std::weak_ptr<Member> connection, util::TimePoint, bool ask_others) {
  std::optional<Ended> ended;
  bool was_parked = false;
  ResumeOutcome outcome = refusal(ResumeRefusal::expired, "no session " + request.session +
                                                              " is waiting here: its window passed, it ended, or it never existed");
  bool ask = false;
  {
    std::lock_guard lock(mu_);
    if (auto it = sessions_.find(request.session); it != sessions_.end()) {
      auto record = it->second;  // end_locked may erase the map's reference
      std::lock_guard rlock(record->mu_);
      outcome = take_over_locked(*record, request, owner, connection, ended, was_parked);
      if (auto* ok = std::get_if<ResumeAccepted>(&outcome)) ok->record = record;
    } else if (ask_others && finder_ != nullptr) {
      // Maybe another node holds it: the connection waits for their answer (one question per session id).
      ask = asking_.insert_or_assign(request.session, connection).second;
      outcome = ResumeAsked{};
    }
  }
  if (ask) finder_->find(request.session, hash_secret(request.secret), request.seq);
  if (ended) router_.leave(ended->room, ended->peer_id, ended->reason);
  if (auto* ok = std::get_if<ResumeAccepted>(&outcome)) {
    resumed_total_.inc();
    if (was_parked) router_.set_status(ok->room, ok->peer_id, PeerStatus::resumed);
  } else if (auto* failed = std::get_if<ResumeFailed>(&outcome); failed && failed->reason) {
    count_refusal(*failed->reason);
  }
  return outcome;
}

std::optional<ResumeFailed> ResumeRegistry::check_locked(ResumeRecord& r, const SecretHash& hash, std::uint64_t seq,
                                                         std::optional<Ended>& ended) {
  if (!same_hash(hash, r.secret_hash_)) {
    for (const auto& old : r.old_hashes_) {
      if (!same_hash(hash, old)) continue;
      ended = end_locked(r, LeaveReason::disconnect);
      return refusal(ResumeRefusal::replayed,
                     "this secret was replaced by an earlier resume; the session has ended (join again)");
    }
    return refusal(ResumeRefusal::secret, "the secret does not match session " + r.session_id_);
  }
  if (seq >= r.next_seq_) {
    return ResumeFailed{ErrorCode::invalid_message, std::nullopt,
                        "seq " + std::to_string(seq) + " was never sent (the last is " +
                            std::to_string(r.next_seq_ - 1) + ")"};
  }
  if (seq + 1 < r.floor_locked()) {
    ended = end_locked(r, LeaveReason::dropped);
    return refusal(ResumeRefusal::lost, "messages after seq " + std::to_string(seq) +
                                            " are no longer kept; the session has ended (join again)");
  }
  return std::nullopt;
}

ResumeOutcome ResumeRegistry::take_over_locked(ResumeRecord& r, const msg::Resume& request, std::uint64_t owner,
                                               std::weak_ptr<Member> connection, std::optional<Ended>& ended,
                                               bool& was_parked) {
  if (auto failed = check_locked(r, hash_secret(request.secret), request.seq, ended)) return std::move(*failed);
  // The client has everything up to its seq; everything after it is written again.
  while (!r.kept_.empty() && r.kept_.front().seq <= request.seq) {
    r.kept_bytes_ -= r.kept_.front().frame->size();
    r.kept_.pop_front();
  }
  replayed_total_.inc(r.next_seq_ - 1 - request.seq);
  r.written_ = request.seq;
  was_parked = r.owner_ == 0 && r.told_reconnecting_;
  if (r.owner_ == 0) {
    --parked_;
    parked_gauge_.sub(1);
  }
  r.told_reconnecting_ = false;
  r.owner_ = owner;
  r.connection_ = std::move(connection);
  r.rung_ = false;
  // The secret rotates: the one just used is worthless from now on (and recognized if replayed).
  ResumeTicket ticket{r.session_id_, util::random_hex(16), seconds(config_.window)};
  r.old_hashes_.push_back(r.secret_hash_);
  if (r.old_hashes_.size() > kOldSecrets) r.old_hashes_.erase(r.old_hashes_.begin());
  r.secret_hash_ = hash_secret(ticket.secret);
  return ResumeAccepted{nullptr, r.room_, r.peer_id_, std::move(ticket), r.received_};
}

void ResumeRegistry::end_overflowed(ResumeRecord& record, Event event) {
  std::optional<Ended> ended;
  std::shared_ptr<Member> wake;
  {
    std::lock_guard lock(mu_);
    std::lock_guard rlock(record.mu_);
    if (record.ended_) return;
    if (record.owner_ == 0) ended_overflow_.inc();
    ended = end_locked(record, LeaveReason::dropped);
    if (record.owner_ != 0) wake = record.connection_.lock();
  }
  router_.leave(ended->room, ended->peer_id, ended->reason);
  // The connection finds the session ended at its next call and closes (4000), as for a full send queue.
  if (wake) wake->deliver(std::move(event));
}

std::optional<util::TimePoint> ResumeRegistry::expire(util::TimePoint now) {
  std::vector<Ended> ended;
  std::optional<util::TimePoint> next;
  {
    std::lock_guard lock(mu_);
    while (!expiries_.empty() && expiries_.front().deadline <= now) {
      Expiry e = std::move(expiries_.front());
      expiries_.pop_front();
      auto it = sessions_.find(e.session_id);
      if (it == sessions_.end()) continue;
      auto record = it->second;
      std::lock_guard rlock(record->mu_);
      // A session resumed (and maybe parked again) since this entry was made is not due.
      if (record->owner_ != 0 || record->ended_ || record->park_generation_ != e.generation) continue;
      ended.push_back(end_locked(*record, LeaveReason::timeout));
      ended_timeout_.inc();
    }
    if (!expiries_.empty()) next = expiries_.front().deadline;
  }
  for (const auto& e : ended) router_.leave(e.room, e.peer_id, e.reason);
  return next;
}

// ---- Resume across nodes ----

SecretHash ResumeRegistry::hash_of(std::string_view secret) { return hash_secret(secret); }

std::optional<HandOver> ResumeRegistry::hand_over(const std::string& session, const SecretHash& hash,
                                                  std::uint64_t seq,
                                                  std::function<void(std::shared_ptr<const std::string>)> forward) {
  std::optional<Ended> ended;
  std::optional<HandOver> out;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(session);
    if (it == sessions_.end()) return std::nullopt;
    auto record = it->second;
    std::lock_guard rlock(record->mu_);
    ResumeRecord& r = *record;
    if (auto failed = check_locked(r, hash, seq, ended)) {
      out = std::move(*failed);
    } else {
      SessionTransfer t{r.session_id_, r.room_, r.peer_id_, r.grant, r.secret_hash_, r.old_hashes_,
                        r.next_seq_, r.received_, r.owner_ == 0 && r.told_reconnecting_, {}};
      for (const auto& k : r.kept_) {
        if (k.seq > seq) t.frames.push_back(k);
      }
      if (r.owner_ == 0) {
        --parked_;
        parked_gauge_.sub(1);
      }
      // Gone from here: a connection that still owns it finds it taken over (4002), and the room's events for
      // it go on to the new node.
      handed_.insert_or_assign(r.session_id_, record);  // the router's member only holds it weakly
      sessions_.erase(r.session_id_);
      r.ended_ = true;
      r.owner_ = 0;
      r.connection_.reset();
      r.kept_.clear();
      r.kept_bytes_ = 0;
      r.forward_ = std::move(forward);
      out = std::move(t);
    }
  }
  if (ended) router_.leave(ended->room, ended->peer_id, ended->reason);
  return out;
}

void ResumeRegistry::handed_over(const std::string& session) {
  std::shared_ptr<ResumeRecord> last;  // released outside the lock
  std::lock_guard lock(mu_);
  if (auto it = handed_.find(session); it != handed_.end()) {
    last = std::move(it->second);
    handed_.erase(it);
  }
}

std::shared_ptr<ResumeRecord> ResumeRegistry::adopt(SessionTransfer t, util::TimePoint now) {
  auto record = make_record(t.room, 0, {});
  record->grant = std::move(t.grant);
  const util::TimePoint deadline = now + config_.window;
  {
    std::lock_guard lock(mu_);
    if (sessions_.contains(t.session)) return nullptr;
    std::lock_guard rlock(record->mu_);
    ResumeRecord& r = *record;
    r.peer_id_ = std::move(t.peer_id);
    r.session_id_ = t.session;
    r.secret_hash_ = t.secret_hash;
    r.old_hashes_ = std::move(t.old_hashes);
    r.joined_ = true;
    r.next_seq_ = t.next_seq;
    r.received_ = t.received;
    r.told_reconnecting_ = t.told_reconnecting;
    for (auto& k : t.frames) {
      r.kept_bytes_ += k.frame->size();
      r.kept_.push_back(std::move(k));
    }
    r.written_ = r.kept_.empty() ? r.next_seq_ - 1 : r.kept_.front().seq - 1;
    r.deadline_ = deadline;
    expiries_.push_back(Expiry{deadline, t.session, ++r.park_generation_});
    ++parked_;
    sessions_.emplace(std::move(t.session), record);
  }
  parked_gauge_.add(1);
  if (wake_) wake_(deadline);
  return record;
}

void ResumeRegistry::forwarded(const std::string& session, std::shared_ptr<const std::string> frame) {
  std::shared_ptr<ResumeRecord> record;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(session);
    if (it == sessions_.end()) return;  // ended here meanwhile (or never arrived): the frame has nobody to go to
    record = it->second;
  }
  record->keep(std::move(frame));
}

void ResumeRegistry::answer(const std::string& session, std::optional<ResumeFailed> refused) {
  std::shared_ptr<Member> waiting;
  {
    std::lock_guard lock(mu_);
    auto it = asking_.find(session);
    if (it == asking_.end()) return;
    waiting = it->second.lock();
    asking_.erase(it);
  }
  if (refused && refused->reason) count_refusal(*refused->reason);
  if (!waiting) return;  // the connection is gone; an adopted session waits here for its window
  event::ResumeAnswer a{session, !refused, ErrorCode::resume_refused, std::nullopt, {}};
  if (refused) {
    a.code = refused->code;
    a.reason = refused->reason;
    a.message = std::move(refused->message);
  }
  waiting->deliver(std::move(a));
}

void ResumeRegistry::count_refusal(ResumeRefusal reason) {
  refused_total_[static_cast<std::size_t>(reason)]->inc();
}

std::size_t ResumeRegistry::parked() const {
  std::lock_guard lock(mu_);
  return parked_;
}

std::size_t ResumeRegistry::size() const {
  std::lock_guard lock(mu_);
  return sessions_.size();
}

std::size_t ResumeRegistry::waiting() const {
  std::lock_guard lock(mu_);
  return parked_ + handed_.size();
}

}  // namespace sb::signaling
