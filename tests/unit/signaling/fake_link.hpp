// A PeerLink that records what a session or router sends, for tests without sockets.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "signaling/peer_link.hpp"
#include "signaling/protocol.hpp"

namespace sb::signaling::testing {

class FakeLink final : public PeerLink {
 public:
  void send(std::shared_ptr<const std::string> frame) override {
    std::lock_guard lock(mu_);
    frames_.push_back(*frame);
  }
  void close(std::uint16_t code, std::string reason) override {
    std::lock_guard lock(mu_);
    close_code_ = code;
    close_reason_ = std::move(reason);
  }

  std::vector<std::string> frames() const {
    std::lock_guard lock(mu_);
    return frames_;
  }
  // Parses and removes every frame received so far.
  std::vector<ServerMessage> take() {
    std::lock_guard lock(mu_);
    std::vector<ServerMessage> out;
    for (const auto& f : frames_) {
      auto p = parse_server_message(f, Limits{});
      if (auto* m = std::get_if<ServerMessage>(&p)) out.push_back(std::move(*m));
      else out.push_back(msg::Error{ErrorCode::invalid_json, "unparseable frame from server: " + f, "", ""});
    }
    frames_.clear();
    return out;
  }
  int close_code() const {
    std::lock_guard lock(mu_);
    return close_code_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> frames_;
  int close_code_ = 0;
  std::string close_reason_;
};

}  // namespace sb::signaling::testing
