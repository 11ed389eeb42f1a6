#include "signaling/peerjs/pending.hpp"

#include <algorithm>

namespace sb::signaling::peerjs {
namespace {

std::size_t size_of(const PendingRelay& r) {
  return r.frame ? r.frame->size() : 0;
}

}  // namespace

std::vector<PendingRelays::Target>::iterator PendingRelays::find(std::string_view to) {
  return std::find_if(targets_.begin(), targets_.end(), [&](const Target& t) { return t.to == to; });
}

PendingRelays::Result PendingRelays::add(std::string_view to, PendingRelay relay, util::TimePoint now) {
  const std::size_t size = size_of(relay);
  if (bytes_ + size > limits_.max_bytes) return Result::full;
  auto it = find(to);
  if (it == targets_.end()) {
    if (targets_.size() >= limits_.max_targets) return Result::full;
    targets_.push_back(Target{std::string(to), now + timeout_, {}});
    it = std::prev(targets_.end());
  }
  if (it->relays.size() >= limits_.max_messages_per_target) return Result::full;
  bytes_ += size;
  it->relays.push_back(std::move(relay));
  return Result::queued;
}

bool PendingRelays::waiting_for(std::string_view to) const {
  return std::any_of(targets_.begin(), targets_.end(), [&](const Target& t) { return t.to == to; });
}

std::vector<PendingRelay> PendingRelays::take(std::string_view to) {
  auto it = find(to);
  if (it == targets_.end()) return {};
  std::vector<PendingRelay> out = std::move(it->relays);
  for (const auto& r : out) bytes_ -= size_of(r);
  targets_.erase(it);
  return out;
}

std::vector<std::string> PendingRelays::expire(util::TimePoint now) {
  std::vector<std::string> expired;
  for (auto it = targets_.begin(); it != targets_.end();) {
    if (it->deadline > now) {
      ++it;
      continue;
    }
    for (const auto& r : it->relays) bytes_ -= size_of(r);
    expired.push_back(std::move(it->to));
    it = targets_.erase(it);
  }
  return expired;
}

std::optional<util::TimePoint> PendingRelays::next_deadline() const {
  std::optional<util::TimePoint> next;
  for (const auto& t : targets_) {
    if (!next || t.deadline < *next) next = t.deadline;
  }
  return next;
}

std::size_t PendingRelays::message_count() const {
  std::size_t n = 0;
  for (const auto& t : targets_) n += t.relays.size();
  return n;
}

}  // namespace sb::signaling::peerjs
