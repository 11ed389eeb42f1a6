#include "signaling/ice_servers.hpp"

#include <algorithm>

namespace sb::signaling {

void remove_turn_servers(std::vector<IceServer>& servers) {
  std::erase_if(servers, [](const IceServer& s) {
    return std::any_of(s.urls.begin(), s.urls.end(),
                       [](const std::string& u) { return u.starts_with("turn:") || u.starts_with("turns:"); });
  });
}

StaticIceServers::StaticIceServers(std::vector<std::string> urls) {
  for (auto& u : urls) servers_.push_back(IceServer{{std::move(u)}, std::nullopt, std::nullopt});
}

std::vector<IceServer> StaticIceServers::ice_servers_for(const IceServerRequest&) { return servers_; }

std::vector<IceServer> CompositeIceServers::ice_servers_for(const IceServerRequest& request) {
  std::vector<IceServer> out;
  for (const auto& s : sources_) {
    auto part = s->ice_servers_for(request);
    out.insert(out.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  return out;
}

}  // namespace sb::signaling
