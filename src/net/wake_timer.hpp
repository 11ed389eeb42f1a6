// A timer for state that has no connection of its own to keep time for it (sessions parked for a resume):
// runs a callback on one io_context at the earliest time requested so far, then at whatever time the callback
// returns. request() may be called from any thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>

#include "util/clock.hpp"

namespace sb::net {

class WakeTimer : public std::enable_shared_from_this<WakeTimer> {
 public:
  // `fn(now)` does what is due and returns the next time it wants to run, if any.
  using Callback = std::function<std::optional<util::TimePoint>(util::TimePoint now)>;

  WakeTimer(boost::asio::io_context& io, Callback fn);
  // Thread-safe: runs the callback at `at` or earlier (if something else asked for earlier).
  void request(util::TimePoint at);
  // Thread-safe: no callback runs after the cancel has reached the io_context.
  void cancel();

 private:
  void arm(util::TimePoint at);  // on the io_context
  void fire();

  boost::asio::steady_timer timer_;
  Callback fn_;
  // Touched only on the io_context.
  std::optional<util::TimePoint> armed_at_;
  bool cancelled_ = false;
};

}  // namespace sb::net
