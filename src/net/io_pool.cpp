#include "net/io_pool.hpp"

#include <algorithm>
#include <functional>

namespace sb::net {

IoPool::IoPool(unsigned threads) {
  for (unsigned i = 0; i < std::max(1u, threads); ++i) {
    // Concurrency hint 1: each context is run by one thread only.
    auto& ctx = *contexts_.emplace_back(std::make_unique<boost::asio::io_context>(1));
    if (i > 0) guards_.emplace_back(ctx.get_executor());
  }
}

IoPool::~IoPool() {
  guards_.clear();
  for (auto& c : contexts_) c.reset();  // in order: 0 first
}

boost::asio::io_context& IoPool::next() {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

boost::asio::io_context& IoPool::home(std::string_view room) {
  return *contexts_[std::hash<std::string_view>{}(room) % contexts_.size()];
}

void IoPool::stop() {
  for (auto& c : contexts_) c->stop();
}

std::string_view room_hint(std::string_view target) { return query_param(target, "room"); }

std::string_view query_param(std::string_view target, std::string_view name) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    if (param.size() > name.size() && param.starts_with(name) && param[name.size()] == '=') {
      return param.substr(name.size() + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

}  // namespace sb::net
