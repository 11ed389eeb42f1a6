// Fakes of what src/net gives a protocol session, for tests without sockets: FakeLink records the frames a
// session writes to its own connection; FakeMember records the events a router delivers to a member.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/events.hpp"
#include "signaling/peer_link.hpp"
#include "signaling/protocol.hpp"

namespace sb::signaling::testing {

class FakeLink final : public PeerLink {
 public:
  void send(std::shared_ptr<const std::string> frame) override { frames_.push_back(*frame); }
  void close(std::uint16_t code, std::string reason) override {
    close_code_ = code;
    close_reason_ = std::move(reason);
  }

  const std::vector<std::string>& frames() const { return frames_; }
  // Parses and removes every frame received so far.
  std::vector<ServerMessage> take() {
    std::vector<ServerMessage> out;
    for (const auto& f : frames_) {
      auto p = parse_server_message(f, Limits{});
      if (auto* m = std::get_if<ServerMessage>(&p))
        out.push_back(std::move(*m));
      else
        out.push_back(msg::Error{ErrorCode::invalid_json, "unparseable frame from server: " + f, "", ""});
    }
    frames_.clear();
    return out;
  }
  int close_code() const { return close_code_; }

 private:
  std::vector<std::string> frames_;
  int close_code_ = 0;
  std::string close_reason_;
};

// Thread-safe, as Member must be: asynchronous routers deliver from their own threads.
class FakeMember final : public Member {
 public:
  void deliver(Event event) override {
    {
      std::lock_guard lock(mu_);
      events_.push_back(std::move(event));
    }
    cv_.notify_all();
  }

  // Removes and returns every event received so far.
  std::vector<Event> take() {
    std::lock_guard lock(mu_);
    std::vector<Event> out;
    out.swap(events_);
    return out;
  }
  // Waits until at least `n` events are queued (or `timeout` passes); then takes them all.
  std::vector<Event> take_at_least(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return events_.size() >= n; });
    std::vector<Event> out;
    out.swap(events_);
    return out;
  }
  std::size_t size() const {
    std::lock_guard lock(mu_);
    return events_.size();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Event> events_;
};

// One connection of a protocol session under test (S: Session, or another wire protocol's session).
template <class S>
struct Connection {
  FakeLink link;
  std::shared_ptr<FakeMember> member = std::make_shared<FakeMember>();
  std::unique_ptr<S> session;
  std::string id;
};

// Hands every event the router delivered to each connection's session, as src/net would, until none is left.
template <class Connections>
void pump(Connections& connections) {
  for (bool any = true; any;) {
    any = false;
    for (auto& c : connections) {
      for (auto& ev : c->member->take()) {
        any = true;
        if (c->session) c->session->on_event(ev);
      }
    }
  }
}

// The connections of one test (C: Connection<S> or a type derived from it) and what a test does with them.
// Declare it after the router and the context: its sessions leave the router as they go.
template <class S, class C = Connection<S>>
class Connections {
 public:
  template <class Context>
  C& connect(const Context& ctx) {
    all_.push_back(std::make_unique<C>());
    C& c = *all_.back();
    c.session = std::make_unique<S>(ctx, c.link, c.member);
    return c;
  }
  // One frame from the client, then every event the router delivered meanwhile, as src/net would.
  void text(C& c, std::string_view frame) {
    c.session->on_text(frame);
    pump();
  }
  void pump() { testing::pump(all_); }

 private:
  std::vector<std::unique_ptr<C>> all_;
};

}  // namespace sb::signaling::testing
