#include "net/tls.hpp"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <stdexcept>

#include "util/random.hpp"

namespace sb::net {
namespace {

namespace ssl = boost::asio::ssl;

template <class T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
void bio_free(BIO* b) { BIO_free(b); }
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, bio_free>>;

[[noreturn]] void fail(const std::string& what) {
  const unsigned long e = ERR_get_error();
  char buf[256] = "unknown error";
  if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
  throw std::runtime_error(what + ": " + buf);
}

// The "intermediate" policy as the field uses it: TLS 1.3, and TLS 1.2 only with ECDHE key exchange
// (forward secrecy) and AEAD ciphers. No CBC, no SHA-1 MACs, no static-RSA key exchange, no
// renegotiation or compression. Every TLS listener (HTTPS/WSS, TURN/STUN over TLS) is built from this.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kTls13Suites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kGroups = "X25519:P-256:P-384";

std::shared_ptr<ssl::context> new_server_context() {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  SSL_CTX* c = ctx->native_handle();
  if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1 || SSL_CTX_set_cipher_list(c, kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(c, kTls13Suites) != 1 || SSL_CTX_set1_groups_list(c, kGroups) != 1) {
    fail("TLS policy");
  }
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  return ctx;
}

void add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) fail("certificate extension " + value);
}

std::string subject_alt_names(const std::vector<std::string>& extra) {
  std::string san = "DNS:localhost,IP:127.0.0.1,IP:::1";
  for (const auto& name : extra) {
    if (name.empty() || name == "localhost" || name == "127.0.0.1" || name == "::1" || name == "0.0.0.0" ||
        name == "::") {
      continue;  // already present, or a wildcard bind address nobody connects to
    }
    boost::system::error_code ec;
    boost::asio::ip::make_address(name, ec);
    san += (ec ? ",DNS:" : ",IP:") + name;
  }
  return san;
}

X509Ptr make_certificate(EVP_PKEY* key, const std::vector<std::string>& extra_names) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1) fail("X509_new");
  std::uint8_t serial[16];
  util::random_bytes(serial);
  serial[0] &= 0x7f;  // positive (RFC 5280 §4.1.2.2)
  BnPtr bn(BN_bin2bn(serial, sizeof serial, nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get()))) fail("serial");
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600);
  if (X509_set_pubkey(cert.get(), key) != 1) fail("X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("signalbox"), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), name);
  add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), NID_subject_alt_name, subject_alt_names(extra_names));
  if (X509_sign(cert.get(), key, EVP_sha256()) == 0) fail("X509_sign");
  return cert;
}

std::string fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) != 1) fail("X509_digest");
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    if (i) out.push_back(':');
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  return out;
}

std::string to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) fail("PEM_write_bio_X509");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(n));
}

}  // namespace

std::shared_ptr<ssl::context> tls_context_from_files(const std::string& cert_pem_file,
                                                     const std::string& key_pem_file) {
  auto ctx = new_server_context();
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_pem_file, ec);
  if (ec) throw std::runtime_error("--tls-cert " + cert_pem_file + ": " + ec.message());
  ctx->use_private_key_file(key_pem_file, ssl::context::pem, ec);
  if (ec) throw std::runtime_error("--tls-key " + key_pem_file + ": " + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    throw std::runtime_error("--tls-key " + key_pem_file + " does not match --tls-cert " + cert_pem_file);
  }
  return ctx;
}

SelfSigned make_self_signed(const std::vector<std::string>& extra_names) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) fail("EVP_EC_gen");
  auto cert = make_certificate(key.get(), extra_names);
  SelfSigned out;
  out.context = new_server_context();
  if (SSL_CTX_use_certificate(out.context->native_handle(), cert.get()) != 1) fail("SSL_CTX_use_certificate");
  if (SSL_CTX_use_PrivateKey(out.context->native_handle(), key.get()) != 1) fail("SSL_CTX_use_PrivateKey");
  out.sha256_fingerprint = fingerprint(cert.get());
  out.certificate_pem = to_pem(cert.get());
  return out;
}

}  // namespace sb::net
