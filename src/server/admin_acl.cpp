#include "server/admin_acl.hpp"

namespace sb::server {

AdminAcl::AdminAcl(const std::vector<std::string>& allow) {
  for (const auto& text : allow) {
    if (auto c = util::parse_cidr(text)) allow_.push_back(*c);
  }
}

bool AdminAcl::allows(const util::IpAddress& remote) const {
  // Loopback (RFC 1122 §3.2.1.3 127/8, RFC 4291 §2.5.3 ::1) is the operator on the same host.
  static const util::Cidr kLoopback4 = *util::parse_cidr("127.0.0.0/8");
  static const util::Cidr kLoopback6 = *util::parse_cidr("::1/128");
  if (kLoopback4.contains(remote) || kLoopback6.contains(remote)) return true;
  for (const auto& c : allow_) {
    if (c.contains(remote)) return true;
  }
  return false;
}

}  // namespace sb::server
