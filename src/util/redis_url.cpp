#include "util/redis_url.hpp"

#include <charconv>

#include "util/address.hpp"

namespace sb::util {
namespace {

template <class T>
bool to_number(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc{} && end == s.data() + s.size();
}

std::optional<RedisAddress> fail(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return std::nullopt;
}

}  // namespace

std::optional<RedisAddress> parse_redis_url(std::string_view url, std::string* error) {
  constexpr std::string_view kScheme = "redis://";
  if (!url.starts_with(kScheme)) return fail(error, "must start with redis:// (rediss:// is not supported)");
  std::string_view rest = url.substr(kScheme.size());
  RedisAddress a;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    const auto userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) return fail(error, "credentials must be [USER]:PASSWORD@");
    a.username = std::string(userinfo.substr(0, colon));
    a.password = std::string(userinfo.substr(colon + 1));
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    const auto db = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    if (!db.empty() && !to_number(db, a.db)) return fail(error, "the database must be a number");
  }
  auto hp = parse_host_optional_port(rest);
  if (!hp || hp->host.empty()) return fail(error, "expected HOST[:PORT] after redis://");
  a.host = hp->host;
  if (hp->port) a.port = *hp->port;
  if (a.port == 0) return fail(error, "the port must not be 0");
  return a;
}

}  // namespace sb::util
