// Re-attaching a PeerJS id, as peer 1.0.x does: a connection that comes with an id that is connected and the
// same token takes the id over, without OPEN; with another token it gets ID-TAKEN (docs/compatibility.md).
//
// The ids of this node's PeerJS sessions, with their tokens. A new session asks here before it joins: when
// the id is held on this node with the same token, the registry takes the id from its holder (marks it
// replaced, takes it out of the router's room) and joins the newcomer in its place, all under one lock, so
// the old connection's own leave, racing the hand-over, can never remove the new member. The old session
// finds the mark at its next call (it is woken with an event) and closes its connection without leaving.
//
// Across the nodes of a cluster the router does the same: every join carries the SHA-256 of its token
// (JoinRequest::token_digest, never the token), the router keeps it with the id's record, and a join with the
// digest of an id held on another node takes the id over from there; that node's router then tells this registry
// (IdHolder::handed_over), which closes the old connection as on one node (docs/cluster.md, "Re-attach across
// nodes"). No I/O; thread-safe.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "signaling/events.hpp"
#include "signaling/router.hpp"

namespace sb::signaling::peerjs {

class Attachments final : public IdHolder {
 public:
  // One session's hold on its id; the registry keeps it while the id is attached there.
  struct Hold {
    std::string token;
    std::weak_ptr<Member> member;
    std::atomic<bool> replaced{false};  // another connection took the id over: close, do not leave
  };

  enum class Outcome : std::uint8_t {
    joined,      // nobody here held the id: joined as usual (the router may still refuse it)
    taken_over,  // same token: the holder was replaced, and `request` joined in its place
    id_taken,    // another token: nothing joined
  };

  // Registers with `router` as its IdHolder for as long as it lives.
  explicit Attachments(Router& router);
  ~Attachments() override;
  Attachments(const Attachments&) = delete;
  Attachments& operator=(const Attachments&) = delete;

  // Joins `request` (whose self.id is the client's id) for `hold`, taking the id over from its holder on
  // this node when the tokens match. `hold` is registered once the join is admitted (admitted, below).
  Outcome join(JoinRequest request, const std::shared_ptr<Hold>& hold, std::weak_ptr<Member> member);
  // The join of `hold` was admitted: the id is attached to it now.
  void admitted(std::string_view room, std::string_view id, const std::shared_ptr<Hold>& hold);
  // Leaves the room for `hold`, unless it was replaced (then the id is its successor's). Idempotent.
  void leave(std::string_view room, std::string_view id, const std::shared_ptr<Hold>& hold,
             LeaveReason reason);

  // Another node took `id` over (its router has forgotten the member here): the holder is marked replaced and
  // woken, and closes its connection without leaving.
  void handed_over(std::string_view room, std::string_view id) override;

  std::size_t size() const;

 private:
  static std::string key(std::string_view room, std::string_view id);
  // Marks the holder of `it` replaced and forgets it; returns its member, to be woken outside the lock.
  std::weak_ptr<Member> replace_locked(std::unordered_map<std::string, std::shared_ptr<Hold>>::iterator it);

  Router& router_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Hold>> held_;  // "<room>\n<id>"
};

}  // namespace sb::signaling::peerjs
