#include "client/options.hpp"

#include <CLI/CLI.hpp>

#include "signaling/protocol.hpp"
#include "util/address.hpp"

namespace sb::client {
namespace {

bool split_prefix(std::string_view s, std::string_view prefix, std::string* rest) {
  if (s == prefix) return true;
  if (s.size() > prefix.size() + 1 && s.substr(0, prefix.size()) == prefix && s[prefix.size()] == ':') {
    *rest = std::string(s.substr(prefix.size() + 1));
    return true;
  }
  return false;
}

std::string check_ranges(const ClientOptions& o) {
  if (o.width < 16 || o.width > 3840 || o.height < 16 || o.height > 2160) return "video size out of range";
  if (o.fps < 1 || o.fps > 120) return "--fps must be 1..120";
  if (o.video_kbps < 16 || o.video_kbps > 20000) return "--video-kbps must be 16..20000";
  if (o.timeout_s < 0 || o.duration_s < 0) return "--timeout / --duration must not be negative";
  if (o.connect_timeout_s <= 0 || o.ice_timeout_s <= 0) return "timeouts must be positive";
  if (o.relay_candidate_delay_s < 0 || o.relay_candidate_delay_s >= o.ice_timeout_s)
    return "--relay-candidate-delay must be at least 0 and less than --ice-timeout";
  if (o.backoff_initial_s <= 0 || o.backoff_max_s < o.backoff_initial_s) return "bad backoff settings";
  if (o.keepalive_s < 1 || o.keepalive_s > 600) return "--keepalive must be 1..600 seconds";
  if (o.media_timeout_s < 0) return "--media-timeout must not be negative";
  if (o.connect_retries > 100) return "--connect-retries must be at most 100";
  if (o.max_send_queue < 4 || o.max_pending_candidates < 1) return "queue limits too small";
  if (o.max_message_bytes < 1024 || o.max_message_bytes > (1u << 24)) return "--max-message-bytes out of range";
  if (!signaling::is_valid_room_name(o.room, signaling::Limits{}.max_room_bytes))
    return "--room must be 1..64 characters of [A-Za-z0-9_.-]";
  if (o.name.size() > 64) return "--name must be at most 64 bytes";
  if (o.token.size() > signaling::Limits{}.max_token_bytes ||
      o.token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") != std::string::npos)
    return "--token must be a JWT (base64url parts separated by dots, at most 4096 bytes)";
  return {};
}

}  // namespace

std::optional<ServerUrl> parse_server_url(std::string_view url) {
  auto u = util::parse_url(url);
  if (!u || (u->scheme != "ws" && u->scheme != "wss")) return std::nullopt;
  ServerUrl out;
  out.tls = u->scheme == "wss";
  out.host = std::move(u->host);
  out.port = u->port ? std::to_string(*u->port) : (out.tls ? "443" : "80");
  if (!u->target.empty()) out.target = std::move(u->target);
  return out;
}

std::optional<SourceSpec> parse_video_source(std::string_view s) {
  SourceSpec out;
  if (s == "none") out.kind = SourceSpec::Kind::none;
  else if (s == "test") out.kind = SourceSpec::Kind::test;
  else if (split_prefix(s, "v4l2", &out.device)) out.kind = SourceSpec::Kind::v4l2;
  else return std::nullopt;
  return out;
}

std::optional<SourceSpec> parse_audio_source(std::string_view s) {
  SourceSpec out;
  if (s == "none") out.kind = SourceSpec::Kind::none;
  else if (s == "test") out.kind = SourceSpec::Kind::test;
  else if (split_prefix(s, "pulse", &out.device)) out.kind = SourceSpec::Kind::pulse;
  else if (split_prefix(s, "alsa", &out.device)) out.kind = SourceSpec::Kind::alsa;
  else return std::nullopt;
  return out;
}

std::optional<SinkSpec> parse_sink(std::string_view s) {
  if (s == "auto") return SinkSpec{SinkSpec::Kind::automatic, {}};
  if (s == "fake") return SinkSpec{SinkSpec::Kind::fake, {}};
  if (s.size() > 5 && s.ends_with(".webm")) return SinkSpec{SinkSpec::Kind::file, std::string(s)};
  return std::nullopt;
}

std::string ClientOptions::validate() {
  auto url = parse_server_url(server);
  if (!url) return "--server must be ws://HOST[:PORT][/PATH] or wss://HOST[:PORT][/PATH], got '" + server + "'";
  server_url = *url;
  auto v = parse_video_source(video);
  if (!v) return "--video must be test, v4l2[:DEVICE] or none, got '" + video + "'";
  video_source = *v;
  auto a = parse_audio_source(audio);
  if (!a) return "--audio must be test, pulse[:DEVICE], alsa[:DEVICE] or none, got '" + audio + "'";
  audio_source = *a;
  auto k = parse_sink(sink);
  if (!k) return "--sink must be auto, fake or FILE.webm, got '" + sink + "'";
  sink_spec = *k;
  if (loopback == "auto") loopback_mode = LoopbackMode::automatic;
  else if (loopback == "on") loopback_mode = LoopbackMode::on;
  else if (loopback == "off") loopback_mode = LoopbackMode::off;
  else return "--loopback must be auto, on or off";
  return check_ranges(*this);
}

namespace {

void add_options(CLI::App& app, ClientOptions& o) {
  app.add_option("--server", o.server, "signaling WebSocket URL (ws:// or wss://)")->capture_default_str();
  app.add_option("--room", o.room, "room to join")->capture_default_str();
  app.add_option("--name", o.name, "display name sent in join")->capture_default_str();
  app.add_option("--token", o.token, "join token for a server with access control (docs/auth.md)")
      ->envname("SIGNALBOX_TOKEN");
  app.add_option("--video", o.video, "video source: test|v4l2[:DEVICE]|none")->capture_default_str();
  app.add_option("--audio", o.audio, "audio source: test|pulse[:DEVICE]|alsa[:DEVICE]|none")
      ->capture_default_str();
  app.add_option("--sink", o.sink, "what to do with received media: auto|fake|FILE.webm")
      ->capture_default_str();
  app.add_flag("--relay-only", o.relay_only, "use TURN relay candidates only (ice-transport-policy relay)");
  app.add_flag("--stats", o.stats, "print one stats line per second");
  app.add_flag("--insecure", o.insecure, "wss, turns: do not verify the server certificate");
  app.add_flag("--doctor", o.doctor,
               "run the connectivity doctor against --server instead of a call: print the report and exit "
               "(0, or 9 when calls cannot connect from here)");
  app.add_flag("--doctor-json", o.doctor_json, "with --doctor: print the report as JSON");
  app.add_flag("--doctor-no-send", o.doctor_no_send,
               "with --doctor: do not send the report to the server even when it records reports");
  app.add_option("--loopback", o.loopback, "add 127.0.0.1 to ICE: auto (loopback-only hosts)|on|off")
      ->capture_default_str();
  app.add_option("--width", o.width, "video width")->capture_default_str();
  app.add_option("--height", o.height, "video height")->capture_default_str();
  app.add_option("--fps", o.fps, "video frame rate")->capture_default_str();
  app.add_option("--video-kbps", o.video_kbps, "VP8 target bitrate")->capture_default_str();
  app.add_option("--exit-after-frames", o.exit_after_frames,
                 "exit 0 once N video frames and N audio buffers were decoded (0: off)");
  app.add_option("--timeout", o.timeout_s, "seconds; exit 7 if --exit-after-frames is not met by then");
  app.add_option("--duration", o.duration_s, "seconds; leave and exit 0 after this long (0: run until ^C)");
  app.add_option("--connect-retries", o.connect_retries, "connect attempts after the first")
      ->capture_default_str();
  app.add_option("--connect-timeout", o.connect_timeout_s, "seconds per connect attempt")
      ->capture_default_str();
  app.add_option("--backoff-initial", o.backoff_initial_s, "first retry delay, seconds")->capture_default_str();
  app.add_option("--backoff-max", o.backoff_max_s, "largest retry delay, seconds")->capture_default_str();
  app.add_option("--ice-timeout", o.ice_timeout_s, "seconds from remote description to ICE connected")
      ->capture_default_str();
  app.add_option("--keepalive", o.keepalive_s,
                 "seconds of silence after which the signaling connection counts as dead and is resumed "
                 "(pinged at half of it)")
      ->capture_default_str();
  app.add_option("--media-timeout", o.media_timeout_s,
                 "seconds without received media, while connected, after which the offerer makes a new peer connection "
                 "(0: never)")
      ->capture_default_str();
  app.add_option("--relay-candidate-delay", o.relay_candidate_delay_s,
                 "seconds remote relay candidates wait before ICE checks them, so that a direct path found "
                 "meanwhile is chosen (0: no wait; not applied with --relay-only)")
      ->capture_default_str();
  app.add_option("--max-send-queue", o.max_send_queue, "signaling messages queued for writing")
      ->capture_default_str();
  app.add_option("--max-pending-candidates", o.max_pending_candidates,
                 "remote candidates queued until the remote description is set")
      ->capture_default_str();
  app.add_option("--max-message-bytes", o.max_message_bytes,
                 "largest signaling frame read and data-channel line sent")
      ->capture_default_str();
}

}  // namespace

ParseOutcome parse_command_line(int argc, const char* const* argv) {
  ParseOutcome out;
  CLI::App app{"signalbox-client: native WebRTC client (GStreamer webrtcbin) for signalbox",
               "signalbox-client"};
  add_options(app, out.options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out.exit_now = true;
    out.output = app.help();
    return out;
  } catch (const CLI::ParseError& e) {
    out.error = e.what();
    return out;
  }
  out.error = out.options.validate();
  return out;
}

}  // namespace sb::client
