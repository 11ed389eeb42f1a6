// Limits that end a connection: frame size (1009), rate-limit abuse (1008), idle timeout, and a stuck reader
// whose send queue overflows (4000). In each case only the offending connection suffers.
#include "signaling_harness.hpp"

namespace sb::itest {
namespace {

using Clock = std::chrono::steady_clock;

class SignalingLimits : public SignalingTest {};

TEST_F(SignalingLimits, FrameOverLimitClosesWith1009) {
  start_server({"--max-message-bytes", "4096", "--max-sdp-bytes", "2048"});
  auto a = connect();
  auto b = connect();
  join(*a, "big");
  const std::string b_id = join(*b, "big");
  expect_message(*a, "peer-joined");
  // 4096 bytes of payload is at the limit and accepted (sdp too large, so an error, not a close).
  json at_limit = {{"type", "offer"}, {"to", b_id}, {"sdp", ""}};
  at_limit["sdp"] = std::string(4096 - at_limit.dump().size(), 's');
  ASSERT_EQ(at_limit.dump().size(), 4096u);
  ASSERT_TRUE(a->send_json(at_limit));
  expect_error(*a, "field-too-large", "sdp", "offer");

  a->send(std::string(4097, ' '));
  ASSERT_TRUE(a->wait_closed(kWait)) << "server did not close";
  EXPECT_EQ(a->close_code(), std::optional<std::uint16_t>(1009)) << a->last_error();
  auto left = expect_message(*b, "peer-left");
  EXPECT_EQ(str_field(left, "reason"), "disconnect") << left.dump();
  expect_open(*b);
}

TEST_F(SignalingLimits, BurstWithinLimitIsServed) {
  start_server({"--rate-limit", "5", "--rate-burst", "10"});
  auto c = connect();
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(c->send_json({{"type", "ping"}}));
  for (int i = 0; i < 10; ++i) expect_message(*c, "pong");
  expect_silence(*c, milliseconds(0));
}

TEST_F(SignalingLimits, RateLimitErrorsThenCloses1008OnSustainedAbuse) {
  start_server({"--rate-limit", "5", "--rate-burst", "5", "--rate-abuse-close", "20"});
  auto c = connect();
  const auto start = Clock::now();
  for (int i = 0; i < 60; ++i) {
    if (!c->send_json({{"type", "ping"}})) break;  // the server may close while we still send
  }
  int pongs = 0, limited = 0, other = 0;
  while (auto m = c->receive_json(kWait)) {
    const std::string t = type_of(*m);
    if (t == "pong") ++pongs;
    else if (t == "error" && str_field(*m, "code") == "rate-limited") ++limited;
    else ++other;
  }
  // The burst, plus what refilled at 5/s while the frames arrived (a slow, sanitized build takes longer).
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  EXPECT_GE(pongs, 5);
  EXPECT_LE(pongs, 5 + static_cast<int>(elapsed_s * 5) + 1) << "in " << elapsed_s << " s";
  EXPECT_GE(limited, 1);
  EXPECT_EQ(other, 0);
  ASSERT_TRUE(c->wait_closed(kWait));
  EXPECT_EQ(c->close_code(), std::optional<std::uint16_t>(1008)) << c->last_error();
  // Others are unaffected.
  auto d = connect();
  expect_open(*d);
}

TEST_F(SignalingLimits, SilentPeerTimesOutAndOthersAreTold) {
  start_server({"--ping-interval", "0.2", "--idle-timeout", "0.6"});
  // The silent peer reads only its `joined`; afterwards it answers no ping and sends nothing.
  WsOptions silent_options;
  silent_options.read_mode = ReadMode::on_demand;
  const auto start = Clock::now();  // the silent peer's last frame is sent after this
  auto silent = connect(silent_options);
  const std::string silent_id = join(*silent, "idle");
  auto alive = connect();  // reads continuously, so answers every ping
  join(*alive, "idle");

  auto left = expect_message(*alive, "peer-left", kWait);
  const auto waited = Clock::now() - start;
  EXPECT_EQ(str_field(left, "id"), silent_id);
  EXPECT_EQ(str_field(left, "reason"), "timeout");
  EXPECT_GE(waited, milliseconds(600)) << "removed before the idle timeout";
  // The peer that answers pings stays, well past the idle timeout.
  EXPECT_FALSE(alive->wait_closed(milliseconds(1000)));
  expect_open(*alive);
}

// A client that never reads, with a small send queue: the server drops it (4000) instead of buffering
// without bound, tells its peer, and other rooms keep flowing meanwhile.
TEST_F(SignalingLimits, StuckReaderIsDroppedWhileOtherRoomsWork) {
  start_server({"--send-queue-messages", "8", "--send-queue-bytes", "65536", "--rate-limit", "100000",
                "--rate-burst", "100000"});
  WsOptions stuck_options;
  stuck_options.read_mode = ReadMode::on_demand;
  stuck_options.receive_buffer_bytes = 4096;
  auto stuck = connect(stuck_options);
  const std::string stuck_id = join(*stuck, "slow");
  auto sender = connect();
  join(*sender, "slow");
  auto c = connect();
  auto d = connect();
  join(*c, "fast");
  const std::string d_id = join(*d, "fast");
  expect_message(*c, "peer-joined");

  const json offer = {{"type", "offer"}, {"to", stuck_id}, {"sdp", std::string(30000, 'o')}};
  std::optional<json> left;
  for (int i = 0; i < 1000 && !left; ++i) {
    if (!sender->send_json(offer)) break;
    while (auto m = sender->receive_json(milliseconds(0))) {
      if (type_of(*m) == "peer-left") left = *m;
    }
    if (i % 50 == 0) {  // meanwhile, the other room keeps working
      ASSERT_TRUE(c->send_json({{"type", "offer"}, {"to", d_id}, {"sdp", "fast-" + std::to_string(i)}}));
      EXPECT_EQ(str_field(expect_message(*d, "offer"), "sdp"), "fast-" + std::to_string(i));
    }
  }
  if (!left) left = sender->receive_json(kWait);
  ASSERT_TRUE(left.has_value()) << "the stuck reader was never dropped";
  EXPECT_EQ(type_of(*left), "peer-left") << left->dump();
  EXPECT_EQ(str_field(*left, "id"), stuck_id);
  EXPECT_EQ(str_field(*left, "reason"), "dropped");
  // Offers sent after the drop, before the sender saw peer-left, are answered with unknown-peer; then the
  // sender's connection is as usable as before.
  ASSERT_TRUE(sender->send_json({{"type", "ping"}}));
  for (;;) {
    auto m = sender->receive_json(kWait);
    ASSERT_TRUE(m.has_value()) << "no pong";
    if (type_of(*m) == "pong") break;
    ASSERT_EQ(str_field(*m, "code"), "unknown-peer") << m->dump();
  }

  // Draining now, the stuck client sees its connection end (with 4000 when the close frame got through).
  ASSERT_TRUE(stuck->wait_closed(kWait));
  if (auto code = stuck->close_code()) {
    EXPECT_EQ(*code, 4000);
  }
  ASSERT_TRUE(c->send_json({{"type", "offer"}, {"to", d_id}, {"sdp", "after"}}));
  EXPECT_EQ(str_field(expect_message(*d, "offer"), "sdp"), "after");
}

}  // namespace
}  // namespace sb::itest
