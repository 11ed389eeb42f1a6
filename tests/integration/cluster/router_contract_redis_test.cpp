// RedisRouter passes the router contract (tests/unit/signaling/router_contract.cpp) with two nodes in this
// process sharing a throwaway redis-server: members alternate between the nodes, so every rule is also checked
// across nodes.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "cluster/redis_router.hpp"
#include "util/redis_url.hpp"
#include "common/redis_server.hpp"
#include "router_contract.hpp"

namespace sb::cluster {
namespace {

using signaling::RouterLimits;
using signaling::testing::RouterCluster;
using signaling::testing::RouterContract;
using signaling::testing::RouterFactory;

// Waits (bounded) until every node reaches Redis.
void wait_up(const std::vector<std::unique_ptr<RedisRouter>>& nodes) {
  for (const auto& n : nodes) {
    if (!n->wait_up(std::chrono::seconds(10))) throw std::runtime_error("a node never reached Redis");
  }
}

class RedisNodes final : public RouterCluster {
 public:
  explicit RedisNodes(const RouterLimits& limits) {
    for (int i = 0; i < 2; ++i) {
      ClusterConfig c;
      c.redis = *util::parse_redis_url(redis_.url(), nullptr);
      c.node_id = "node-" + std::to_string(i);
      nodes_.push_back(std::make_unique<RedisRouter>(c, limits, metrics_));
      nodes_.back()->start();
    }
    wait_up(nodes_);
  }
  ~RedisNodes() override {
    for (auto& n : nodes_) n->stop();
  }
  std::size_t nodes() const override { return nodes_.size(); }
  signaling::Router& node(std::size_t i) override { return *nodes_[i % nodes_.size()]; }
  std::chrono::milliseconds quiet() const override { return std::chrono::milliseconds(300); }

 private:
  itest::RedisServer redis_;
  metrics::Registry metrics_;
  std::vector<std::unique_ptr<RedisRouter>> nodes_;
};

INSTANTIATE_TEST_SUITE_P(Redis, RouterContract,
                         ::testing::Values(RouterFactory{
                             "TwoRedisNodes", [](const RouterLimits& l) { return std::make_unique<RedisNodes>(l); }}),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace sb::cluster
