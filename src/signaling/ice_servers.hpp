// Where the `iceServers` of `joined` come from. Asked once per join, because TURN hands out ephemeral
// credentials (the TURN service implements this interface) for the user the request names.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "signaling/protocol.hpp"

namespace sb::signaling {

// Who the iceServers are for. `user` is what TURN credentials are minted for, and so what TURN's per-user
// allocation quota counts: the connection (a key made when the WebSocket opened, the same for every join on
// it, so joining again does not buy a fresh quota), or, once access control knows who the client is, its
// identity. The views are valid during the call only.
struct IceServerRequest {
  std::string_view peer_id;  // the id in this room
  std::string_view user;     // connection key or identity; never empty
};

class IceServerSource {
 public:
  virtual ~IceServerSource() = default;
  // Thread-safe: called from any session's thread.
  virtual std::vector<IceServer> ice_servers_for(const IceServerRequest& request) = 0;
};

// Removes every server with a turn: or turns: URL: what is left for a peer (or a doctor run) that access
// control has not granted TURN (docs/auth.md). STUN needs no credentials and stays.
void remove_turn_servers(std::vector<IceServer>& servers);

// Fixed URLs from the configuration, one RTCIceServer per URL, no credentials.
class StaticIceServers final : public IceServerSource {
 public:
  explicit StaticIceServers(std::vector<std::string> urls);
  std::vector<IceServer> ice_servers_for(const IceServerRequest& request) override;

 private:
  std::vector<IceServer> servers_;
};

// Concatenates several sources in order (e.g. static URLs, the built-in STUN server, TURN credentials).
class CompositeIceServers final : public IceServerSource {
 public:
  void add(std::shared_ptr<IceServerSource> source) { sources_.push_back(std::move(source)); }
  std::vector<IceServer> ice_servers_for(const IceServerRequest& request) override;

 private:
  std::vector<std::shared_ptr<IceServerSource>> sources_;  // fixed after start-up
};

}  // namespace sb::signaling
