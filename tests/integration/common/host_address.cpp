#include "common/host_address.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <stdexcept>

namespace sb::itest {

std::string host_address(bool v6) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) throw std::runtime_error("getifaddrs failed");
  std::string found;
  for (auto* i = list; i != nullptr && found.empty(); i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != (v6 ? AF_INET6 : AF_INET)) continue;
    char text[INET6_ADDRSTRLEN] = {};
    if (!v6) {
      const auto* a = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      if ((ntohl(a->sin_addr.s_addr) >> 24) == 127) continue;
      ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    } else {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      if (IN6_IS_ADDR_LOOPBACK(&a->sin6_addr) || IN6_IS_ADDR_LINKLOCAL(&a->sin6_addr)) continue;
      ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
    }
    found = text;
  }
  ::freeifaddrs(list);
  if (found.empty()) {
    throw std::runtime_error(std::string("this host has no non-loopback ") + (v6 ? "IPv6" : "IPv4") +
                             " address; the relay tests need one");
  }
  return found;
}

}  // namespace sb::itest
