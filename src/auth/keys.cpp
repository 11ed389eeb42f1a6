// Key loading (PEM) and signature verification with OpenSSL 3.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>

#include "auth/jws.hpp"

namespace sb::auth {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};
struct SigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};

constexpr std::size_t kMinSecretBytes = 32;
constexpr int kMinRsaBits = 2048;
constexpr std::size_t kEs256SignatureBytes = 64;  // RFC 7518 §3.4: R and S, 32 bytes each, big-endian

bool verify_hmac(const std::string& secret, std::string_view input, std::string_view signature) {
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> tag{};
  unsigned len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(), tag.data(), &len) == nullptr) {
    return false;
  }
  return signature.size() == len && CRYPTO_memcmp(tag.data(), signature.data(), len) == 0;
}

bool verify_digest(EVP_PKEY* pkey, std::string_view input, const unsigned char* sig, std::size_t sig_len) {
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  const bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey) == 1 &&
                  EVP_DigestVerify(ctx.get(), sig, sig_len, reinterpret_cast<const unsigned char*>(input.data()),
                                   input.size()) == 1;
  // A refused signature leaves errors in this thread's queue, where a later TLS call on the same I/O thread
  // would mistake them for its own.
  if (!ok) ERR_clear_error();
  return ok;
}

// JWS carries ECDSA signatures as the fixed-size R||S; OpenSSL verifies the DER SEQUENCE of two INTEGERs.
bool verify_es256(EVP_PKEY* pkey, std::string_view input, std::string_view signature) {
  if (signature.size() != kEs256SignatureBytes) return false;
  const auto* raw = reinterpret_cast<const unsigned char*>(signature.data());
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw, 32, nullptr);
  BIGNUM* s = BN_bin2bn(raw + 32, 32, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_len <= 0) return false;
  const bool ok = verify_digest(pkey, input, der, static_cast<std::size_t>(der_len));
  OPENSSL_free(der);
  return ok;
}

std::shared_ptr<EVP_PKEY> read_public_key(std::string_view pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) ERR_clear_error();
  return std::shared_ptr<EVP_PKEY>(key, PkeyFree{});
}

// The algorithm a public key is pinned to, or an error text.
std::string pinned_algorithm(EVP_PKEY* key, Algorithm* alg) {
  if (EVP_PKEY_is_a(key, "RSA")) {
    if (EVP_PKEY_get_bits(key) < kMinRsaBits) return "an RSA key must have at least 2048 bits";
    *alg = Algorithm::rs256;
    return {};
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    std::array<char, 64> group{};
    std::size_t len = 0;
    if (EVP_PKEY_get_group_name(key, group.data(), group.size(), &len) != 1 ||
        std::string_view(group.data(), len) != "prime256v1") {
      return "an EC key must be on P-256 (ES256)";
    }
    *alg = Algorithm::es256;
    return {};
  }
  return "the key is neither RSA (RS256) nor EC P-256 (ES256)";
}

}  // namespace

Key Key::secret(std::string kid, std::string secret) {
  Key k(std::move(kid), Algorithm::hs256);
  k.secret_ = std::move(secret);
  return k;
}

Key Key::public_key(std::string kid, Algorithm alg, std::shared_ptr<EVP_PKEY> pkey) {
  Key k(std::move(kid), alg);
  k.pkey_ = std::move(pkey);
  return k;
}

bool Key::verify(std::string_view signing_input, std::string_view signature) const {
  switch (alg_) {
    case Algorithm::hs256:
      return verify_hmac(secret_, signing_input, signature);
    case Algorithm::rs256:
      return verify_digest(pkey_.get(), signing_input, reinterpret_cast<const unsigned char*>(signature.data()),
                           signature.size());
    case Algorithm::es256:
      return verify_es256(pkey_.get(), signing_input, signature);
  }
  return false;
}

std::string KeySet::add(Key key) {
  if (key.kid().empty()) return "the key id (kid) must not be empty";
  if (find(key.kid()) != nullptr) return "key id '" + key.kid() + "' is configured twice";
  keys_.push_back(std::move(key));
  return {};
}

std::string KeySet::add_secret(std::string kid, std::string secret) {
  if (secret.size() < kMinSecretBytes) {
    return "the secret of key '" + kid + "' must have at least " + std::to_string(kMinSecretBytes) + " bytes";
  }
  return add(Key::secret(std::move(kid), std::move(secret)));
}

std::string KeySet::add_public_key_pem(std::string kid, std::string_view pem) {
  auto pkey = read_public_key(pem);
  if (!pkey) return "key '" + kid + "': not a PEM public key (-----BEGIN PUBLIC KEY-----)";
  Algorithm alg = Algorithm::hs256;
  if (auto err = pinned_algorithm(pkey.get(), &alg); !err.empty()) return "key '" + kid + "': " + err;
  return add(Key::public_key(std::move(kid), alg, std::move(pkey)));
}

const Key* KeySet::find(std::string_view kid) const {
  auto it = std::find_if(keys_.begin(), keys_.end(), [&](const Key& k) { return k.kid() == kid; });
  return it == keys_.end() ? nullptr : &*it;
}

}  // namespace sb::auth
