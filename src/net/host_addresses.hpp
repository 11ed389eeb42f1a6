// This host's addresses as the resolver and the kernel report them (getaddrinfo, getifaddrs). Used at
// start-up to choose what to advertise and what the TURN peer policy counts as the server's own.
#pragma once

#include <string>
#include <vector>

#include "stun/address.hpp"
#include "util/address.hpp"

namespace sb::net {

// Every address `host` resolves to (A and AAAA), with port 0. Empty when it does not resolve.
std::vector<stun::TransportAddress> resolve_host(const std::string& host);

// Every address of every interface of this host, loopback included.
std::vector<util::IpAddress> interface_addresses();

// The first non-loopback IPv4 interface address (what a wildcard listener is reachable at), else 127.0.0.1.
util::IpAddress first_non_loopback_v4();

}  // namespace sb::net
