// The typed router's contract: one parameterized test suite that every Router implementation passes
// (router_contract.cpp). MemoryRouter instantiates it in router_test.cpp; RedisRouter, with a throwaway
// redis-server and two nodes, in tests/integration/cluster.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "signaling/router.hpp"

namespace sb::signaling::testing {

// The routers under test: one MemoryRouter, or one RedisRouter per node sharing one Redis.
class RouterCluster {
 public:
  virtual ~RouterCluster() = default;
  virtual std::size_t nodes() const = 0;
  virtual Router& node(std::size_t i) = 0;  // i is taken modulo nodes()
  // How long a test watches for "nothing arrives" (0 for a router that delivers synchronously).
  virtual std::chrono::milliseconds quiet() const = 0;
};

struct RouterFactory {
  std::string name;
  std::function<std::unique_ptr<RouterCluster>(const RouterLimits&)> make;
};
inline void PrintTo(const RouterFactory& f, std::ostream* os) {
  *os << f.name;
}

class RouterContract : public ::testing::TestWithParam<RouterFactory> {};

}  // namespace sb::signaling::testing
