// The kernel side of addresses: sockaddr <-> TransportAddress, and this host's interface addresses.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "net/host_addresses.hpp"
#include "net/socket_address.hpp"

namespace sb::net {
namespace {

TEST(SocketAddress, Ipv4MappedSourceIsIpv4AndRoundTrips) {
  sockaddr_storage ss{};
  auto& sin6 = reinterpret_cast<sockaddr_in6&>(ss);
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(3478);
  ASSERT_EQ(inet_pton(AF_INET6, "::ffff:198.51.100.4", &sin6.sin6_addr), 1);
  const auto a = from_sockaddr(ss);
  EXPECT_TRUE(a.is_v4());
  EXPECT_EQ(a, *stun::TransportAddress::parse("198.51.100.4:3478"));

  sockaddr_storage back{};
  ASSERT_EQ(to_sockaddr(a, back), sizeof(sockaddr_in));
  const auto& sin = reinterpret_cast<const sockaddr_in&>(back);
  EXPECT_EQ(sin.sin_family, AF_INET);
  EXPECT_EQ(ntohs(sin.sin_port), 3478);
  EXPECT_EQ(ntohl(sin.sin_addr.s_addr), 0xC6336404u);
}

TEST(SocketAddress, Ipv6RoundTrips) {
  const auto a = *stun::TransportAddress::parse("[2001:db8::7]:5349");
  sockaddr_storage ss{};
  ASSERT_EQ(to_sockaddr(a, ss), sizeof(sockaddr_in6));
  EXPECT_EQ(from_sockaddr(ss), a);
}

TEST(HostAddresses, LoopbackIsAnInterfaceAndNotTheAdvertisedOne) {
  const auto all = interface_addresses();
  EXPECT_TRUE(std::any_of(all.begin(), all.end(), [](const util::IpAddress& ip) { return ip.is_loopback(); }));
  const auto first = first_non_loopback_v4();
  EXPECT_TRUE(first.is_v4());
  // Either a real interface address or the documented fallback when the host has none.
  const bool listed = std::find(all.begin(), all.end(), first) != all.end();
  EXPECT_TRUE((listed && !first.is_loopback()) || first == util::IpAddress::from_v4(0x7F000001u));
  EXPECT_FALSE(resolve_host("localhost").empty());
  EXPECT_TRUE(resolve_host("no-such-host.invalid").empty());
}

}  // namespace
}  // namespace sb::net
