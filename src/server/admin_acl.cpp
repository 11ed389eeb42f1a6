#include "server/admin_acl.hpp"

#include <openssl/crypto.h>

namespace sb::server {

AdminAcl::AdminAcl(const std::vector<std::string>& allow, std::string token) : token_(std::move(token)) {
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

AdminAcl::Verdict AdminAcl::check(const net::HttpRequest& request) const {
  if (!allows(request.remote)) return Verdict::kForbidden;
  if (token_.empty()) return Verdict::kAllowed;
  // RFC 6750 §2.1; compared in constant time so the token cannot be guessed byte by byte.
  const std::string_view prefix = "Bearer ";
  const std::string_view auth = request.authorization;
  if (auth.size() != prefix.size() + token_.size() || auth.substr(0, prefix.size()) != prefix) {
    return Verdict::kUnauthorized;
  }
  return CRYPTO_memcmp(auth.data() + prefix.size(), token_.data(), token_.size()) == 0 ? Verdict::kAllowed
                                                                                        : Verdict::kUnauthorized;
}

}  // namespace sb::server
