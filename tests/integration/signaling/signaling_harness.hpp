// Shared pieces of the signaling integration tests: a fixture that starts `signalbox` with signaling only
// (STUN/TURN off, so parallel tests never contend for 3478) and assertions on protocol messages.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/http_get.hpp"
#include "common/json_util.hpp"
#include "common/server_process.hpp"
#include "common/ws_client.hpp"

namespace sb::itest {

// How long to wait for a message that must come, and how long to listen to show that nothing comes.
// Generous: CI also runs these against an ASan+UBSan debug build on two shared cores.
inline constexpr milliseconds kWait{5000};
inline constexpr milliseconds kQuiet{300};

class SignalingTest : public ::testing::Test {
 protected:
  // Starts signalbox on 127.0.0.1:0 with `args` added to the defaults.
  void start_server(std::vector<std::string> args = {});
  std::unique_ptr<WsClient> connect(WsOptions options = {});
  ServerProcess& server() { return *server_; }
  HttpResponse get(const std::string& target);
  Metrics metrics();

  void TearDown() override;

  std::unique_ptr<ServerProcess> server_;
  bool tls_ = false;
};

// Receives the next message and checks its type; on a mismatch or a timeout records a failure and returns
// a null json.
nlohmann::json expect_message(WsClient& c, const std::string& type, milliseconds timeout = kWait);
// Sends `join` and expects `joined`; returns the peer id (empty on failure).
std::string join(WsClient& c, const std::string& room, const std::string& name = "");
// Expects an `error` with `code` (and `field` / `ref` when not empty).
void expect_error(WsClient& c, const std::string& code, const std::string& field = "",
                  const std::string& ref = "");
// Shows the connection is usable: ping → pong.
void expect_open(WsClient& c);
// Asserts that nothing arrives within `quiet`.
void expect_silence(WsClient& c, milliseconds quiet = kQuiet);
// PeerJS: `thief` (another token for `id`) gets ID-TAKEN and a close, and `holder` keeps `id`: an OFFER from
// `sender` (whose id is `sender_id`) reaches it.
void expect_peerjs_id_taken(WsClient& thief, WsClient& holder, WsClient& sender, const std::string& id,
                            const std::string& sender_id);
// A client of a resumable session (docs/signaling-protocol.md, "Resume").
struct Resumable {
  std::unique_ptr<WsClient> ws;
  std::string id;
  nlohmann::json ticket;  // {session, secret, window}
  std::uint64_t seq = 0;  // the last numbered message received
};
// Joins `room` on `ws` with `resume: true` and keeps the ticket of `joined`.
Resumable join_resumable(std::unique_ptr<WsClient> ws, const std::string& room);
// The next message of `r`, which must be numbered one above the last.
nlohmann::json next_numbered(Resumable& r, const std::string& type);
// Sends `resume` on `ws` for `r`'s session from `r.seq`; `secret` overrides the ticket's.
bool send_resume(WsClient& ws, const Resumable& r, const std::string& secret = "");
// An ICE candidate object, distinct per `i`.
nlohmann::json test_candidate(int i);
// A 32-hex peer id that nobody has.
std::string unused_peer_id();

}  // namespace sb::itest
