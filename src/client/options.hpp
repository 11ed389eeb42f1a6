// Command line of signalbox-client: one struct, parsed by CLI11, checked by validate().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sb::client {

// ws://HOST:PORT/PATH or wss://HOST:PORT/PATH (port defaults to 80 / 443, path to /ws).
struct ServerUrl {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target = "/ws";
};
std::optional<ServerUrl> parse_server_url(std::string_view url);

// --video test|v4l2[:DEVICE]|none and --audio test|pulse[:DEVICE]|alsa[:DEVICE]|none.
struct SourceSpec {
  enum class Kind { none, test, v4l2, pulse, alsa };
  Kind kind = Kind::test;
  std::string device;  // empty: the element's default device
};
std::optional<SourceSpec> parse_video_source(std::string_view s);
std::optional<SourceSpec> parse_audio_source(std::string_view s);

// --sink auto|fake|FILE.webm
struct SinkSpec {
  enum class Kind { automatic, fake, file };
  Kind kind = Kind::automatic;
  std::string path;
};
std::optional<SinkSpec> parse_sink(std::string_view s);

// --loopback auto|on|off: add 127.0.0.1 to the ICE agent (libnice ignores loopback otherwise).
enum class LoopbackMode { automatic, on, off };

struct ClientOptions {
  std::string server = "ws://127.0.0.1:8080/ws";
  std::string room = "demo";
  std::string name = "native";
  std::string token;  // join token (docs/auth.md), sent in `join`; "" = none
  std::string video = "test";
  std::string audio = "test";
  std::string sink = "auto";
  std::string loopback = "auto";
  bool relay_only = false;
  bool stats = false;
  bool insecure = false;  // wss: skip certificate verification (for --self-signed servers)

  // The connectivity doctor (docs/doctor.md) instead of a call.
  bool doctor = false;
  bool doctor_json = false;     // print the report as JSON rather than as short text
  bool doctor_no_send = false;  // do not send the report even when the server records reports

  // Test-source and encoder settings.
  std::uint32_t width = 640;
  std::uint32_t height = 480;
  std::uint32_t fps = 30;
  std::uint32_t video_kbps = 1000;

  // Ending a run. 0 disables each.
  std::uint64_t exit_after_frames = 0;  // exit 0 once N video frames and N audio buffers were decoded
  double timeout_s = 0;                 // exit 7 if the goal above is not met in time
  double duration_s = 0;                // leave and exit 0 after this long

  // Connecting.
  std::uint32_t connect_retries = 5;  // attempts after the first one
  double connect_timeout_s = 5;       // per attempt
  double backoff_initial_s = 0.25;    // doubles per attempt, up to backoff_max_s
  double backoff_max_s = 4;
  double ice_timeout_s = 30;  // from the remote description to ICE connected
  double keepalive_s = 10;    // a signaling connection silent this long is dead (pinged at half of it)
  double media_timeout_s = 3;  // no media this long while connected: the offerer makes a new peer connection (0: never)
  double relay_candidate_delay_s = 1;  // remote relay candidates wait this long (a direct path may win)

  // Limits.
  std::uint32_t max_send_queue = 256;          // signaling messages waiting to be written
  std::uint32_t max_pending_candidates = 256;  // remote candidates queued before the remote description
  std::uint32_t max_message_bytes = 64 * 1024;  // incoming signaling frame / outgoing data-channel line

  // Parsed forms, filled by validate().
  ServerUrl server_url;
  SourceSpec video_source;
  SourceSpec audio_source;
  SinkSpec sink_spec;
  LoopbackMode loopback_mode = LoopbackMode::automatic;

  // Checks every field and fills the parsed forms. Returns an error text, empty when valid.
  std::string validate();
};

struct ParseOutcome {
  ClientOptions options;
  std::string error;   // non-empty: bad options
  bool exit_now = false;  // --help / --version handled; print `output`, exit 0
  std::string output;
};
ParseOutcome parse_command_line(int argc, const char* const* argv);

}  // namespace sb::client
