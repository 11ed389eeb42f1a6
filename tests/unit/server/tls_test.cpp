#include "net/tls.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <memory>

namespace sb::net {
namespace {

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};

std::unique_ptr<X509, X509Free> parse_pem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return std::unique_ptr<X509, X509Free>(x);
}

TEST(SelfSigned, CertificateCoversLocalhostAndTheListenHost) {
  auto s = make_self_signed({"192.0.2.7", "box.example", "0.0.0.0"});
  ASSERT_TRUE(s.context);
  EXPECT_EQ(s.sha256_fingerprint.size(), 32u * 3 - 1);  // "AB:CD:..." for 32 bytes
  auto cert = parse_pem(s.certificate_pem);
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "box.example", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "192.0.2.7", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "0.0.0.0", 0), 0) << "wildcard bind addresses are not names";
  EXPECT_EQ(X509_check_host(cert.get(), "other.example", 0, 0, nullptr), 0);
}

TEST(SelfSigned, EachCallMakesANewCertificate) {
  EXPECT_NE(make_self_signed({}).sha256_fingerprint, make_self_signed({}).sha256_fingerprint);
}

TEST(TlsFromFiles, ReadableErrors) {
  try {
    tls_context_from_files("/nonexistent/cert.pem", "/nonexistent/key.pem");
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("--tls-cert /nonexistent/cert.pem"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sb::net
