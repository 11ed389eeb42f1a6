// Shared pieces of the access-control integration tests: tokens minted with a known secret, and a join that
// expects a refusal followed by the server closing the connection with 4003.
#pragma once

#include <chrono>
#include <string>

#include "auth/mint.hpp"
#include "signaling/signaling_harness.hpp"

namespace sb::itest {

inline const std::string kKid = "k1";
inline const std::string kSecret = "integration-secret-0123456789abcdef";
inline const std::string kSecretOption = kKid + ":" + kSecret;

inline std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct TokenSpec {
  std::string identity = "alice";
  std::string room = "demo";
  std::int64_t ttl_s = 600;
  std::int64_t issued = unix_now();
  bool turn = false;
  std::string name = {};
  std::string meta = {};
  std::string kid = kKid;
  std::string secret = kSecret;
};

inline std::string token(const TokenSpec& t = {}) {
  auth::MintRequest r{t.kid, t.secret, t.identity, t.room, t.ttl_s, t.turn, t.name, t.meta};
  return auth::mint_token(r, t.issued).token;
}

// Runs `connect` (which opens a WebSocket) and expects the upgrade refused with `what`, e.g.
// "HTTP 401 token-expired".
template <class Connect>
void expect_upgrade_refused(Connect&& connect, const std::string& what) {
  try {
    connect();
    ADD_FAILURE() << "the upgrade was accepted; expected " << what;
  } catch (const WsError& e) {
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

// Sends `join` (with `token` when not empty) and expects `error` `code` (ref join), then the close 4003.
void expect_refused(WsClient& c, const std::string& room, const std::string& token, const std::string& code);

}  // namespace sb::itest
