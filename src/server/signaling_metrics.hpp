// The signaling service's /metrics families.
#pragma once

#include <memory>

#include "server/metrics.hpp"
#include "signaling/counters.hpp"
#include "signaling/router.hpp"

namespace sb::server {

void register_signaling_metrics(MetricsRegistry& registry, std::shared_ptr<const signaling::Counters> counters,
                                std::shared_ptr<const signaling::Router> router);

}  // namespace sb::server
