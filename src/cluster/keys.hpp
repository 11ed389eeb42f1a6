// Redis key and channel names of a signalbox cluster (docs/cluster.md, "State"). One prefix for all.
#pragma once

#include <string>
#include <string_view>

namespace sb::cluster {

class Keys {
 public:
  explicit Keys(std::string prefix = "sb:") : p_(std::move(prefix)) {}

  std::string room_prefix() const { return p_ + "room:"; }           // HASH member id → record, per room
  std::string node_prefix() const { return p_ + "node:"; }           // STRING with a TTL: a node's heartbeat
  std::string members_prefix() const { return p_ + "members:"; }     // SET "<room>\n<id>" of a node's members
  std::string channel_prefix() const { return p_ + "ch:"; }          // pub/sub channel, one per node
  std::string room(std::string_view r) const { return room_prefix() + std::string(r); }
  std::string node(std::string_view n) const { return node_prefix() + std::string(n); }
  std::string members(std::string_view n) const { return members_prefix() + std::string(n); }
  std::string channel(std::string_view n) const { return channel_prefix() + std::string(n); }
  std::string nodes() const { return p_ + "nodes"; }  // SET of node ids that registered
  std::string seq() const { return p_ + "seq"; }      // the last join seq handed out
  std::string epoch() const { return p_ + "epoch"; }  // set once per Redis dataset: a flush changes it

 private:
  std::string p_;
};

}  // namespace sb::cluster
