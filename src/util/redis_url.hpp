// `--redis URL`: redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] (the form redis-cli -u and most clients take).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <cstdint>

namespace sb::util {

struct RedisAddress {
  std::string host;
  std::uint16_t port = 6379;
  std::string username;  // Redis 6 ACL user; empty: AUTH with the password alone
  std::string password;  // empty: no AUTH
  std::uint32_t db = 0;  // SELECT when not 0
};

// nullopt (and `error` set) when the URL is not of that form.
std::optional<RedisAddress> parse_redis_url(std::string_view url, std::string* error);

}  // namespace sb::util
