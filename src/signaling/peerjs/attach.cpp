#include "signaling/peerjs/attach.hpp"

#include <openssl/crypto.h>

#include "signaling/resume.hpp"

namespace sb::signaling::peerjs {
namespace {

bool same_token(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

Attachments::Attachments(Router& router) : router_(router) { router_.set_id_holder(this); }

Attachments::~Attachments() { router_.set_id_holder(nullptr); }

std::string Attachments::key(std::string_view room, std::string_view id) {
  std::string k;
  k.reserve(room.size() + 1 + id.size());
  k.append(room).push_back('\n');
  k.append(id);
  return k;
}

Attachments::Outcome Attachments::join(JoinRequest request, const std::shared_ptr<Hold>& hold,
                                       std::weak_ptr<Member> member) {
  std::weak_ptr<Member> replaced;
  Outcome outcome = Outcome::joined;
  // For a holder on another node of a cluster: the router checks the digest, never sees the token.
  request.token_digest = ResumeRegistry::hash_of(hold->token);
  {
    std::lock_guard lock(mu_);
    auto it = held_.find(key(request.room, request.self.id));
    if (it != held_.end() && it->second != hold) {
      if (!same_token(it->second->token, hold->token)) return Outcome::id_taken;
      // The old member leaves without a word to anyone (PeerJS has no presence), and the new one joins in
      // its place before any other leave or join of this id can run: both go through this lock.
      replaced = replace_locked(it);
      router_.leave(request.room, request.self.id, LeaveReason::disconnect);
      outcome = Outcome::taken_over;
    }
    router_.join(std::move(request), std::move(member));
  }
  // Wakes the old session, which then sees it was replaced and closes its connection.
  if (auto m = replaced.lock()) m->deliver(event::Drain{});
  return outcome;
}

std::weak_ptr<Member> Attachments::replace_locked(
    std::unordered_map<std::string, std::shared_ptr<Hold>>::iterator it) {
  it->second->replaced.store(true, std::memory_order_release);
  auto member = it->second->member;
  held_.erase(it);
  return member;
}

void Attachments::handed_over(std::string_view room, std::string_view id) {
  std::weak_ptr<Member> replaced;
  {
    std::lock_guard lock(mu_);
    auto it = held_.find(key(room, id));
    if (it == held_.end()) return;  // its connection closed meanwhile
    replaced = replace_locked(it);
  }
  if (auto m = replaced.lock()) m->deliver(event::Drain{});
}

void Attachments::admitted(std::string_view room, std::string_view id, const std::shared_ptr<Hold>& hold) {
  std::lock_guard lock(mu_);
  if (hold->replaced.load(std::memory_order_acquire)) return;
  held_[key(room, id)] = hold;
}

void Attachments::leave(std::string_view room, std::string_view id, const std::shared_ptr<Hold>& hold,
                        LeaveReason reason) {
  std::lock_guard lock(mu_);
  if (hold->replaced.load(std::memory_order_acquire)) return;  // the id is its successor's now
  auto it = held_.find(key(room, id));
  if (it != held_.end() && it->second == hold) held_.erase(it);
  router_.leave(room, id, reason);
}

std::size_t Attachments::size() const {
  std::lock_guard lock(mu_);
  return held_.size();
}

}  // namespace sb::signaling::peerjs
