// Who may reach /metrics and /admin/*: loopback always, plus the configured `admin-allow` CIDRs; and, when
// `admin-token` is set, only requests that carry `Authorization: Bearer <token>`. Behind a reverse proxy on
// the same host every request comes from loopback, so the token is what keeps those endpoints (usernames,
// IPs, allocations) private there.
#pragma once

#include <string>
#include <vector>

#include "net/http_handler.hpp"
#include "util/address.hpp"

namespace sb::server {

class AdminAcl {
 public:
  AdminAcl() = default;
  // CIDR strings as in the configuration (validated by Config::validate; bad ones are skipped here).
  explicit AdminAcl(const std::vector<std::string>& allow, std::string token = {});
  bool allows(const util::IpAddress& remote) const;

  enum class Verdict { kAllowed, kForbidden, kUnauthorized };  // 200 / 403 (address) / 401 (token)
  Verdict check(const net::HttpRequest& request) const;

 private:
  std::vector<util::Cidr> allow_;
  std::string token_;  // empty: no token needed
};

}  // namespace sb::server
