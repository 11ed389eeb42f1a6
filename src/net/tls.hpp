// TLS server contexts for HTTPS/WSS: from PEM files, or a throwaway self-signed certificate made in memory.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <vector>

namespace sb::net {

// Server contexts allow TLS 1.3, and TLS 1.2 with ECDHE and AEAD ciphers only (no CBC, SHA-1 MACs or
// static RSA), without renegotiation or compression.
//
// TLS 1.2+ server context with the certificate chain and key from PEM files. Throws std::runtime_error
// with a readable message when a file is missing or the key does not match.
std::shared_ptr<boost::asio::ssl::context> tls_context_from_files(const std::string& cert_pem_file,
                                                                  const std::string& key_pem_file);

struct SelfSigned {
  std::shared_ptr<boost::asio::ssl::context> context;
  std::string sha256_fingerprint;  // "AB:CD:..." as browsers show it
  std::string certificate_pem;
};

// An EC P-256 key and a certificate valid for 30 days whose subjectAltName holds localhost, 127.0.0.1,
// ::1 and every name in `extra_names` (IP literals become IP SANs, the rest DNS SANs).
SelfSigned make_self_signed(const std::vector<std::string>& extra_names);

}  // namespace sb::net
