// A minimal TURN client over UDP for the negative cases coturn's uclient cannot tell apart (which error
// code came back) and for relay-to-relay between two allocations of one server: long-term credentials
// with the 401 challenge (RFC 8489 §9.2.3), Allocate (optionally dual-stack), CreatePermission,
// ChannelBind, Send indications and ChannelData, and the data that comes back. Built on the project's
// STUN codec.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "stun/address.hpp"
#include "stun/message.hpp"

namespace sb::itest {

class TurnProbe {
 public:
  // `tcp`: over one TCP connection (RFC 8656 §3.1; messages framed by their length) instead of UDP.
  explicit TurnProbe(const stun::TransportAddress& server, bool tcp = false);
  ~TurnProbe();
  TurnProbe(const TurnProbe&) = delete;
  TurnProbe& operator=(const TurnProbe&) = delete;

  // Allocate (UDP relay) with the 401 challenge answered using these credentials; `extra` adds attributes
  // (e.g. ADDITIONAL-ADDRESS-FAMILY). Returns 200 on success, the error code of the final answer
  // otherwise, 0 when nothing came back.
  int allocate(const std::string& user, const std::string& password,
               const std::function<void(stun::Message&)>& extra = {});
  // CreatePermission for `peer` on the allocation made by allocate(). Same return convention.
  int create_permission(const stun::TransportAddress& peer);
  int channel_bind(std::uint16_t channel, const stun::TransportAddress& peer);
  int refresh(std::uint32_t lifetime);
  // The first relayed address (relayed_all(): every one, dual-stack allocations have two).
  const stun::TransportAddress& relayed() const { return relayed_; }
  const std::vector<stun::TransportAddress>& relayed_all() const { return relayed_all_; }

  // Data to a peer through the allocation: a Send indication, or ChannelData on a bound channel.
  void send_indication(const stun::TransportAddress& peer, const std::string& data);
  void send_channel_data(std::uint16_t channel, const std::string& data);
  // The next Data indication or ChannelData within `timeout`: who sent it (the peer) and what.
  struct Received {
    stun::TransportAddress peer;
    std::string data;
    bool channel = false;
  };
  std::optional<Received> receive(std::chrono::milliseconds timeout);
  // A Binding request; true when the success answer came.
  bool binding();
  // Raw access to the socket (e.g. to send a partial frame, or to see the server close a connection).
  int fd() const { return fd_; }
  // TCP: whether the server closed the connection within `timeout` (EOF or reset).
  bool closed_by_server(std::chrono::milliseconds timeout);

 private:
  // Sends `request` (MESSAGE-INTEGRITY added when credentials are known) and returns the answer.
  std::optional<stun::Message> transact(stun::Message& request, bool sign);
  static int code_of(const stun::Message& response);
  // One datagram (UDP) or one frame (TCP), or nothing within `timeout`.
  std::optional<std::vector<std::uint8_t>> read_one(std::chrono::milliseconds timeout);
  bool read_exact(std::uint8_t* p, std::size_t n, std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  bool tcp_ = false;
  stun::TransportAddress server_;
  std::string user_, password_, realm_, nonce_;
  stun::TransportAddress relayed_;
  std::vector<stun::TransportAddress> relayed_all_;
  std::map<std::uint16_t, stun::TransportAddress> channels_;
  std::vector<std::vector<std::uint8_t>> early_;  // data that arrived while waiting for a response
};

}  // namespace sb::itest
