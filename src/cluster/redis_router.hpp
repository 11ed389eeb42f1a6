// The Router of a signalbox cluster: nodes that share one Redis (docs/cluster.md). Room membership lives in Redis
// (a hash per room, changed only by Lua scripts, so a join's capacity check is atomic across nodes); each node
// keeps a view of the rooms its own members are in. Messages between nodes go over pub/sub, one channel per node,
// so a node receives only what is addressed to its own members. A relay between two members of this node never
// touches Redis.
//
// Threading: the public calls run on any thread and take `mu_` briefly; everything that talks to Redis runs on
// the router's own thread (one io_context, two hiredis connections: commands, and the node's subscription).
// Members are never called under `mu_`.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <optional>
#include <span>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cluster/bus.hpp"
#include "cluster/keys.hpp"
#include "net/redis_connection.hpp"
#include "signaling/resume.hpp"
#include "signaling/router.hpp"
#include "util/clock.hpp"
#include "util/metrics.hpp"

namespace sb::cluster {

struct ClusterConfig {
  net::RedisAddress redis;
  std::string node_id;
  std::chrono::milliseconds node_ttl{5000};   // a node whose heartbeat is older than this is dead
  std::chrono::milliseconds heartbeat{1000};  // how often a node refreshes its heartbeat (and notices a flush)
  std::chrono::milliseconds sweep{1000};      // how often a node looks for dead nodes
  std::chrono::milliseconds reconcile_delay{2500};  // after a reconnect: when rooms are checked against Redis
  net::RedisTimeouts timeouts;
  // Resume across nodes: how long a node waits for the others' answer about a session it does not hold, and
  // how many such questions it has open at once (more are refused as `expired`).
  std::chrono::milliseconds resume_find_timeout{2000};
  std::uint32_t max_resume_finds = 1000;
  std::uint32_t sweep_batch = 500;  // members of a dead node removed per script call
  std::string key_prefix = "sb:";
};

// What /healthz and the logs say about the cluster.
struct ClusterHealth {
  bool redis_up = false;
  std::chrono::steady_clock::duration down_for{};  // how long Redis has been unreachable (when not up)
  bool draining = false;
  std::int64_t nodes_alive = 0;
};

class RedisRouter final : public signaling::Router, public signaling::SessionFinder {
 public:
  // `metrics` outlives the router.
  RedisRouter(ClusterConfig config, signaling::RouterLimits limits, metrics::Registry& metrics);
  ~RedisRouter() override;
  RedisRouter(const RedisRouter&) = delete;
  RedisRouter& operator=(const RedisRouter&) = delete;

  // Starts the router's thread and connects. Joins are refused (unavailable) until Redis answers.
  void start();
  // Says goodbye to Redis (the node's keys go; call it after the members have left) and stops the thread.
  // Waits at most `timeout`.
  void stop(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

  std::string join(signaling::JoinRequest request, std::weak_ptr<signaling::Member> member) override;
  void announce_joined(std::string_view room, std::string_view id) override;
  void relay(std::string_view room, std::string_view from, std::string_view to,
             signaling::event::Relay relay) override;
  void leave(std::string_view room, std::string_view id, signaling::LeaveReason reason) override;
  void watch(std::string_view room, std::string_view watcher, std::string_view target) override;
  void unwatch(std::string_view room, std::string_view watcher, std::string_view target) override;
  void set_status(std::string_view room, std::string_view id, signaling::PeerStatus status) override;
  void drain() override;
  void set_id_holder(signaling::IdHolder* holder) override;
  std::size_t room_count() const override;
  std::size_t peer_count() const override;

  // Session resume across nodes (docs/cluster.md, "Resume across nodes"): the node's resumable sessions, which it
  // hands over to the node a client resumes on, and asks the other nodes for. Set before start().
  void set_sessions(std::shared_ptr<signaling::ResumeRegistry> sessions, std::shared_ptr<const util::Clock> clock);
  void find(const std::string& session, const signaling::SecretHash& hash, std::uint64_t seq) override;

  // Waits (bounded) until the node reaches Redis; false when it did not within `timeout`.
  bool wait_up(std::chrono::milliseconds timeout);
  ClusterHealth health() const;
  const std::string& node_id() const { return config_.node_id; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  template <class V>
  using Map = std::unordered_map<std::string, V, Hash, std::equal_to<>>;

  struct LocalEntry {
    signaling::PeerInfo info;
    std::weak_ptr<signaling::Member> member;
    std::uint64_t seq = 0;
    bool presence = true;
    bool admitted = false;   // the join script said yes
    bool announced = false;
    bool cancelled = false;  // left before the join script answered
    // What happened in the room while the join script was running or its answer on its way (the answer and the
    // bus arrive on different connections): sorted out against the roster once admitted.
    std::vector<signaling::Event> pending{};
    std::vector<std::string> watching{};  // ids this member watches (few: a PeerJS session's pending ids)
    std::string attach{};        // JoinRequest::token_digest in hex; empty: none
    std::uint32_t capacity = 0;  // JoinRequest::max_peers, for a join again after a refused claim
  };
  // A member of another node, in a room this node has members in (only members with presence are kept).
  struct RemoteEntry {
    std::string node;
    signaling::PeerInfo info;
    std::uint64_t seq = 0;
    bool announced = false;  // false: learned from a roster; those who came before were not told yet
  };
  struct RoomView {
    Map<LocalEntry> local;
    Map<RemoteEntry> remote;
    Map<std::vector<std::string>> watchers{};  // target id → ids of the local members watching it
  };
  using Delivery = std::pair<std::weak_ptr<signaling::Member>, signaling::Event>;
  // A relay for a member of another node, on its way to the router's thread.
  struct Outgoing {
    std::string room, from, to;
    std::string node;  // empty: Redis looks the target up
    std::string payload;
    signaling::event::Relay relay;
    std::weak_ptr<signaling::Member> sender;
  };
  struct Reporter;
  struct Metrics {
    Metrics(metrics::Registry& r, const std::string& node);
    metrics::Histogram& rtt;
    metrics::Counter& out;
    metrics::Counter& in;
    metrics::Counter& invalid;
    metrics::Counter& reconnects;
    metrics::Counter& reassertions;
    metrics::Gauge& redis_up;
    metrics::Gauge& nodes_alive;
  };

  // redis_router.cpp: the calls.
  std::optional<signaling::event::Refused> admit_locked(const signaling::JoinRequest& request);
  void send_join(signaling::JoinRequest request, bool may_claim = true);
  void send_leave(const std::string& room, const std::string& id, const std::string& payload);
  void relay_remote(std::string_view room, std::string_view from, std::string_view to, const std::string* node,
                    signaling::event::Relay relay, std::weak_ptr<signaling::Member> sender);
  void flush_outbox();            // router thread
  void send_relay(Outgoing& o);   // router thread
  void told_left_locked(RoomView& view, std::string_view id, std::uint64_t seq, bool announced,
                        signaling::LeaveReason reason, std::vector<Delivery>& out);
  // PeerJoined / PeerLeft for `e`: delivered when admitted and `applies`; kept for later while it is joining.
  static void tell_locked(LocalEntry& e, bool applies, signaling::Event ev, std::vector<Delivery>& out);
  static void settle_pending_locked(LocalEntry& e, const std::vector<signaling::PeerInfo>& roster,
                                    std::vector<Delivery>& out);
  // `event` about member `id` (join order `seq`) to the local members that know of it: who came after it (it
  // was in their roster), and, once it was announced, everyone.
  void tell_knowing_locked(RoomView& view, std::string_view id, std::uint64_t seq, bool announced,
                           const signaling::Event& event, std::vector<Delivery>& out);
  void erase_if_empty_locked(std::string_view room);
  static void deliver_all(std::vector<Delivery>& deliveries);

  // redis_router_watch.cpp: Router::watch across nodes. A node's watches of one target are one entry in Redis
  // (the target's watch set); posting send_watch / send_unwatch under mu_ keeps them in the order of the calls.
  void unwatch_locked(std::string_view room, RoomView& view, std::string_view watcher, std::string_view target);
  void notify_watchers_locked(std::string_view room, RoomView& view, const signaling::PeerInfo& info,
                              std::vector<Delivery>& out);
  void send_watch(const std::string& room, const std::string& target);    // router thread
  void send_unwatch(const std::string& room, const std::string& target);  // router thread
  void rewatch();                                                         // router thread: after a re-assertion
  void on(const bus::WatchQuery& m);
  void on(const bus::Arrived& m);

  // redis_router_bus.cpp: answers and messages from Redis (router thread).
  void on_join_reply(const std::string& room, const std::string& id, net::RedisReply reply);
  std::vector<signaling::PeerInfo> take_roster_locked(RoomView& view, std::string_view self, net::RedisReply roster);
  void on_bus(std::string_view payload);
  void on(const bus::Relay& m);
  void reroute(const bus::Relay& m);
  void on(const bus::Joined& m);
  void on(const bus::Left& m);
  void on(const bus::Undeliverable& m);
  void on(const bus::Status& m);
  void publish(const std::string& node, std::string payload);

  // redis_router_resume.cpp: resume across nodes (router thread).
  struct PendingFind {
    std::int64_t due = -1;  // answers due (-1: the question's script has not answered yet)
    std::int64_t answered = 0;
    std::shared_ptr<boost::asio::steady_timer> timer;
  };
  void send_find(const std::string& session, const std::string& payload);
  void found(const std::string& session, std::optional<signaling::ResumeFailed> refused);
  void hand_over(const std::string& to, signaling::SessionTransfer session);
  void on_moved(const std::string& session, const std::string& room, const std::string& id, const std::string& to,
                bool moved);
  void forget_moved(const std::string& room, const std::string& id, const std::string& to);
  void on(const bus::Find& m);
  void on(const bus::NotHere& m);
  void on(const bus::Refusal& m);
  void on(const bus::Transfer& m);
  void on(const bus::Kept& m);
  void on(const bus::Moved& m);

  // redis_router_attach.cpp: re-attach across nodes (router thread).
  LocalEntry* joining_locked(const std::string& room, const std::string& id);  // not admitted yet, or null
  void await_hand_over(const std::string& room, const std::string& id);
  void claim_expired(const std::string& room, const std::string& id);
  void tell_holder(const std::string& room, const std::string& id);
  void on(const bus::Claim& m);
  void on(const bus::Handed& m);

  // redis_router_upkeep.cpp: connections, heartbeat, dead nodes, recovery (router thread).
  void on_command_ready();
  void on_subscriber_ready();
  void on_connection_down(const std::string& why);
  void load_scripts();
  void set_up(bool up);
  void heartbeat();
  void sweep();
  bool sweep_node(const std::string& node, signaling::LeaveReason reason, std::function<void(bool)> done);
  void register_node(bool reassert);
  void reassert();
  void on_lost(net::RedisReply lost);
  void drain_members();
  void reconcile(bool remove_missing);
  void reconcile_room(const std::string& room, net::RedisReply hash, bool remove_missing);
  void reconcile_view_locked(RoomView& view, net::RedisReply hash, bool remove_missing,
                             std::vector<Delivery>& deliveries);
  void flush_pending_leaves();
  void arm(boost::asio::steady_timer& timer, std::chrono::milliseconds every, void (RedisRouter::*what)());
  std::string node_value() const;

  // Scripts run by their SHA (loaded on every connect, before anything else). `done` may be empty.
  enum class Script : std::uint8_t { join, announce, leave, relay, heartbeat, reg, reassert, find_dead, sweep,
                                     goodbye, watch, unwatch, find_session, move_member, count };
  bool eval(Script s, std::initializer_list<std::string_view> keys, std::span<const std::string_view> args,
            net::RedisConnection::Callback done);
  bool eval(Script s, std::initializer_list<std::string_view> keys, std::initializer_list<std::string_view> args,
            net::RedisConnection::Callback done) {
    return eval(s, keys, std::span<const std::string_view>(args.begin(), args.size()), std::move(done));
  }

  const ClusterConfig config_;
  const signaling::RouterLimits limits_;
  const Keys keys_;
  std::unique_ptr<Metrics> metrics_;

  mutable std::mutex mu_;
  Map<RoomView> rooms_;           // guarded by mu_: rooms with at least one local member (joining or admitted)
  std::size_t local_peers_ = 0;   // guarded by mu_: admitted local members
  bool draining_ = false;         // guarded by mu_
  std::mutex outbox_mu_;
  std::vector<Outgoing> outbox_;  // guarded by outbox_mu_: relays for other nodes, not yet handed to Redis
  std::atomic<bool> up_{false};   // both connections ready, the scripts loaded, the node registered
  std::mutex up_mu_;              // with up_cv_: wait_up()
  std::condition_variable up_cv_;
  std::atomic<std::int64_t> down_since_ns_{0};
  std::atomic<std::int64_t> nodes_alive_{0};

  // Router thread only.
  boost::asio::io_context io_;
  std::thread thread_;
  std::shared_ptr<net::RedisConnection> commands_;
  std::shared_ptr<net::RedisConnection> subscriber_;
  boost::asio::steady_timer heartbeat_timer_;
  boost::asio::steady_timer sweep_timer_;
  boost::asio::steady_timer reconcile_timer_;
  std::string shas_[static_cast<std::size_t>(Script::count)];
  bool scripts_loaded_ = false;
  bool subscribed_ = false;
  bool ever_up_ = false;
  std::string epoch_;  // the dataset this node registered in
  struct PendingLeave {
    std::string room, id, payload;
  };
  std::vector<PendingLeave> pending_leaves_;  // leaves Redis may not have seen; done again once it is back
  bool stopping_ = false;
  Map<PendingFind> finds_;  // the questions about sessions this node asked, by session id
  std::shared_ptr<signaling::ResumeRegistry> sessions_;  // set before start(); null: no resume
  std::shared_ptr<const util::Clock> clock_;
  Map<std::shared_ptr<boost::asio::steady_timer>> claims_;  // this node's joins waiting for a Handed, "<room>\n<id>"
  std::mutex holder_mu_;
  signaling::IdHolder* holder_ = nullptr;  // guarded by holder_mu_ (set_id_holder)
};

}  // namespace sb::cluster
