// Every TLS listener of signalbox (HTTPS/WSS, TURN over TLS, STUN over TLS with --no-turn) speaks the
// modern "intermediate" policy (issue 10): TLS 1.3, and TLS 1.2 only with ECDHE and AEAD ciphers. Checked
// from the outside with `openssl s_client`, with the self-signed EC certificate and with an RSA one from
// files (where static-RSA key exchange would otherwise be possible).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "common/process.hpp"
#include "common/server_process.hpp"

namespace sb::itest {
namespace {

using namespace std::chrono_literals;

// True when `openssl s_client` completes a handshake with these extra flags.
bool handshakes(std::uint16_t port, std::vector<std::string> flags, std::string* out = nullptr) {
  std::vector<std::string> argv = {"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(port), "-brief"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  Process c(argv);
  const auto code = c.wait_code(15s);
  if (out) *out = c.output();
  return code && *code == 0 && c.output().find("CONNECTION ESTABLISHED") != std::string::npos;
}

// The policy, on one port, for a certificate with key type `kx` ("ECDSA" or "RSA").
void expect_policy(std::uint16_t port, const std::string& kx, const std::string& what) {
  SCOPED_TRACE(what + " port " + std::to_string(port));
  std::string out;
  EXPECT_TRUE(handshakes(port, {"-tls1_3"}, &out)) << out;
  EXPECT_TRUE(handshakes(port, {"-tls1_2", "-cipher", "ECDHE-" + kx + "-AES128-GCM-SHA256"}, &out)) << out;
  EXPECT_TRUE(handshakes(port, {"-tls1_2", "-cipher", "ECDHE-" + kx + "-CHACHA20-POLY1305"}, &out)) << out;
  // Old protocols, CBC and SHA-1 MACs, static RSA key exchange: refused.
  EXPECT_FALSE(handshakes(port, {"-tls1_1", "-cipher", "ALL:@SECLEVEL=0"}, &out)) << out;
  EXPECT_FALSE(handshakes(port, {"-tls1_2", "-cipher", "ECDHE-" + kx + "-AES128-SHA"}, &out)) << out;
  EXPECT_FALSE(handshakes(port, {"-tls1_2", "-cipher", "ECDHE-" + kx + "-AES256-SHA384"}, &out)) << out;
  EXPECT_FALSE(handshakes(port, {"-tls1_2", "-cipher", "AES128-GCM-SHA256"}, &out)) << out;
  EXPECT_FALSE(handshakes(port, {"-tls1_2", "-cipher", "AES128-SHA"}, &out)) << out;
}

ServerOptions with(std::vector<std::string> args) {
  ServerOptions o;
  o.args = std::move(args);
  return o;
}

std::vector<std::string> base_args() {
  return {"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--stun-tls-listen", "127.0.0.1:0",
          "--log-level", "warn"};
}

TEST(TlsPolicy, SelfSignedHttpsAndTurnTls) {
  auto args = base_args();
  args.push_back("--self-signed");
  ServerProcess s(with(args));
  expect_policy(s.port("https"), "ECDSA", "https");
  expect_policy(s.port("turn-tls"), "ECDSA", "turn-tls");
}

TEST(TlsPolicy, RsaCertificateFromFilesAndStunTlsWithoutTurn) {
  const auto dir = std::filesystem::temp_directory_path() / ("sb-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  Process gen({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
             "-keyout", key, "-out", cert});
  ASSERT_EQ(gen.wait_code(60s), 0) << gen.output();
  auto args = base_args();
  args.insert(args.end(), {"--tls-cert", cert, "--tls-key", key});
  {
    ServerProcess s(with(args));
    expect_policy(s.port("https"), "RSA", "https");
    expect_policy(s.port("turn-tls"), "RSA", "turn-tls");
  }
  args.push_back("--no-turn");
  {
    ServerProcess s(with(args));
    expect_policy(s.port("stun-tls"), "RSA", "stun-tls (--no-turn)");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sb::itest
