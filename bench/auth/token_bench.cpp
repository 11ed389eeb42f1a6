// What a join costs the server in access control: verify_token for HS256, RS256 (2048-bit) and ES256 (P-256),
// next to parsing the join frame itself, which every join pays with or without a token.
#include <benchmark/benchmark.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>

#include "auth/jws.hpp"
#include "auth/mint.hpp"
#include "auth/token.hpp"
#include "signaling/protocol.hpp"

namespace {

using namespace sb::auth;

constexpr std::int64_t kNow = 1'700'000'000;
const std::string kSecret = "bench-secret-0123456789abcdef0123456789";
const std::string kClaims = R"({"sub":"alice","room":"demo","iat":1699999000,"exp":1700003600,"turn":true})";

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

struct Fixture {
  KeySet keys;
  std::string hs256, rs256, es256;
  Fixture() {
    keys.add_secret("hs", kSecret);
    Pkey rsa(EVP_RSA_gen(2048));
    Pkey ec(EVP_EC_gen("P-256"));
    keys.add_public_key_pem("rsa", public_key_pem(rsa.get()));
    keys.add_public_key_pem("ec", public_key_pem(ec.get()));
    hs256 = mint_token(MintRequest{"hs", kSecret, "alice", "demo", 3600, true}, kNow - 1000).token;
    rs256 = sign_asymmetric(rsa.get(), Algorithm::rs256, "rsa", kClaims);
    es256 = sign_asymmetric(ec.get(), Algorithm::es256, "ec", kClaims);
  }
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

void verify(benchmark::State& state, const std::string& token) {
  const TokenPolicy policy;
  for (auto _ : state) {
    auto r = verify_token(token, fixture().keys, policy, kNow);
    if (!std::holds_alternative<Claims>(r)) state.SkipWithError(std::get<Refusal>(r).message.c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_VerifyHS256(benchmark::State& s) { verify(s, fixture().hs256); }
void BM_VerifyRS256(benchmark::State& s) { verify(s, fixture().rs256); }
void BM_VerifyES256(benchmark::State& s) { verify(s, fixture().es256); }

void BM_VerifyForgedHS256(benchmark::State& state) {  // what a flood of forged tokens costs
  std::string forged = fixture().hs256;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  const TokenPolicy policy;
  for (auto _ : state) benchmark::DoNotOptimize(verify_token(forged, fixture().keys, policy, kNow));
  state.SetItemsProcessed(state.iterations());
}

void BM_ParseJoinFrame(benchmark::State& state) {  // paid by every join, with or without a token
  const std::string frame = R"({"type":"join","room":"demo","name":"alice","token":")" + fixture().hs256 + "\"}";
  const sb::signaling::Limits limits;
  for (auto _ : state) benchmark::DoNotOptimize(sb::signaling::parse_client_message(frame, limits));
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_ParseJoinFrame);
BENCHMARK(BM_VerifyHS256);
BENCHMARK(BM_VerifyES256);
BENCHMARK(BM_VerifyRS256);
BENCHMARK(BM_VerifyForgedHS256);

}  // namespace

BENCHMARK_MAIN();
