// RedisRouter, on its own thread: the two connections, the scripts, the node's heartbeat, dead nodes, and
// recovery after Redis restarts or is flushed (docs/cluster.md, "Failures and their bounds").
#include <boost/asio/post.hpp>
#include <future>
#include <spdlog/spdlog.h>

#include "cluster/redis_router.hpp"
#include "cluster/scripts.hpp"
#include "util/clock.hpp"
#include "util/random.hpp"

namespace sb::cluster {

namespace asio = boost::asio;
namespace event = signaling::event;

namespace {

const char* script_text(std::size_t i) {
  static constexpr const char* kTexts[] = {scripts::kJoin,     scripts::kAnnounce,  scripts::kLeave,
                                           scripts::kRelay,    scripts::kHeartbeat, scripts::kRegister,
                                           scripts::kReassert, scripts::kFindDead,  scripts::kSweep,
                                           scripts::kGoodbye,  scripts::kWatch,     scripts::kUnwatch,
                                           scripts::kFindSession, scripts::kMoveMember};
  return kTexts[i];
}

// Members put back per script call: bounds how long one call holds Redis.
constexpr std::size_t kReassertBatch = 200;

}  // namespace

void RedisRouter::start() {
  net::RedisConnection::Handlers commands{[this] { on_command_ready(); },
                                          [this](const std::string& why) {
                                            scripts_loaded_ = false;
                                            on_connection_down("commands: " + why);
                                          }};
  net::RedisConnection::Handlers subscriber{[this] { on_subscriber_ready(); },
                                            [this](const std::string& why) {
                                              subscribed_ = false;
                                              on_connection_down("subscription: " + why);
                                            }};
  commands_ = std::make_shared<net::RedisConnection>(io_, config_.redis, config_.timeouts, commands);
  subscriber_ = std::make_shared<net::RedisConnection>(io_, config_.redis, config_.timeouts, subscriber);
  asio::post(io_, [this] {
    commands_->start();
    subscriber_->start();
    arm(heartbeat_timer_, config_.heartbeat, &RedisRouter::heartbeat);
    arm(sweep_timer_, config_.sweep, &RedisRouter::sweep);
  });
  thread_ = std::thread([this] { io_.run(); });
}

void RedisRouter::stop(std::chrono::milliseconds timeout) {
  if (!thread_.joinable()) return;
  auto said_goodbye = std::make_shared<std::promise<void>>();
  auto future = said_goodbye->get_future();
  asio::post(io_, [this, said_goodbye] {
    stopping_ = true;
    // Members still here (their connections outlived the shutdown's grace) leave the others' rooms now.
    auto swept = [said_goodbye](bool) { said_goodbye->set_value(); };
    if (!eval(Script::goodbye, {keys_.node(config_.node_id)}, std::span<const std::string_view>{}, {}) ||
        !sweep_node(config_.node_id, signaling::LeaveReason::disconnect, swept)) {
      swept(false);
    }
  });
  if (future.wait_for(timeout) != std::future_status::ready && timeout.count() > 0) {
    spdlog::warn("cluster: Redis did not confirm the node's goodbye within {} ms", timeout.count());
  }
  asio::post(io_, [this] {
    commands_->stop();
    subscriber_->stop();
    heartbeat_timer_.cancel();
    sweep_timer_.cancel();
    reconcile_timer_.cancel();
    io_.stop();
  });
  thread_.join();
}

void RedisRouter::arm(asio::steady_timer& timer, std::chrono::milliseconds every, void (RedisRouter::*what)()) {
  timer.expires_after(every);
  timer.async_wait([this, &timer, every, what](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    (this->*what)();
    arm(timer, every, what);
  });
}

void RedisRouter::on_command_ready() { load_scripts(); }

// Scripts go in before anything else on a fresh connection, so no command can meet NOSCRIPT and be retried out
// of order. (FLUSHALL keeps them; a restart is a fresh connection.)
void RedisRouter::load_scripts() {
  auto remaining = std::make_shared<std::size_t>(static_cast<std::size_t>(Script::count));
  for (std::size_t i = 0; i < static_cast<std::size_t>(Script::count); ++i) {
    const std::string_view args[] = {"SCRIPT", "LOAD", script_text(i)};
    commands_->command(args, [this, i, remaining](net::RedisReply r) {
      if (r.null()) return;
      if (r.is_error()) {
        spdlog::error("cluster: Redis refused a script: {}", r.str());
        commands_->reset("a script did not load");
        return;
      }
      shas_[i] = std::string(r.str());
      if (--*remaining == 0) {
        scripts_loaded_ = true;
        if (subscribed_) register_node(ever_up_);
      }
    });
  }
}

void RedisRouter::on_subscriber_ready() {
  subscriber_->subscribe(
      keys_.channel(config_.node_id), [this](std::string_view payload) { on_bus(payload); },
      [this] {
        subscribed_ = true;
        if (scripts_loaded_) register_node(ever_up_);
      });
}

void RedisRouter::on_connection_down(const std::string& why) {
  if (stopping_) return;
  if (up_) spdlog::warn("cluster: lost Redis ({}); calls within this node go on", why);
  set_up(false);
}

void RedisRouter::set_up(bool up) {
  if (up == up_) return;
  if (up) {
    if (ever_up_) metrics_->reconnects.inc();
    ever_up_ = true;
    spdlog::info("cluster: node {} is in the cluster", config_.node_id);
  } else {
    down_since_ns_ = std::chrono::steady_clock::now().time_since_epoch().count();
  }
  {
    std::lock_guard lock(up_mu_);
    up_ = up;
  }
  up_cv_.notify_all();
  metrics_->redis_up.set(up ? 1 : 0);
}

bool RedisRouter::wait_up(std::chrono::milliseconds timeout) {
  std::unique_lock lock(up_mu_);
  return up_cv_.wait_for(lock, timeout, [this] { return up_.load(); });
}

std::string RedisRouter::node_value() const {
  return "{\"node\":\"" + config_.node_id + "\",\"started\":" + std::to_string(util::SteadyClock().unix_seconds()) +
         "}";
}

// The node's heartbeat key, its place in the node set, and the dataset's epoch. `again`: the node had been in
// the cluster, and Redis came back (a reconnect) or forgot it (a flush, or the node was declared dead).
void RedisRouter::register_node(bool again) {
  const std::string ttl = std::to_string(config_.node_ttl.count());
  const std::string fresh = util::random_hex(8);
  const std::string exists_key = keys_.node(config_.node_id);
  // Whether the heartbeat key outlived the outage tells a short break from a long one.
  const std::string_view exists[] = {"EXISTS", exists_key};
  auto existed = std::make_shared<bool>(false);
  commands_->command(exists, [existed](net::RedisReply r) { *existed = r.integer() == 1; });
  eval(Script::reg, {keys_.node(config_.node_id), keys_.nodes(), keys_.epoch()},
       {node_value(), ttl, config_.node_id, fresh}, [this, again, existed](net::RedisReply r) {
         if (r.null() || r.is_error()) return;
         const std::string epoch(r.str());
         const bool same_dataset = epoch == epoch_;
         epoch_ = epoch;
         set_up(true);
         if (!again) return;
         if (same_dataset && !*existed) {
           // Redis kept its data but this node's heartbeat expired: the others may have removed its members and
           // told their peers (node-lost). The calls cannot be trusted: members reconnect and join afresh.
           spdlog::warn("cluster: node {} was presumed dead; its members reconnect", config_.node_id);
           drain_members();
         }
         reassert();
       });
}

// Puts every admitted member back (Redis restarted, was flushed, or was away), announces again those that had
// been announced, replays leaves Redis may not have seen, and checks the rooms against Redis (twice: now, to
// learn who joined meanwhile, and once the other nodes have re-asserted too, to forget who left).
void RedisRouter::reassert() {
  metrics_->reassertions.inc();
  std::vector<std::string> batch;
  const std::string channel_prefix = keys_.channel_prefix(), room_prefix = keys_.room_prefix(),
                    watch_prefix = keys_.watch_prefix();
  auto flush = [&] {
    if (batch.empty()) return;
    std::vector<std::string_view> args{config_.node_id, channel_prefix, room_prefix, watch_prefix};
    args.insert(args.end(), batch.begin(), batch.end());
    eval(Script::reassert, {keys_.members(config_.node_id)}, args, [this](net::RedisReply r) { on_lost(r); });
    batch.clear();
  };
  {
    std::lock_guard lock(mu_);
    for (const auto& [room, view] : rooms_) {
      for (const auto& [id, e] : view.local) {
        if (!e.admitted) continue;
        const bool told = e.announced && e.presence;
        const MemberRecord record{config_.node_id, e.seq, e.presence, e.info, e.attach};
        batch.insert(batch.end(), {room, id, encode_record(record), told ? "1" : "0",
                                   told ? encode_joined(room, config_.node_id, e.seq, e.info) : "",
                                   e.announced ? encode_arrived(room, e.info) : ""});
        if (batch.size() >= kReassertBatch * 6) flush();
      }
    }
  }
  flush();
  rewatch();
  flush_pending_leaves();
  reconcile(false);
  reconcile_timer_.expires_after(config_.reconcile_delay);
  reconcile_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec && !stopping_ && up_) reconcile(true);
  });
}

// Members whose client-chosen id another node took while this one was away: they reconnect.
void RedisRouter::on_lost(net::RedisReply lost) {
  std::vector<Delivery> deliveries;
  {
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < lost.size(); ++i) {
      const auto entry = lost.at(i).str();
      const auto nl = entry.find('\n');
      if (nl == std::string_view::npos) continue;
      auto r = rooms_.find(entry.substr(0, nl));
      if (r == rooms_.end()) continue;
      auto e = r->second.local.find(entry.substr(nl + 1));
      if (e != r->second.local.end()) deliveries.emplace_back(e->second.member, event::Drain{});
    }
  }
  deliver_all(deliveries);
}

void RedisRouter::drain_members() {
  std::vector<Delivery> deliveries;
  {
    std::lock_guard lock(mu_);
    for (const auto& [room, view] : rooms_) {
      for (const auto& [id, e] : view.local) {
        if (e.admitted) deliveries.emplace_back(e.member, event::Drain{});
      }
    }
  }
  deliver_all(deliveries);
}

void RedisRouter::flush_pending_leaves() {
  auto leaves = std::move(pending_leaves_);
  pending_leaves_.clear();
  for (auto& l : leaves) send_leave(l.room, l.id, l.payload);
}

void RedisRouter::reconcile(bool remove_missing) {
  std::vector<std::string> rooms;
  {
    std::lock_guard lock(mu_);
    rooms.reserve(rooms_.size());
    for (const auto& [room, view] : rooms_) rooms.push_back(room);
  }
  for (auto& room : rooms) {
    const std::string key = keys_.room(room);
    const std::string_view args[] = {"HGETALL", key};
    commands_->command(args, [this, room, remove_missing](net::RedisReply r) {
      if (!r.null() && r.is_array()) reconcile_room(room, r, remove_missing);
    });
  }
}

// Remote members Redis has and this node does not know are news to every local member; with `remove_missing`,
// remote members Redis no longer has are gone (their peer-left was lost while Redis was away).
void RedisRouter::reconcile_room(const std::string& room, net::RedisReply hash, bool remove_missing) {
  std::vector<Delivery> deliveries;
  {
    std::lock_guard lock(mu_);
    auto r = rooms_.find(room);
    if (r == rooms_.end()) return;
    reconcile_view_locked(r->second, hash, remove_missing, deliveries);
  }
  deliver_all(deliveries);
}

void RedisRouter::reconcile_view_locked(RoomView& view, net::RedisReply hash, bool remove_missing,
                                        std::vector<Delivery>& deliveries) {
  Map<bool> in_redis;
  for (std::size_t i = 0; i + 1 < hash.size(); i += 2) {
    const auto id = hash.at(i).str();
    auto rec = parse_member_record(id, hash.at(i + 1).str());
    if (!rec) continue;
    in_redis.emplace(std::string(id), true);
    if (!rec->presence || rec->node == config_.node_id || view.remote.contains(id)) continue;
    for (auto& [lid, o] : view.local) {
      if (o.presence) tell_locked(o, true, event::PeerJoined{rec->peer}, deliveries);
    }
    view.remote.emplace(std::string(id), RemoteEntry{rec->node, rec->peer, rec->seq, true});
  }
  if (remove_missing) {
    for (auto it = view.remote.begin(); it != view.remote.end();) {
      if (in_redis.contains(it->first)) {
        ++it;
        continue;
      }
      told_left_locked(view, it->first, it->second.seq, it->second.announced, signaling::LeaveReason::disconnect,
                       deliveries);
      it = view.remote.erase(it);
    }
  }
}

void RedisRouter::heartbeat() {
  if (!up_) return;
  const std::string ttl = std::to_string(config_.node_ttl.count());
  eval(Script::heartbeat, {keys_.node(config_.node_id), keys_.nodes()}, {node_value(), ttl, config_.node_id},
       [this](net::RedisReply r) {
         if (!r.null() && r.is_integer() && r.integer() == 0) {
           spdlog::warn("cluster: Redis forgot node {} (flushed, restarted or declared it dead); re-asserting",
                        config_.node_id);
           register_node(true);
         }
       });
}

void RedisRouter::sweep() {
  if (!up_) return;
  eval(Script::find_dead, {keys_.nodes()}, {keys_.node_prefix()}, [this](net::RedisReply r) {
    if (!r.is_array() || r.size() == 0) return;
    nodes_alive_ = r.at(0).integer();
    metrics_->nodes_alive.set(nodes_alive_);
    for (std::size_t i = 1; i < r.size(); ++i) {
      std::string node(r.at(i).str());
      if (node == config_.node_id) continue;
      sweep_node(node, signaling::LeaveReason::node_lost, [node](bool complete) {
        if (complete) spdlog::info("cluster: removed the members of dead node {}", node);
      });
    }
  });
}

// Removes `node`'s members batch by batch; `done(true)` once none is left, `done(false)` when the sweep failed
// (Redis away). False (and `done` not called) when the first batch could not be sent.
bool RedisRouter::sweep_node(const std::string& node, signaling::LeaveReason reason,
                             std::function<void(bool)> done) {
  const std::string batch = std::to_string(config_.sweep_batch);
  return eval(Script::sweep, {keys_.nodes()},
              {node, keys_.node_prefix(), keys_.members_prefix(), keys_.room_prefix(), keys_.channel_prefix(), batch,
               signaling::to_string(reason), keys_.watching_prefix()},
              [this, node, reason, done = std::move(done)](net::RedisReply r) {
                if (r.is_integer() && r.integer() > 0) {
                  if (!sweep_node(node, reason, done)) done(false);  // the next batch
                } else if (r.is_integer() && r.integer() == 0) {
                  done(true);
                } else if (r.null() || r.is_error()) {
                  done(false);
                }
              });
}

bool RedisRouter::eval(Script s, std::initializer_list<std::string_view> keys, std::span<const std::string_view> args,
                       net::RedisConnection::Callback done) {
  if (!scripts_loaded_ || !commands_) return false;
  const std::string nkeys = std::to_string(keys.size());
  std::vector<std::string_view> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.insert(argv.end(), {"EVALSHA", shas_[static_cast<std::size_t>(s)], nkeys});
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  const auto started = std::chrono::steady_clock::now();
  return commands_->command(argv, [this, started, done = std::move(done)](net::RedisReply r) {
    if (!r.null()) {
      metrics_->rtt.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    if (r.is_error()) {
      spdlog::warn("cluster: a script failed: {}", r.str());
      if (r.str().starts_with("NOSCRIPT")) commands_->reset("Redis lost the scripts (SCRIPT FLUSH?)");
    }
    if (done) done(r);
  });
}

}  // namespace sb::cluster
