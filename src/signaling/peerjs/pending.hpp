// The relays one PeerJS session holds for targets that are not connected (yet). peer 1.0.x queues OFFER,
// ANSWER and CANDIDATE for an id that is not connected, delivers them when the id connects, and answers the
// sender with one EXPIRE once the expire timeout has passed since the first of them (docs/compatibility.md).
// signalbox keeps that queue in the sender's session: the router hands back what it could not deliver
// (Undeliverable carries the frame), and tells the session when the target joins, on whichever node.
//
// No I/O and no clock of its own (times come in); bounded in targets, messages and bytes. One session's.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/counters.hpp"
#include "util/clock.hpp"

namespace sb::signaling::peerjs {

struct PendingLimits {
  std::size_t max_targets = 16;              // ids one session waits for at once
  std::size_t max_messages_per_target = 64;  // an offer and its candidates are ~10-30
  std::size_t max_bytes = 256 * 1024;        // all frames of the session, as serialized
};

struct PendingRelay {
  RelayedType type = RelayedType::offer;
  std::shared_ptr<const std::string> frame;
};

class PendingRelays {
 public:
  PendingRelays(PendingLimits limits, util::Duration expire_timeout)
      : limits_(limits), timeout_(expire_timeout) {}

  enum class Result : std::uint8_t { queued, full };
  // Queues a relay for `to`; its expiry counts from the first relay queued for `to`.
  Result add(std::string_view to, PendingRelay relay, util::TimePoint now);
  // True while relays for `to` wait: a new one must queue behind them, to keep the order.
  bool waiting_for(std::string_view to) const;
  // `to` has arrived: everything queued for it, in order; nothing waits for it afterwards.
  std::vector<PendingRelay> take(std::string_view to);
  // Drops every target whose first relay is `expire_timeout` old at `now`; returns those targets (each is
  // owed one EXPIRE).
  std::vector<std::string> expire(util::TimePoint now);
  // When expire() next has something to do; nullopt when nothing waits.
  std::optional<util::TimePoint> next_deadline() const;

  std::size_t target_count() const { return targets_.size(); }
  std::size_t message_count() const;
  std::size_t byte_count() const { return bytes_; }

 private:
  struct Target {
    std::string to;
    util::TimePoint deadline;
    std::vector<PendingRelay> relays;
  };
  std::vector<Target>::iterator find(std::string_view to);

  const PendingLimits limits_;
  const util::Duration timeout_;
  std::vector<Target> targets_;  // a few per session: a vector, in order of first use
  std::size_t bytes_ = 0;
};

}  // namespace sb::signaling::peerjs
