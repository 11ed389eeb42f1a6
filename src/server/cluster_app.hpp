// The node's router: RedisRouter when `--redis` is set (docs/cluster.md), else MemoryRouter; and the /healthz
// rule of a cluster node.
#pragma once

#include <memory>

#include "cluster/redis_router.hpp"
#include "server/config.hpp"
#include "server/http_routes.hpp"
#include "signaling/router.hpp"
#include "util/metrics.hpp"

namespace sb::server {

struct RouterSetup {
  std::shared_ptr<signaling::Router> router;
  std::shared_ptr<cluster::RedisRouter> cluster;  // null on a single node
};
RouterSetup make_router(const Config& config, metrics::Registry& registry);

// 200 "ok" while the node reaches Redis; 200 "degraded" while it does not (calls within the node go on; joins and
// cross-node relays get `unavailable`, and every node is in the same state, so taking this one out of a load
// balancer would only cut its calls). The lines after the first say why.
HttpRoutes::Route cluster_health_route(std::shared_ptr<const cluster::RedisRouter> router);

}  // namespace sb::server
