#include "net/host_addresses.hpp"

#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cstring>

#include "net/socket_address.hpp"

namespace sb::net {

namespace {
stun::TransportAddress from_raw(const sockaddr* sa, socklen_t len) {
  sockaddr_storage ss{};
  std::memcpy(&ss, sa, len);
  return from_sockaddr(ss);
}
}  // namespace

std::vector<stun::TransportAddress> resolve_host(const std::string& host) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  std::vector<stun::TransportAddress> out;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0) return out;
  for (auto* r = res; r != nullptr; r = r->ai_next) {
    if (r->ai_family == AF_INET || r->ai_family == AF_INET6) out.push_back(from_raw(r->ai_addr, r->ai_addrlen));
  }
  ::freeaddrinfo(res);
  return out;
}

std::vector<util::IpAddress> interface_addresses() {
  std::vector<util::IpAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (auto* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    const int family = i->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    out.push_back(from_raw(i->ifa_addr, family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6)).ip);
  }
  ::freeifaddrs(list);
  return out;
}

util::IpAddress first_non_loopback_v4() {
  for (const auto& ip : interface_addresses()) {
    if (ip.is_v4() && !ip.is_loopback()) return ip;
  }
  return util::IpAddress::from_v4(0x7F000001u);
}

}  // namespace sb::net
