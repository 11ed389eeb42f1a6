// The Lua scripts a node runs in Redis: whatever must be atomic is one script (docs/cluster.md, "State").
// Keys follow cluster/keys.hpp. The member records ("<node>\n<seq>\n<presence>\n<JSON>") and the bus messages
// they publish ("L\n<room>\n<id>\nnode-lost") are those of cluster/bus.hpp; the cluster tests check that the
// node parses what the scripts write. Scripts compute some key names, so they need a standalone Redis (or one
// behind Sentinel), not Redis Cluster.
#pragma once

namespace sb::cluster::scripts {

// The node id in a member record is its first line.
#define SB_LUA_NODE_OF "local function node_of(v) return string.match(v, '^([^\\n]+)') end\n"
#define SB_LUA_PRESENCE_OF "local function presence_of(v) return string.match(v, '^[^\\n]+\\n[^\\n]+\\n(%d)') end\n"
// PUBLISH `payload` once to every node holding a member of hash `key`, except `origin`.
#define SB_LUA_FAN_OUT                                                              \
  "local function fan_out(key, origin, prefix, payload)\n"                          \
  "  local seen = {[origin] = true}\n"                                              \
  "  for _, v in ipairs(redis.call('HVALS', key)) do\n"                             \
  "    local node = node_of(v)\n"                                                   \
  "    if node and not seen[node] then\n"                                           \
  "      seen[node] = true\n"                                                       \
  "      redis.call('PUBLISH', prefix .. node, payload)\n"                          \
  "    end\n"                                                                       \
  "  end\n"                                                                         \
  "end\n"

// The token digest in a member record's JSON (bus.hpp, MemberRecord::attach); nil when it has none. A JSON
// string's quotes are escaped, so only the record's own "attach" member can match.
#define SB_LUA_ATTACH_OF "local function attach_of(v) return string.match(v, '\"attach\":\"(%x+)\"') end\n"

// KEYS: room hash, the node's member set, the seq key. ARGV: id, node, record tail ("<presence>\n<JSON>"),
// capacity, "1" for a roster, room, token digest ("" for none), Claim payload, channel prefix. Returns
// {"ok", seq, {id, record, ...}} or {"id-taken"} or {"room-full"}, or {"claimed", node} when the id is held by
// another node with the same token digest and that node got the Claim (re-attach across nodes; a dead node gets
// nothing, and the answer is id-taken). seq is Redis's clock in microseconds, kept increasing: join order
// survives a FLUSHALL.
inline constexpr const char* kJoin = SB_LUA_NODE_OF SB_LUA_ATTACH_OF
    "local cur = redis.call('HGET', KEYS[1], ARGV[1])\n"
    "if cur then\n"
    "  local holder = node_of(cur)\n"
    "  if ARGV[7] ~= '' and holder ~= ARGV[2] and attach_of(cur) == ARGV[7] and\n"
    "     redis.call('PUBLISH', ARGV[9] .. holder, ARGV[8]) > 0 then\n"
    "    return {'claimed', holder}\n"
    "  end\n"
    "  return {'id-taken'}\n"
    "end\n"
    "if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then return {'room-full'} end\n"
    "local t = redis.call('TIME')\n"
    "local seq = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
    "local last = tonumber(redis.call('GET', KEYS[3]) or '0')\n"
    "if seq <= last then seq = last + 1 end\n"
    "local s = string.format('%.0f', seq)\n"
    "redis.call('SET', KEYS[3], s)\n"
    "local roster = {}\n"
    "if ARGV[5] == '1' then roster = redis.call('HGETALL', KEYS[1]) end\n"
    "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '\\n' .. s .. '\\n' .. ARGV[3])\n"
    "redis.call('SADD', KEYS[2], ARGV[6] .. '\\n' .. ARGV[1])\n"
    "return {'ok', s, roster}\n";

// KEYS: room hash, the member's watch set. ARGV: id, origin node, Joined payload, channel prefix, "1" for presence,
// Arrived payload. While the member is still in the room: a member with presence is announced to the room's other
// nodes, and the nodes watching its id (Router::watch) get Arrived; their watches end. Returns 1, or 0 when the
// member is gone.
inline constexpr const char* kAnnounce = SB_LUA_NODE_OF SB_LUA_FAN_OUT
    "if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end\n"
    "if ARGV[5] == '1' then fan_out(KEYS[1], ARGV[2], ARGV[4], ARGV[3]) end\n"
    "for _, n in ipairs(redis.call('SMEMBERS', KEYS[2])) do\n"
    "  if n ~= ARGV[2] then redis.call('PUBLISH', ARGV[4] .. n, ARGV[6]) end\n"
    "end\n"
    "redis.call('DEL', KEYS[2])\n"
    "return 1\n";

// KEYS: the watch set of (room, target), the room hash, the node's set of watch keys. ARGV: node, target. Puts
// the node among the target's watchers; returns the target's node when it is a member already (it may have been
// announced before the watch: that node is asked), else nil (its announcement will tell this node).
inline constexpr const char* kWatch = SB_LUA_NODE_OF
    "redis.call('SADD', KEYS[1], ARGV[1])\n"
    "redis.call('SADD', KEYS[3], KEYS[1])\n"
    "local v = redis.call('HGET', KEYS[2], ARGV[2])\n"
    "if not v then return false end\n"
    "return node_of(v)\n";

// KEYS: the watch set of (room, target), the node's set of watch keys. ARGV: node. The node's last watch of the
// target ended.
inline constexpr const char* kUnwatch =
    "redis.call('SREM', KEYS[1], ARGV[1])\n"
    "redis.call('SREM', KEYS[2], KEYS[1])\n"
    "return 1\n";

// KEYS: room hash, the node's member set. ARGV: id, node, payload, channel prefix, room. Removes the member if
// this node holds it, and tells the room's other nodes when it has presence. Returns 1 when removed.
inline constexpr const char* kLeave = SB_LUA_NODE_OF SB_LUA_PRESENCE_OF SB_LUA_FAN_OUT
    "local v = redis.call('HGET', KEYS[1], ARGV[1])\n"
    "if not v or node_of(v) ~= ARGV[2] then return 0 end\n"
    "redis.call('HDEL', KEYS[1], ARGV[1])\n"
    "redis.call('SREM', KEYS[2], ARGV[5] .. '\\n' .. ARGV[1])\n"
    "if presence_of(v) == '1' then fan_out(KEYS[1], ARGV[2], ARGV[4], ARGV[3]) end\n"
    "return 1\n";

// KEYS: room hash. ARGV: from, to, payload, channel prefix. A relay to a member this node does not know (no
// presence): finds its node and publishes there. Returns nil when `from` or `to` is not in the room, else
// {node, receivers}.
inline constexpr const char* kRelay = SB_LUA_NODE_OF
    "local v = redis.call('HGET', KEYS[1], ARGV[2])\n"
    "if not v or redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return false end\n"
    "local node = node_of(v)\n"
    "return {node, redis.call('PUBLISH', ARGV[4] .. node, ARGV[3])}\n";

// KEYS: the node's heartbeat key, the node set. ARGV: value, TTL in ms, node. Returns 0 when the heartbeat key
// was gone (Redis was flushed or restarted, or the node was declared dead): the node must re-assert.
inline constexpr const char* kHeartbeat =
    "local ok = redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'XX')\n"
    "redis.call('SADD', KEYS[2], ARGV[3])\n"
    "if ok then return 1 end\n"
    "return 0\n";

// KEYS: the node's heartbeat key, the node set, the epoch key. ARGV: value, TTL in ms, node, a fresh epoch.
// Starts (or restarts) a node's presence. Returns the epoch in force: the fresh one when Redis had none (it was
// empty), else the one a node that re-asserts compares with the one it knew.
inline constexpr const char* kRegister =
    "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
    "redis.call('SADD', KEYS[2], ARGV[3])\n"
    "redis.call('SET', KEYS[3], ARGV[4], 'NX')\n"
    "return redis.call('GET', KEYS[3])\n";

// KEYS: the node's member set. ARGV: node, channel prefix, room key prefix, watch key prefix, then per member 6
// values: room, id, record, "1" if announced with presence, Joined payload, Arrived payload (empty when not
// announced). Puts back every member that is missing, announces it again when it had been announced, and tells
// the nodes watching it (as kAnnounce). Returns the ids of members another node holds now (client-chosen ids only).
inline constexpr const char* kReassert = SB_LUA_NODE_OF SB_LUA_FAN_OUT
    "local lost = {}\n"
    "for i = 5, #ARGV, 6 do\n"
    "  local room, id, rec = ARGV[i], ARGV[i + 1], ARGV[i + 2]\n"
    "  local key = ARGV[3] .. room\n"
    "  local cur = redis.call('HGET', key, id)\n"
    "  if cur and node_of(cur) ~= ARGV[1] then\n"
    "    table.insert(lost, room .. '\\n' .. id)\n"
    "  else\n"
    "    if not cur then redis.call('HSET', key, id, rec) end\n"
    "    redis.call('SADD', KEYS[1], room .. '\\n' .. id)\n"
    "    if ARGV[i + 3] == '1' then fan_out(key, ARGV[1], ARGV[2], ARGV[i + 4]) end\n"
    "    if ARGV[i + 5] ~= '' then\n"
    "      local wkey = ARGV[4] .. room .. '\\n' .. id\n"
    "      for _, n in ipairs(redis.call('SMEMBERS', wkey)) do\n"
    "        if n ~= ARGV[1] then redis.call('PUBLISH', ARGV[2] .. n, ARGV[i + 5]) end\n"
    "      end\n"
    "      redis.call('DEL', wkey)\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return lost\n";

// KEYS: the node set. ARGV: heartbeat key prefix. Returns {alive count, dead node, ...}.
inline constexpr const char* kFindDead =
    "local alive, out = 0, {0}\n"
    "for _, n in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
    "  if redis.call('EXISTS', ARGV[1] .. n) == 1 then alive = alive + 1 else table.insert(out, n) end\n"
    "end\n"
    "out[1] = alive\n"
    "return out\n";

// KEYS: the node set. ARGV: node, heartbeat key prefix, member set prefix, room key prefix, channel prefix,
// batch size, reason, watching set prefix. Removes up to a batch of a node's members and tells the other nodes of
// each room (reason node-lost for a dead node; disconnect for a node saying goodbye), and takes the node out of up
// to a batch of watch sets. Returns the members and watches left to remove (0: done, and the node is forgotten),
// or -1 when the node's heartbeat is alive. Several nodes may sweep at once: SPOP gives each member to one of them.
inline constexpr const char* kSweep = SB_LUA_NODE_OF SB_LUA_PRESENCE_OF SB_LUA_FAN_OUT
    "if redis.call('EXISTS', ARGV[2] .. ARGV[1]) == 1 then return -1 end\n"
    "local mkey = ARGV[3] .. ARGV[1]\n"
    "for _, entry in ipairs(redis.call('SPOP', mkey, tonumber(ARGV[6]))) do\n"
    "  local room, id = string.match(entry, '^([^\\n]+)\\n(.+)$')\n"
    "  if room then\n"
    "    local key = ARGV[4] .. room\n"
    "    local v = redis.call('HGET', key, id)\n"
    "    if v and node_of(v) == ARGV[1] then\n"
    "      redis.call('HDEL', key, id)\n"
    "      if presence_of(v) == '1' then\n"
    "        fan_out(key, ARGV[1], ARGV[5], 'L\\n' .. room .. '\\n' .. id .. '\\n' .. ARGV[7])\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "local wkey = ARGV[8] .. ARGV[1]\n"
    "for _, k in ipairs(redis.call('SPOP', wkey, tonumber(ARGV[6]))) do redis.call('SREM', k, ARGV[1]) end\n"
    "local left = redis.call('SCARD', mkey) + redis.call('SCARD', wkey)\n"
    "if left == 0 then redis.call('SREM', KEYS[1], ARGV[1]) end\n"
    "return left\n";

// KEYS: the node's heartbeat key. A clean goodbye at the end of a drain: the heartbeat goes at once, then the node
// sweeps its own remaining members (reason disconnect) as if it were dead.
inline constexpr const char* kGoodbye =
    "redis.call('DEL', KEYS[1])\n"
    "return 1\n";

// KEYS: the node set. ARGV: origin node, channel prefix, payload. A resume asks every other registered node for a
// session (docs/cluster.md, "Resume across nodes"). Returns how many subscribers got the question: as many
// answers are due.
inline constexpr const char* kFindSession =
    "local n = 0\n"
    "for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
    "  if node ~= ARGV[1] then n = n + redis.call('PUBLISH', ARGV[2] .. node, ARGV[3]) end\n"
    "end\n"
    "return n\n";

// KEYS: room hash, the handing node's member set, the receiving node's member set. ARGV: id, handing node,
// receiving node, Transfer payload, Moved payload, channel prefix, room, and optionally a token digest. Moves a
// member that the handing node holds to the receiving node: its record names the new node, the Transfer (or, for
// a re-attach across nodes, the Handed answer) goes to that node (before anything the other nodes send it after
// hearing Moved), and the room's other nodes hear Moved. Returns 1, or 0 when the member is not the handing
// node's (left, swept), its record has another token digest than the one given, or the receiving node is not
// listening (nothing changes then).
inline constexpr const char* kMoveMember = SB_LUA_NODE_OF SB_LUA_ATTACH_OF
    "local v = redis.call('HGET', KEYS[1], ARGV[1])\n"
    "if not v or node_of(v) ~= ARGV[2] then return 0 end\n"
    "if ARGV[8] and attach_of(v) ~= ARGV[8] then return 0 end\n"
    "if redis.call('PUBLISH', ARGV[6] .. ARGV[3], ARGV[4]) == 0 then return 0 end\n"
    "redis.call('HSET', KEYS[1], ARGV[1], ARGV[3] .. string.sub(v, #ARGV[2] + 1))\n"
    "redis.call('SREM', KEYS[2], ARGV[7] .. '\\n' .. ARGV[1])\n"
    "redis.call('SADD', KEYS[3], ARGV[7] .. '\\n' .. ARGV[1])\n"
    "local seen = {[ARGV[2]] = true, [ARGV[3]] = true}\n"
    "for _, val in ipairs(redis.call('HVALS', KEYS[1])) do\n"
    "  local node = node_of(val)\n"
    "  if node and not seen[node] then\n"
    "    seen[node] = true\n"
    "    redis.call('PUBLISH', ARGV[6] .. node, ARGV[5])\n"
    "  end\n"
    "end\n"
    "return 1\n";

#undef SB_LUA_NODE_OF
#undef SB_LUA_PRESENCE_OF
#undef SB_LUA_FAN_OUT
#undef SB_LUA_ATTACH_OF

}  // namespace sb::cluster::scripts
