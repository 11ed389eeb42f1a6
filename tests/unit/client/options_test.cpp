#include "client/options.hpp"

#include <gtest/gtest.h>

namespace sb::client {
namespace {

TEST(ServerUrl, ParsesSchemesPortsAndPaths) {
  auto u = parse_server_url("ws://127.0.0.1:8080/ws");
  ASSERT_TRUE(u);
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "8080");
  EXPECT_EQ(u->target, "/ws");

  u = parse_server_url("wss://signal.example.com");
  ASSERT_TRUE(u);
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->target, "/ws");

  u = parse_server_url("ws://[::1]:9000/other");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, "9000");
  EXPECT_EQ(u->target, "/other");
}

TEST(ServerUrl, RejectsOtherSchemesAndBadPorts) {
  EXPECT_FALSE(parse_server_url("http://host/ws"));
  EXPECT_FALSE(parse_server_url("ws://"));
  EXPECT_FALSE(parse_server_url("ws://host:0/ws"));
  EXPECT_FALSE(parse_server_url("ws://host:70000/ws"));
  EXPECT_FALSE(parse_server_url("ws://host:12ab/ws"));
  EXPECT_FALSE(parse_server_url("ws://[::1/ws"));
}

TEST(Sources, VideoAudioAndSinkSpecs) {
  EXPECT_EQ(parse_video_source("none")->kind, SourceSpec::Kind::none);
  EXPECT_EQ(parse_video_source("test")->kind, SourceSpec::Kind::test);
  auto cam = parse_video_source("v4l2:/dev/video2");
  ASSERT_TRUE(cam);
  EXPECT_EQ(cam->kind, SourceSpec::Kind::v4l2);
  EXPECT_EQ(cam->device, "/dev/video2");
  EXPECT_TRUE(parse_video_source("v4l2")->device.empty());
  EXPECT_FALSE(parse_video_source("v4l2:"));
  EXPECT_FALSE(parse_video_source("pulse"));

  EXPECT_EQ(parse_audio_source("pulse")->kind, SourceSpec::Kind::pulse);
  EXPECT_EQ(parse_audio_source("alsa:hw:1,0")->device, "hw:1,0");
  EXPECT_FALSE(parse_audio_source("v4l2"));

  EXPECT_EQ(parse_sink("auto")->kind, SinkSpec::Kind::automatic);
  EXPECT_EQ(parse_sink("fake")->kind, SinkSpec::Kind::fake);
  EXPECT_EQ(parse_sink("/tmp/call.webm")->path, "/tmp/call.webm");
  EXPECT_FALSE(parse_sink(".webm"));
  EXPECT_FALSE(parse_sink("out.mp4"));
}

TEST(Options, DefaultsValidateAndBadValuesAreNamed) {
  ClientOptions o;
  EXPECT_EQ(o.validate(), "");
  EXPECT_EQ(o.server_url.port, "8080");

  o.room = "no spaces allowed";
  EXPECT_NE(o.validate().find("--room"), std::string::npos);
  o.room = "demo";
  o.token = "not a token";
  EXPECT_NE(o.validate().find("--token"), std::string::npos);
  o.token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";
  EXPECT_EQ(o.validate(), "");
  o.token.clear();
  o.fps = 0;
  EXPECT_NE(o.validate().find("--fps"), std::string::npos);
  o.fps = 30;
  o.loopback = "sometimes";
  EXPECT_NE(o.validate().find("--loopback"), std::string::npos);
  o.loopback = "auto";
  o.relay_candidate_delay_s = -1;
  EXPECT_NE(o.validate().find("--relay-candidate-delay"), std::string::npos);
  o.relay_candidate_delay_s = o.ice_timeout_s;  // would hold relays until ICE has given up
  EXPECT_NE(o.validate().find("--relay-candidate-delay"), std::string::npos);
  o.relay_candidate_delay_s = 0;
  EXPECT_EQ(o.validate(), "");
}

TEST(Options, CommandLine) {
  const char* argv[] = {"signalbox-client", "--server", "wss://h:1/ws", "--room", "r1", "--relay-only",
                        "--exit-after-frames", "30", "--video", "none", "--relay-candidate-delay", "0.25"};
  auto r = parse_command_line(static_cast<int>(std::size(argv)), argv);
  ASSERT_EQ(r.error, "");
  EXPECT_TRUE(r.options.server_url.tls);
  EXPECT_EQ(r.options.room, "r1");
  EXPECT_TRUE(r.options.relay_only);
  EXPECT_EQ(r.options.exit_after_frames, 30u);
  EXPECT_EQ(r.options.video_source.kind, SourceSpec::Kind::none);
  EXPECT_DOUBLE_EQ(r.options.relay_candidate_delay_s, 0.25);

  const char* bad[] = {"signalbox-client", "--no-such-flag"};
  EXPECT_NE(parse_command_line(2, bad).error, "");
  const char* help[] = {"signalbox-client", "--help"};
  auto h = parse_command_line(2, help);
  EXPECT_TRUE(h.exit_now);
  EXPECT_NE(h.output.find("--relay-only"), std::string::npos);
}

}  // namespace
}  // namespace sb::client
