// RedisRouter: session resume across nodes (docs/cluster.md, "Resume across nodes"). A node that gets a `resume`
// for a session it does not hold asks every other node (Find); the holder checks the secret and, if it is right,
// hands the session over: its registry gives the session up (frames that still reach it follow as Kept), and one
// script moves the member's record to the asking node, publishes the Transfer there and tells the room's other
// nodes (Moved). The asking node holds the session from then on, parked, and its client resumes it there.
#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "cluster/redis_router.hpp"

namespace sb::cluster {

namespace asio = boost::asio;
using signaling::ResumeFailed;
using signaling::ResumeRefusal;

namespace {

ResumeFailed expired(std::string message) {
  return ResumeFailed{signaling::ErrorCode::resume_refused, ResumeRefusal::expired, std::move(message)};
}

}  // namespace

void RedisRouter::set_sessions(std::shared_ptr<signaling::ResumeRegistry> sessions,
                               std::shared_ptr<const util::Clock> clock) {
  sessions_ = std::move(sessions);
  clock_ = std::move(clock);
  if (sessions_) sessions_->set_finder(this);
}

// Any thread (the registry's call).
void RedisRouter::find(const std::string& session, const signaling::SecretHash& hash, std::uint64_t seq) {
  asio::post(io_, [this, session, payload = encode_find(config_.node_id, session, seq, hash)] {
    send_find(session, payload);
  });
}

void RedisRouter::send_find(const std::string& session, const std::string& payload) {
  if (finds_.contains(session)) return;  // asked already: the answer serves both
  if (!up_ || !scripts_loaded_) return found(session, expired("the cluster cannot be asked for the session now; join again"));
  if (finds_.size() >= config_.max_resume_finds) {
    return found(session, expired("too many resumes are waiting for other nodes; join again"));
  }
  auto timer = std::make_shared<asio::steady_timer>(io_, config_.resume_find_timeout);
  finds_.emplace(session, PendingFind{-1, 0, timer});
  timer->async_wait([this, session](boost::system::error_code ec) {
    if (!ec) found(session, expired("no node answered for session " + session + " in time; join again"));
  });
  const auto done = [this, session](net::RedisReply r) {
    auto it = finds_.find(session);
    if (it == finds_.end()) return;
    if (r.null() || r.is_error()) return found(session, expired("the cluster could not be asked; join again"));
    it->second.due = r.integer();
    if (it->second.answered >= it->second.due) {
      found(session, expired("no session " + session + " is waiting on any node: its window passed, it ended, "
                             "its node stopped, or it never existed"));
    }
  };
  if (!eval(Script::find_session, {keys_.nodes()}, {config_.node_id, keys_.channel_prefix(), payload}, done)) {
    done(net::RedisReply(nullptr));
  }
}

void RedisRouter::found(const std::string& session, std::optional<ResumeFailed> refused) {
  if (auto it = finds_.find(session); it != finds_.end()) {
    it->second.timer->cancel();
    finds_.erase(it);
  }
  if (sessions_) sessions_->answer(session, std::move(refused));
}

void RedisRouter::on(const bus::Find& m) {
  const std::string origin(m.origin), session(m.session);
  if (!sessions_) return publish(origin, encode_not_here(session));
  // From now on what reaches the record goes to the new node, in order, after the Transfer (one connection).
  auto forward = [this, origin, session](std::shared_ptr<const std::string> frame) {
    asio::post(io_, [this, origin, payload = encode_kept(session, *frame)] { publish(origin, payload); });
  };
  auto answer = sessions_->hand_over(session, m.hash, m.seq, std::move(forward));
  if (!answer) return publish(origin, encode_not_here(session));
  if (auto* refused = std::get_if<ResumeFailed>(&*answer)) return publish(origin, encode_refusal(session, *refused));
  hand_over(origin, std::move(std::get<signaling::SessionTransfer>(*answer)));
}

// The session leaves this node: its member record goes to `to` with it.
void RedisRouter::hand_over(const std::string& to, signaling::SessionTransfer session) {
  const std::string room = session.room, id = session.peer_id, name = session.session;
  bus::Transfer t;
  {
    std::lock_guard lock(mu_);
    if (auto r = rooms_.find(room); r != rooms_.end()) {
      if (auto self = r->second.local.find(id); self != r->second.local.end() && self->second.admitted) {
        t.seq = self->second.seq;
        t.presence = self->second.presence;
        t.peer = self->second.info;
        // Whom the peer knows: the new node has to know them too (for their peer-left, peer-reconnecting...).
        for (const auto& [other, o] : r->second.local) {
          if (other != id && o.admitted && o.presence) {
            t.roster.push_back({config_.node_id, o.seq, o.announced, o.info});
          }
        }
        for (const auto& [other, o] : r->second.remote) t.roster.push_back({o.node, o.seq, o.announced, o.info});
      }
    }
  }
  if (t.peer.id.empty()) return on_moved(name, room, id, to, false);  // not a member here (any more)
  t.session = std::move(session);
  const std::string payload = encode_transfer(t), moved = encode_moved(room, id, to);
  auto done = [this, name, room, id, to](net::RedisReply r) {
    on_moved(name, room, id, to, !r.null() && !r.is_error() && r.integer() == 1);
  };
  if (!eval(Script::move_member, {keys_.room(room), keys_.members(config_.node_id), keys_.members(to)},
            {id, config_.node_id, to, payload, moved, keys_.channel_prefix(), room}, done)) {
    on_moved(name, room, id, to, false);
  }
}

// The script ran: the member is `to`'s now, and this node forgets it without a word to the room (it did not
// leave). When it did not run, the session is over (the registry here gave it up): the member leaves, and the
// asking node refuses the resume.
void RedisRouter::on_moved(const std::string& session, const std::string& room, const std::string& id,
                           const std::string& to, bool moved) {
  if (!moved) {
    spdlog::warn("cluster: session {} (peer {} in room {}) could not move to node {}; it ends", session, id, room, to);
    publish(to, encode_refusal(session, expired("the session's node could not hand it over; join again")));
    leave(room, id, signaling::LeaveReason::disconnect);
    if (sessions_) sessions_->handed_over(session);
    return;
  }
  forget_moved(room, id, to);
  if (sessions_) sessions_->handed_over(session);
}

void RedisRouter::forget_moved(const std::string& room, const std::string& id, const std::string& to) {
  std::lock_guard lock(mu_);
  auto r = rooms_.find(room);
  if (r == rooms_.end()) return;
  auto e = r->second.local.find(id);
  if (e == r->second.local.end()) return;
  const LocalEntry gone = std::move(e->second);
  r->second.local.erase(e);
  --local_peers_;
  for (const auto& target : gone.watching) unwatch_locked(room, r->second, id, target);
  if (gone.presence && !r->second.local.empty()) {
    r->second.remote.insert_or_assign(id, RemoteEntry{to, gone.info, gone.seq, gone.announced});
  }
  erase_if_empty_locked(room);
}

void RedisRouter::on(const bus::Transfer& m) {
  if (!sessions_) return;
  const std::string session = m.session.session, room = m.session.room, id = m.peer.id;
  auto record = sessions_->adopt(m.session, clock_->now());
  if (!record) return;  // held here already
  {
    std::lock_guard lock(mu_);
    auto& view = rooms_[room];
    view.remote.erase(id);
    LocalEntry self{m.peer, record, m.seq, m.presence};
    self.admitted = self.announced = true;
    view.local.insert_or_assign(id, std::move(self));
    ++local_peers_;
    for (const auto& o : m.roster) {
      if (o.node == config_.node_id || o.peer.id == id || view.local.contains(o.peer.id)) continue;
      if (!view.remote.contains(o.peer.id)) {
        view.remote.emplace(o.peer.id, RemoteEntry{o.node, o.peer, o.seq, o.announced});
      }
    }
  }
  found(session, std::nullopt);  // the connection that asked resumes it here now
}

void RedisRouter::on(const bus::NotHere& m) {
  auto it = finds_.find(m.session);
  if (it == finds_.end()) return;
  if (++it->second.answered >= it->second.due && it->second.due >= 0) {
    found(std::string(m.session), expired("no session " + std::string(m.session) +
                                          " is waiting on any node: its window passed, it ended, its node "
                                          "stopped, or it never existed"));
  }
}

void RedisRouter::on(const bus::Refusal& m) {
  if (finds_.contains(m.session)) found(m.session, m.failed);
}

void RedisRouter::on(const bus::Kept& m) {
  if (sessions_) sessions_->forwarded(std::string(m.session), std::make_shared<const std::string>(m.frame));
}

void RedisRouter::on(const bus::Moved& m) {
  if (m.node == config_.node_id) return;
  std::lock_guard lock(mu_);
  auto r = rooms_.find(m.room);
  if (r == rooms_.end()) return;
  if (auto e = r->second.remote.find(m.id); e != r->second.remote.end()) e->second.node = std::string(m.node);
}

}  // namespace sb::cluster
