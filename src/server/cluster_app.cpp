#include "server/cluster_app.hpp"

#include <spdlog/spdlog.h>

#include "signaling/memory_router.hpp"
#include "util/random.hpp"
#include "util/redis_url.hpp"

namespace sb::server {

namespace {

std::chrono::milliseconds ms(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

}  // namespace

RouterSetup make_router(const Config& config, metrics::Registry& registry) {
  const signaling::RouterLimits limits{config.signaling.max_peers_per_room, config.signaling.max_rooms};
  const auto& c = config.cluster;
  if (c.redis.empty()) return {std::make_shared<signaling::MemoryRouter>(limits), nullptr};
  cluster::ClusterConfig cc;
  cc.redis = *util::parse_redis_url(c.redis, nullptr);  // validated with the configuration
  cc.node_id = c.node_id.empty() ? util::random_hex(8) : c.node_id;
  cc.node_ttl = ms(c.node_ttl_s);
  cc.heartbeat = std::max(std::chrono::milliseconds(200), cc.node_ttl / 5);
  cc.timeouts.connect = ms(c.redis_timeout_s);
  cc.timeouts.command = ms(c.redis_timeout_s);
  cc.resume_find_timeout = ms(c.redis_timeout_s);
  cc.max_resume_finds = c.resume_max_finds;
  spdlog::info("cluster: node {} with Redis at {}:{}", cc.node_id, cc.redis.host, cc.redis.port);
  auto router = std::make_shared<cluster::RedisRouter>(std::move(cc), limits, registry);
  return {router, router};
}

HttpRoutes::Route cluster_health_route(std::shared_ptr<const cluster::RedisRouter> router) {
  return [router](const net::HttpRequest&) {
    const auto h = router->health();
    std::string body = h.redis_up ? "ok\n" : "degraded\n";
    body += "node " + router->node_id() + "\n";
    if (h.redis_up) {
      body += "redis up\nnodes-alive " + std::to_string(h.nodes_alive) + "\n";
    } else {
      const auto s = std::chrono::duration_cast<std::chrono::seconds>(h.down_for).count();
      body += "redis unreachable for " + std::to_string(s) +
              " s: calls within this node go on; joins and relays to other nodes get `unavailable`\n";
    }
    return text_response(200, std::move(body));
  };
}

}  // namespace sb::server
