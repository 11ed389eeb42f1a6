// libFuzzer target for the join-token parser and the auth webhook's answer. The first byte picks what the
// rest is:
//   0: a whole token, checked against HS256, RS256 and ES256 keys (signatures cannot be forged by the
//      fuzzer, so this exercises splitting, base64url, the header and key selection);
//   1: a payload (claims JSON), signed here with the HS256 key, so every claim check is reached;
//   2: a header JSON, signed here over a fixed valid payload (alg / kid / crit handling);
//   3: a webhook answer body.
// Nothing may crash, and whatever is admitted must satisfy what the checks promise.
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/jws.hpp"
#include "auth/token.hpp"
#include "auth/webhook.hpp"

namespace {

using namespace sb::auth;

constexpr std::int64_t kNow = 1'700'000'000;
const std::string kSecret = "fuzz-secret-0123456789abcdef0123";

const KeySet& keys() {
  static const KeySet k = [] {
    KeySet s;
    s.add_secret("k", kSecret);
    EVP_PKEY* rsa = EVP_RSA_gen(2048);
    EVP_PKEY* ec = EVP_EC_gen("P-256");
    s.add_public_key_pem("rsa", public_key_pem(rsa));
    s.add_public_key_pem("ec", public_key_pem(ec));
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    return s;
  }();
  return k;
}

void check(const TokenResult& r) {
  const auto* c = std::get_if<Claims>(&r);
  if (c == nullptr) return;
  const TokenPolicy policy;
  if (c->identity.empty() || c->identity.size() > policy.max_identity_bytes) __builtin_trap();
  if (c->meta.size() > policy.max_meta_bytes) __builtin_trap();
  if (c->expires + policy.leeway_s < kNow) __builtin_trap();  // expired tokens are never admitted (exp is floored)
  if (!c->room_prefix && c->room.empty()) __builtin_trap();
  if (!c->allows_room(c->room + (c->room_prefix ? "x" : ""))) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const TokenPolicy policy;
  switch (data[0] % 4) {
    case 0:
      check(verify_token(rest, keys(), policy, kNow));
      break;
    case 1:
      check(verify_token(sign_hs256(R"({"alg":"HS256","kid":"k"})", rest, kSecret), keys(), policy, kNow));
      break;
    case 2:
      check(verify_token(sign_hs256(rest, R"({"sub":"a","room":"r","exp":1800000000})", kSecret), keys(), policy,
                         kNow));
      break;
    default:
      (void)read_webhook_answer(200, rest, WebhookLimits{});
      break;
  }
  return 0;
}
