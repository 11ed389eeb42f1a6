// A minimal TURN client over UDP for the negative cases coturn's uclient cannot tell apart (which error
// code came back): long-term credentials with the 401 challenge (RFC 8489 §9.2.3), Allocate and
// CreatePermission, built on the project's STUN codec.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "stun/address.hpp"
#include "stun/message.hpp"

namespace sb::itest {

class TurnProbe {
 public:
  explicit TurnProbe(const stun::TransportAddress& server);
  ~TurnProbe();
  TurnProbe(const TurnProbe&) = delete;
  TurnProbe& operator=(const TurnProbe&) = delete;

  // Allocate (UDP relay) with the 401 challenge answered using these credentials. Returns 200 on success,
  // the error code of the final answer otherwise, 0 when nothing came back.
  int allocate(const std::string& user, const std::string& password);
  // CreatePermission for `peer` on the allocation made by allocate(). Same return convention.
  int create_permission(const stun::TransportAddress& peer);
  const stun::TransportAddress& relayed() const { return relayed_; }

 private:
  // Sends `request` (MESSAGE-INTEGRITY added when credentials are known) and returns the answer.
  std::optional<stun::Message> transact(stun::Message& request, bool sign);
  static int code_of(const stun::Message& response);

  int fd_ = -1;
  stun::TransportAddress server_;
  std::string user_, password_, realm_, nonce_;
  stun::TransportAddress relayed_;
};

}  // namespace sb::itest
