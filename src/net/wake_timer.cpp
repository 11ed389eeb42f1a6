#include "net/wake_timer.hpp"

#include <boost/asio/post.hpp>

namespace sb::net {

WakeTimer::WakeTimer(boost::asio::io_context& io, Callback fn) : timer_(io), fn_(std::move(fn)) {}

void WakeTimer::request(util::TimePoint at) {
  boost::asio::post(timer_.get_executor(), [self = shared_from_this(), at] { self->arm(at); });
}

void WakeTimer::cancel() {
  boost::asio::post(timer_.get_executor(), [self = shared_from_this()] {
    self->cancelled_ = true;
    self->timer_.cancel();
  });
}

void WakeTimer::arm(util::TimePoint at) {
  if (cancelled_ || (armed_at_ && *armed_at_ <= at)) return;
  armed_at_ = at;
  timer_.expires_at(at);  // cancels an earlier wait, whose handler then sees operation_aborted
  timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->fire();
  });
}

void WakeTimer::fire() {
  armed_at_.reset();
  if (cancelled_) return;
  if (auto next = fn_(std::chrono::steady_clock::now())) arm(*next);
}

}  // namespace sb::net
