#include "auth/jws.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

#include "auth/base64url.hpp"

namespace sb::auth {

std::string_view to_string(Algorithm a) {
  switch (a) {
    case Algorithm::hs256: return "HS256";
    case Algorithm::rs256: return "RS256";
    case Algorithm::es256: return "ES256";
  }
  return "?";
}

std::optional<CompactJws> split_compact(std::string_view token) {
  const auto first = token.find('.');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
  auto header = base64url_decode(token.substr(0, first));
  auto payload = base64url_decode(token.substr(first + 1, second - first - 1));
  auto signature = base64url_decode(token.substr(second + 1));
  if (!header || !payload || !signature) return std::nullopt;
  return CompactJws{std::move(*header), std::move(*payload), std::move(*signature), token.substr(0, second)};
}

std::string sign_hs256(std::string_view header_json, std::string_view payload_json, std::string_view secret) {
  std::string out = base64url_encode(header_json);
  out += '.';
  out += base64url_encode(payload_json);
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> tag{};
  unsigned len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(out.data()), out.size(), tag.data(), &len);
  out += '.';
  out += base64url_encode(std::span<const std::uint8_t>(tag.data(), len));
  return out;
}

}  // namespace sb::auth
