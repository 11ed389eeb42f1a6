// signalbox's one configuration struct. Built-in defaults here are the "embedded default configuration":
// `signalbox` with no arguments serves signaling on 127.0.0.1:8080 and STUN + TURN on 3478.
// Each section is passed down explicitly to the service that uses it; nothing reads configuration globally.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "server/options.hpp"

namespace sb::server {

struct HttpConfig {
  std::string listen = "127.0.0.1:8080";  // HTTP + WebSocket (+ TLS when configured), one port
  std::uint32_t threads = 0;              // 0 = one per core
  std::string web_root;                   // empty = the web client embedded in the binary
  std::string tls_cert;                   // PEM file; with tls_key enables HTTPS/WSS on the same port
  std::string tls_key;
  bool self_signed = false;               // throwaway certificate for a quick LAN test
  std::vector<std::string> admin_allow;   // CIDRs allowed to reach /metrics and /admin beyond loopback
};

struct SignalingConfig {
  std::uint32_t max_peers_per_room = 2;
  std::uint32_t max_rooms = 100000;
  std::uint32_t max_connections = 100000;
  std::uint32_t max_message_bytes = 64 * 1024;
  std::uint32_t max_sdp_bytes = 32 * 1024;
  std::uint32_t max_candidate_bytes = 1024;
  std::uint32_t max_name_bytes = 64;
  double rate_limit = 50;                // messages per second per connection (token bucket refill)
  std::uint32_t rate_burst = 100;        // token bucket size
  std::uint32_t rate_abuse_close = 50;   // rejected messages within 10 s before close 1008
  std::uint32_t send_queue_messages = 256;
  std::uint32_t send_queue_bytes = 1024 * 1024;
  double ping_interval_s = 15;
  double idle_timeout_s = 45;
  std::vector<std::string> ice_servers;  // extra RTCIceServer URLs handed out in `joined`
};

struct StunConfig {
  bool disabled = false;                             // --no-stun
  std::vector<std::string> listen = {"0.0.0.0:3478", "[::]:3478"};  // UDP and TCP
  std::vector<std::string> tls_listen = {"0.0.0.0:5349"};           // used when a TLS cert is configured
  std::string public_address;                        // HOST[:PORT] advertised in iceServers; default: listen host
  std::string software;                              // SOFTWARE attribute; empty = not sent
  std::string alt_address;                           // RFC 5780 second HOST:PORT; empty = behaviour discovery off
};

struct Config {
  std::string config_file;  // --config
  std::string log_level = "info";
  HttpConfig http;
  SignalingConfig signaling;
  StunConfig stun;

  // Returns an empty string when the configuration is usable, otherwise every problem found, one per line.
  std::string validate() const;
};

// Registers every option of `cfg` in `table` (the one place where names, defaults and help live).
void register_options(OptionTable& table, Config& cfg);

struct LoadResult {
  Config config;
  std::string error;     // non-empty: print it and exit 2
  bool exit_now = false; // --help / --version / --print-config-doc: print `output`, exit 0
  std::string output;
};
LoadResult load_config(int argc, const char* const* argv);

}  // namespace sb::server
