// signalbox's one configuration struct. Built-in defaults here are the "embedded default configuration":
// `signalbox` with no arguments serves signaling on 127.0.0.1:8080 and STUN + TURN on 3478.
// Each section is passed down explicitly to the service that uses it; nothing reads configuration globally.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "server/auth_config.hpp"
#include "server/doctor_config.hpp"
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
  std::string admin_token;                // when set, /metrics and /admin also need "Authorization: Bearer TOKEN"
  std::uint32_t connections_per_ip = 256;  // HTTP/WebSocket connections per client IP (IPv6 /64); 0 = no limit
};

struct SignalingConfig {
  std::uint32_t max_peers_per_room = 2;
  std::uint32_t max_rooms = 100000;
  std::uint32_t max_connections = 100000;
  double join_rate_per_ip = 10;           // joins per second per client IP (burst 3 s worth); 0 = no limit
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
  // Session resume (docs/signaling-protocol.md, "Resume").
  double resume_window_s = 20;                 // 0: off
  std::uint32_t resume_buffer_messages = 256;  // kept per session
  std::uint32_t resume_buffer_bytes = 256 * 1024;
  std::uint32_t resume_max_parked = 10000;
  // After SIGTERM: close handshakes, and in a cluster the resumes of the node's sessions elsewhere, get this long.
  double shutdown_grace_s = 3;
};

// The PeerJS server protocol (peer 1.0.x, for the peerjs 1.5.x client) and the Ayame protocol, beside v1 on
// the same port (docs/compatibility.md). Defaults are PeerJS's and Ayame's own; both are off until a path is set.
struct CompatConfig {
  std::string peerjs_path;                // e.g. "/myapp": WebSocket <path>/peerjs, HTTP <path>/<key>/id; empty = off
  std::string peerjs_key = "peerjs";
  double peerjs_expire_timeout_s = 5;     // held messages for an absent id: EXPIRE after this
  double peerjs_alive_timeout_s = 90;     // a connection silent this long is closed
  std::uint32_t peerjs_concurrent_limit = 5000;
  std::string ayame_path;                 // Ayame clients use "/signaling"; empty = off
  double ayame_ping_interval_s = 5;
  double ayame_pong_timeout_s = 60;
};

struct StunConfig {
  bool disabled = false;                             // --no-stun
  std::vector<std::string> listen = {"0.0.0.0:3478", "[::]:3478"};  // UDP and TCP
  std::vector<std::string> tls_listen = {"0.0.0.0:5349"};           // used when a TLS cert is configured
  std::string public_address;                        // HOST[:PORT] advertised in iceServers; default: listen host
  std::string software;                              // SOFTWARE in authenticated TURN answers; empty = not sent
  std::string alt_address;                           // RFC 5780 second HOST:PORT; empty = behaviour discovery off
};

// TURN relay (RFC 8656). Shares the STUN front end's ports (stun-listen / stun-tls-listen): Binding goes to
// STUN, every other method and ChannelData to TURN (RFC 7983 demultiplexing).
struct TurnConfig {
  bool disabled = false;                      // --no-turn
  std::string realm = "signalbox";
  std::vector<std::string> users;             // static long-term credentials, NAME:PASSWORD
  std::vector<std::string> secrets;           // TURN REST API shared secrets; empty = one random at start-up
  std::uint32_t credential_ttl_s = 600;       // how long the credentials in `joined` may start allocations
  std::vector<std::string> relay_addresses;   // IPs the relay sockets bind to, one per family; default: listen IP or first interface
  std::vector<std::string> external_addresses;  // IPs advertised in XOR-RELAYED-ADDRESS when behind NAT, one per family
  std::uint16_t min_port = 49152;             // relay port range (inclusive)
  std::uint16_t max_port = 65535;
  std::uint32_t threads = 0;                  // STUN/TURN front-end workers (also --no-turn); 0 = one per core
  std::uint32_t default_lifetime_s = 600;     // RFC 8656 §3.2
  std::uint32_t max_lifetime_s = 3600;
  std::uint32_t max_allocations = 10000;      // in total (486 beyond)
  std::uint32_t user_quota = 10;              // allocations per username (486 beyond)
  std::uint32_t allocations_per_ip = 512;     // allocations per client IP, IPv6 per /64 (486 beyond); 0 = no limit
  std::uint32_t max_permissions = 32;         // per allocation
  std::uint32_t max_channels = 32;            // per allocation
  std::uint32_t bandwidth_kbps = 16000;       // per allocation, both directions together; 0 = unlimited
  std::uint32_t total_bandwidth_kbps = 1000000;  // whole server (each worker 1/N of it); 0 = unlimited
  std::uint32_t tcp_connections_per_ip = 256;  // TURN TCP/TLS connections per client IP (IPv6 /64); 0 = no limit
  double tls_handshake_timeout_s = 10;        // TURN over TLS: handshake done within
  double tcp_first_request_timeout_s = 10;    // TURN over TCP/TLS: first valid request within
  double tcp_idle_timeout_s = 30;             // nothing valid for this long and no allocation: closed
  double tcp_frame_timeout_s = 10;            // a frame that started arriving must be complete within
  std::uint32_t nonce_lifetime_s = 600;       // 438 Stale Nonce after this
  double auth_failure_rate = 20;              // 401 answers per second per source IP
  std::vector<std::string> allow_peer;        // CIDRs relayed to even if denied by default (allow wins)
  std::vector<std::string> deny_peer;         // CIDRs never relayed to, besides the built-in list
  bool rfc5766_channels = true;               // accept channels 0x4000-0x7FFF (RFC 5766) as coturn does
  std::string tls_cert;                       // turns: certificate; default: --tls-cert
  std::string tls_key;
};

// Several nodes sharing one Redis (docs/cluster.md). Off (one node, MemoryRouter) when `redis` is empty.
struct ClusterSection {
  std::string redis;           // redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]
  std::string node_id;         // empty: a random one at start-up
  double node_ttl_s = 5;       // a node silent this long is dead; its peers leave with node-lost
  double redis_timeout_s = 2;  // connect / command answer limit before Redis counts as unreachable
  std::uint32_t resume_max_finds = 1000;  // resumes waiting at once for the node that holds their session
};

// Memory a burst of traffic leaves free inside the allocator's heaps, given back to the system
// (src/server/memory_trim.hpp).
struct MemorySection {
  double trim_interval_s = 10;            // between checks; 0 = never
  std::uint32_t trim_min_free_mib = 32;   // free MiB in the heaps that make a check trim
  double trim_max_busy = 0.25;            // cores of CPU since the last check above which a check waits
};

struct Config {
  std::string config_file;  // --config
  std::string log_level = "info";
  HttpConfig http;
  SignalingConfig signaling;
  CompatConfig compat;
  StunConfig stun;
  TurnConfig turn;
  AuthConfig auth;
  ClusterSection cluster;
  DoctorConfig doctor;
  MemorySection memory;

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
