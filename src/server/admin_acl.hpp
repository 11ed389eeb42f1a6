// Who may reach /metrics and /admin/*: loopback always, plus the configured `admin-allow` CIDRs.
#pragma once

#include <string>
#include <vector>

#include "util/address.hpp"

namespace sb::server {

class AdminAcl {
 public:
  AdminAcl() = default;
  // CIDR strings as in the configuration (validated by Config::validate; bad ones are skipped here).
  explicit AdminAcl(const std::vector<std::string>& allow);
  bool allows(const util::IpAddress& remote) const;

 private:
  std::vector<util::Cidr> allow_;
};

}  // namespace sb::server
