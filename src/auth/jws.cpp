#include "auth/jws.hpp"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

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

namespace {

// ECDSA's DER SEQUENCE {r, s} as JWS's fixed-size R||S (RFC 7518 §3.4).
std::string der_to_raw_es256(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr) return {};
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

}  // namespace

std::string sign_asymmetric(EVP_PKEY* private_key, Algorithm alg, std::string_view kid, std::string_view claims) {
  if (alg == Algorithm::hs256) return {};
  const std::string input = base64url_encode(R"({"alg":")" + std::string(to_string(alg)) + R"(","kid":")" +
                                             std::string(kid) + R"("})") +
                            "." + base64url_encode(claims);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  std::string sig;
  if (ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, private_key) == 1 &&
      EVP_DigestSign(ctx, nullptr, &len, data, input.size()) == 1) {
    sig.resize(len);
    if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len, data, input.size()) != 1) len = 0;
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (alg == Algorithm::es256 && !sig.empty()) sig = der_to_raw_es256(sig);
  return sig.empty() ? std::string() : input + "." + base64url_encode(sig);
}

std::string public_key_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio, key) != 1) {
    BIO_free(bio);
    return {};
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return pem;
}

}  // namespace sb::auth
