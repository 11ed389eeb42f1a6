#include "server/config.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>
#include <utility>

#include "signaling/peerjs/protocol.hpp"
#include "util/address.hpp"
#include "util/redis_url.hpp"

namespace sb::server {

namespace {

void register_http(OptionTable& t, HttpConfig& c) {
  t.section("HTTP, WebSocket and TLS");
  t.add("listen", &c.listen, "HOST:PORT for HTTP + WebSocket (and HTTPS/WSS when TLS is configured); port 0 picks a free port");
  t.add("threads", &c.threads,
        "HTTP/WebSocket I/O threads (0..256), each with its own event loop; 0 = one per core. A connection stays on "
        "one thread; /ws?room=NAME puts a room's members on the same one");
  t.add("web-root", &c.web_root, "serve the web client from this directory instead of the copy embedded in the binary");
  t.add("tls-cert", &c.tls_cert, "PEM certificate (chain) file; with --tls-key serves HTTPS and WSS on the same port");
  t.add("tls-key", &c.tls_key, "PEM private key file for --tls-cert");
  t.add("self-signed", &c.self_signed, "make a throwaway self-signed certificate at start-up (quick LAN tests)");
  t.add("admin-allow", &c.admin_allow, "CIDRs besides loopback allowed to reach /metrics and /admin (repeatable)");
  t.add("connections-per-ip", &c.connections_per_ip, "HTTP/WebSocket connections per client IP address, IPv6 per /64; more are closed at once; 0 = no limit");
  t.add("admin-token", &c.admin_token, "bearer token (16+ characters) that /metrics and /admin also require, as `Authorization: Bearer TOKEN` (401 without); set it when a reverse proxy on this host forwards requests, which then all come from loopback");
}

void register_signaling(OptionTable& t, SignalingConfig& c) {
  t.section("Signaling");
  t.add("max-peers-per-room", &c.max_peers_per_room, "room capacity: 2 is a 1:1 call, more for mesh calls");
  t.add("max-rooms", &c.max_rooms, "rooms open at once; further joins get `server-full`");
  t.add("max-connections", &c.max_connections, "WebSocket connections at once; further ones are refused");
  t.add("join-rate-per-ip", &c.join_rate_per_ip, "joins per second per client IP address, IPv6 per /64 (burst: 3 s worth); more get `rate-limited`; 0 = no limit");
  t.add("max-message-bytes", &c.max_message_bytes, "largest WebSocket message accepted; larger closes with 1009");
  t.add("max-sdp-bytes", &c.max_sdp_bytes, "largest `sdp` field (`field-too-large`)");
  t.add("max-candidate-bytes", &c.max_candidate_bytes, "largest ICE candidate string (`field-too-large`)");
  t.add("max-name-bytes", &c.max_name_bytes, "largest display name (`field-too-large`)");
  t.add("rate-limit", &c.rate_limit, "messages per second per connection (token bucket refill rate)");
  t.add("rate-burst", &c.rate_burst, "messages a connection may send in a burst (token bucket size)");
  t.add("rate-abuse-close", &c.rate_abuse_close, "rate-limited messages within 10 s before the connection is closed (1008)");
  t.add("send-queue-messages", &c.send_queue_messages, "messages queued for a slow client before it is dropped (4000)");
  t.add("send-queue-bytes", &c.send_queue_bytes, "bytes queued for a slow client before it is dropped (4000)");
  t.add("ping-interval", &c.ping_interval_s, "seconds between WebSocket pings");
  t.add("idle-timeout", &c.idle_timeout_s, "seconds without any frame from a client before it is removed");
  t.add("ice-server", &c.ice_servers, "extra ICE server URL handed to clients in `joined` (repeatable)");
  t.add("resume-window", &c.resume_window_s,
        "seconds a session whose connection dropped stays in its room waiting for a `resume` (its peers hear "
        "`peer-reconnecting`, then `peer-left` `timeout`); 0 turns resume off");
  t.add("resume-buffer-messages", &c.resume_buffer_messages,
        "messages kept per resumable session (unacknowledged, or arriving while it waits); a waiting session "
        "over it ends (`peer-left` `dropped`)");
  t.add("resume-buffer-bytes", &c.resume_buffer_bytes, "bytes kept per resumable session, as resume-buffer-messages");
  t.add("resume-max-parked", &c.resume_max_parked,
        "sessions waiting for a resume at once; beyond it a dropped connection leaves its room at once");
  t.add("shutdown-grace", &c.shutdown_grace_s,
        "seconds a node that got SIGTERM waits for its connections to close and, in a cluster, for its resumable "
        "sessions to be resumed on other nodes (those still waiting then leave their rooms); it exits sooner when "
        "nothing is left");
}

void register_memory(OptionTable& t, MemorySection& c) {
  t.section("Memory");
  t.add("memory-trim-interval", &c.trim_interval_s,
        "seconds between checks of the memory a burst of traffic left free in the allocator's heaps; when it is at "
        "least --memory-trim-min-free, it is given back to the system (malloc_trim); 0 = never");
  t.add("memory-trim-min-free", &c.trim_min_free_mib, "MiB free in the heaps that make a check give memory back");
  t.add("memory-trim-max-busy", &c.trim_max_busy,
        "CPU (in cores) the process may have used since the last check for it to give memory back; busier, it waits "
        "for a quieter check, since memory freed mid-burst is used again at once");
}

void register_compat(OptionTable& t, CompatConfig& c) {
  t.section("PeerJS and Ayame compatibility");
  t.add("peerjs-path", &c.peerjs_path,
        "serve the PeerJS server protocol (peer 1.0.x) under this path: WebSocket PATH/peerjs, HTTP PATH/KEY/id; "
        "empty = off");
  t.add("peerjs-key", &c.peerjs_key, "the PeerJS key clients must name (peer's `key`)");
  t.add("peerjs-expire-timeout", &c.peerjs_expire_timeout_s,
        "seconds messages wait for a PeerJS id that is not connected before the sender gets EXPIRE");
  t.add("peerjs-alive-timeout", &c.peerjs_alive_timeout_s, "seconds without any frame before a PeerJS client is closed");
  t.add("peerjs-concurrent-limit", &c.peerjs_concurrent_limit,
        "PeerJS clients connected at once (per key; in a cluster, across all nodes)");
  t.add("ayame-path", &c.ayame_path, "serve the Ayame signaling protocol at this WebSocket path (Ayame uses /signaling); empty = off");
  t.add("ayame-ping-interval", &c.ayame_ping_interval_s, "seconds between Ayame `ping` messages (Momo gives up after 30)");
  t.add("ayame-pong-timeout", &c.ayame_pong_timeout_s, "seconds without `pong` before an Ayame client is closed");
}

void register_stun(OptionTable& t, StunConfig& c) {
  t.section("STUN");
  t.add("no-stun", &c.disabled, "do not run the STUN service");
  t.add("stun-listen", &c.listen, "HOST:PORT for STUN over UDP and TCP (repeatable)");
  t.add("stun-tls-listen", &c.tls_listen, "HOST:PORT for STUN over TLS, used when a certificate is configured (repeatable)");
  t.add("stun-public-address", &c.public_address, "HOST[:PORT] advertised to clients as stun:/turn: URLs; default: the listen address");
  t.add("stun-software", &c.software, "SOFTWARE attribute value in authenticated TURN responses; never in unauthenticated answers (Binding, 401, 438, 400), which a spoofed source could have reflected at someone; empty = not sent");
  t.add("stun-alt-address", &c.alt_address, "second HOST:PORT enabling RFC 5780 NAT behaviour discovery (off when empty)");
}

std::string_view unbracket(std::string_view s) {
  return s.size() >= 2 && s.front() == '[' && s.back() == ']' ? s.substr(1, s.size() - 2) : s;
}

void check_host_port(std::ostringstream& errs, const std::string& option, const std::string& value) {
  if (!util::parse_host_port(value)) errs << "--" << option << ": '" << value << "' is not HOST:PORT\n";
}

void check_positive(std::ostringstream& errs, const std::string& option, double v) {
  if (!(v > 0)) errs << "--" << option << " must be greater than 0\n";
}

void validate_signaling(std::ostringstream& errs, const SignalingConfig& s) {
  check_positive(errs, "max-peers-per-room", s.max_peers_per_room);
  check_positive(errs, "max-rooms", s.max_rooms);
  check_positive(errs, "max-connections", s.max_connections);
  check_positive(errs, "rate-limit", s.rate_limit);
  check_positive(errs, "rate-burst", s.rate_burst);
  if (s.join_rate_per_ip < 0) errs << "--join-rate-per-ip must not be negative\n";
  check_positive(errs, "send-queue-messages", s.send_queue_messages);
  check_positive(errs, "ping-interval", s.ping_interval_s);
  check_positive(errs, "idle-timeout", s.idle_timeout_s);
  if (s.max_message_bytes < 1024) errs << "--max-message-bytes must be at least 1024\n";
  if (s.max_sdp_bytes >= s.max_message_bytes) errs << "--max-sdp-bytes must be below --max-message-bytes\n";
  if (s.send_queue_bytes < s.max_message_bytes) errs << "--send-queue-bytes must be at least --max-message-bytes\n";
  if (s.idle_timeout_s <= s.ping_interval_s) errs << "--idle-timeout must be longer than --ping-interval\n";
  if (!(s.resume_window_s >= 0 && s.resume_window_s <= 3600)) errs << "--resume-window must be 0..3600 seconds\n";
  check_positive(errs, "resume-buffer-messages", s.resume_buffer_messages);
  if (!(s.shutdown_grace_s >= 0 && s.shutdown_grace_s <= 600)) errs << "--shutdown-grace must be 0..600 seconds\n";
  if (s.resume_buffer_bytes < s.max_message_bytes) {
    errs << "--resume-buffer-bytes must be at least --max-message-bytes\n";
  }
}

void validate_compat(std::ostringstream& errs, const CompatConfig& c) {
  const auto check_path = [&](const char* option, const std::string& p) {
    if (p.empty()) return;
    if (p.front() != '/' || p.find_first_of("?# ") != std::string::npos) {
      errs << "--" << option << " must start with '/' and have no '?', '#' or spaces\n";
    }
    if (p == "/ws" || p == "/healthz" || p == "/metrics" || p.starts_with("/admin")) {
      errs << "--" << option << " must not take over " << p << "\n";
    }
  };
  check_path("peerjs-path", c.peerjs_path);
  check_path("ayame-path", c.ayame_path);
  if (!c.peerjs_path.empty() && !c.ayame_path.empty()) {
    if (signaling::peerjs::websocket_path(c.peerjs_path) == c.ayame_path) {
      errs << "--ayame-path is PeerJS's WebSocket path\n";
    }
  }
  if (c.peerjs_key.empty() || c.peerjs_key.size() > 64) errs << "--peerjs-key must have 1 to 64 characters\n";
  check_positive(errs, "peerjs-expire-timeout", c.peerjs_expire_timeout_s);
  check_positive(errs, "peerjs-alive-timeout", c.peerjs_alive_timeout_s);
  check_positive(errs, "peerjs-concurrent-limit", c.peerjs_concurrent_limit);
  check_positive(errs, "ayame-ping-interval", c.ayame_ping_interval_s);
  if (c.ayame_pong_timeout_s <= c.ayame_ping_interval_s) errs << "--ayame-pong-timeout must be longer than --ayame-ping-interval\n";
}

// PeerJS and Ayame clients carry no join token: where access control needs one (--auth jwt, jwt+webhook) they
// would be a way around it (Ayame's accept hands out TURN credentials), so such a server does not serve them.
// Ayame's register goes to the auth webhook, in Ayame's field names, so --auth webhook serves Ayame; PeerJS
// has nothing to send a webhook before its OPEN (docs/auth.md, docs/compatibility.md).
void validate_compat_access(std::ostringstream& errs, const CompatConfig& c, const AuthConfig& a) {
  const auth::Mode mode = effective_auth_mode(a);
  if (mode == auth::Mode::none) return;
  const auto mode_name = auth::to_string(mode);
  if (!c.peerjs_path.empty()) {
    errs << "--peerjs-path is not served with access control on (--auth " << mode_name
         << "): PeerJS clients send no join token, so they would bypass it; run them on a server with --auth "
            "none "
            "(docs/compatibility.md)\n";
  }
  if (!c.ayame_path.empty() && mode != auth::Mode::webhook) {
    errs << "--ayame-path is not served with access control on (--auth " << mode_name
         << "): Ayame clients send no join token, so they would bypass it; run them with --auth webhook "
            "(their "
            "register goes to the webhook) or --auth none (docs/compatibility.md)\n";
  }
}

void register_turn(OptionTable& t, TurnConfig& c) {
  t.section("TURN");
  t.add("no-turn", &c.disabled, "do not run the TURN relay");
  t.add("turn-realm", &c.realm, "REALM of the long-term credentials (RFC 8489 §9.2)");
  t.add("turn-user", &c.users, "static user NAME:PASSWORD (repeatable)");
  t.add("turn-secret", &c.secrets, "TURN REST API shared secret (repeatable, for rotation); none = a random one at start-up");
  t.add("turn-credential-ttl", &c.credential_ttl_s, "seconds the ephemeral TURN credentials in `joined` may start allocations (an allocation made with them is refreshed with them after that; docs/auth.md); the username names the identity a token grants, else the WebSocket connection, so joining again does not reset TURN's per-user quota");
  t.add("turn-relay-address", &c.relay_addresses, "IP the relay sockets bind to, one IPv4 and/or one IPv6 (repeatable: both give dual-stack allocations, RFC 8656 §7.2); default: the listen IPv4, or the first non-loopback IPv4 interface");
  t.add("turn-external-address", &c.external_addresses, "public IP advertised as the relayed address of its family when the relay is behind a 1:1 NAT (repeatable, one per family); default: the relay address");
  t.add("turn-min-port", &c.min_port, "lowest relay port");
  t.add("turn-max-port", &c.max_port, "highest relay port");
  t.add("turn-threads", &c.threads, "STUN/TURN front-end worker threads (0..256, one SO_REUSEPORT socket each); 0 = one per core. With --no-turn, that many per UDP listen address and that many for TCP/TLS");
  t.add("turn-default-lifetime", &c.default_lifetime_s, "allocation lifetime in seconds when the client asks for none");
  t.add("turn-max-lifetime", &c.max_lifetime_s, "longest allocation lifetime in seconds a client may ask for");
  t.add("turn-max-allocations", &c.max_allocations, "live allocations in total (486 beyond)");
  t.add("turn-user-quota", &c.user_quota, "live allocations per username (486 beyond)");
  t.add("turn-allocations-per-ip", &c.allocations_per_ip, "live allocations per client IP address, IPv6 per /64, whatever the usernames (486 beyond); 0 = no limit");
  t.add("turn-max-permissions", &c.max_permissions, "permissions per allocation");
  t.add("turn-max-channels", &c.max_channels, "channel bindings per allocation");
  t.add("turn-bandwidth", &c.bandwidth_kbps, "relayed kbit/s per allocation, both directions together (a 1080p call both ways stays below 16000); 0 = unlimited");
  t.add("turn-total-bandwidth", &c.total_bandwidth_kbps, "relayed kbit/s for the whole server, both directions; each relay worker gets an equal share; 0 = unlimited");
  t.add("turn-tcp-connections-per-ip", &c.tcp_connections_per_ip, "TURN TCP/TLS connections per client IP address, IPv6 per /64; more are closed at once; 0 = no limit");
  t.add("turn-tls-handshake-timeout", &c.tls_handshake_timeout_s, "seconds a TURN/STUN TLS connection has to finish its handshake");
  t.add("turn-tcp-first-request-timeout", &c.tcp_first_request_timeout_s, "seconds a TURN/STUN TCP or TLS connection has for its first valid request");
  t.add("turn-tcp-idle-timeout", &c.tcp_idle_timeout_s, "seconds without a valid request after which a TURN/STUN TCP or TLS connection with no allocation is closed");
  t.add("turn-tcp-frame-timeout", &c.tcp_frame_timeout_s, "seconds a STUN/ChannelData frame that started arriving on TCP/TLS may take to complete");
  t.add("turn-nonce-lifetime", &c.nonce_lifetime_s, "seconds a NONCE is accepted before 438 Stale Nonce");
  t.add("turn-auth-failure-rate", &c.auth_failure_rate, "401 answers per second per source IP (burst: twice that); more are dropped");
  t.add("allow-peer", &c.allow_peer, "CIDR the relay may send to even if denied by default (repeatable; allow wins)");
  t.add("deny-peer", &c.deny_peer, "CIDR the relay never sends to, besides the built-in list (repeatable)");
  t.add("turn-rfc5766-channels", &c.rfc5766_channels, "accept channel numbers 0x4000-0x7FFF (RFC 5766) besides RFC 8656's 0x4000-0x4FFF, as coturn does; false = strict RFC 8656");
  t.add("turn-tls-cert", &c.tls_cert, "PEM certificate for turns: (TLS on stun-tls-listen); default: --tls-cert");
  t.add("turn-tls-key", &c.tls_key, "PEM private key for --turn-tls-cert; default: --tls-key");
}

// A list of IPs with at most one per family (an IPv4 and an IPv6 address); brackets around IPv6 are accepted.
void check_one_ip_per_family(std::ostringstream& errs, const std::string& option, const std::vector<std::string>& ips) {
  int v4 = 0, v6 = 0;
  for (const auto& text : ips) {
    const auto ip = util::parse_ip(unbracket(text));
    if (!ip) {
      errs << "--" << option << ": '" << text << "' is not an IP address\n";
      continue;
    }
    (ip->is_v4() ? v4 : v6) += 1;
  }
  if (v4 > 1 || v6 > 1) errs << "--" << option << ": at most one IPv4 and one IPv6 address\n";
}

void validate_turn(std::ostringstream& errs, const TurnConfig& t) {
  for (const auto& u : t.users) {
    const auto colon = u.find(':');
    if (colon == std::string::npos || colon == 0) errs << "--turn-user: '" << u << "' is not NAME:PASSWORD\n";
  }
  for (const auto& s : t.secrets) {
    if (s.empty()) errs << "--turn-secret must not be empty\n";
  }
  if (t.realm.empty() || t.realm.size() > 127) errs << "--turn-realm must have 1 to 127 characters\n";
  check_one_ip_per_family(errs, "turn-relay-address", t.relay_addresses);
  check_one_ip_per_family(errs, "turn-external-address", t.external_addresses);
  if (t.min_port == 0 || t.min_port > t.max_port) errs << "--turn-min-port must be 1..--turn-max-port\n";
  check_positive(errs, "turn-credential-ttl", t.credential_ttl_s);
  check_positive(errs, "turn-default-lifetime", t.default_lifetime_s);
  check_positive(errs, "turn-nonce-lifetime", t.nonce_lifetime_s);
  check_positive(errs, "turn-max-allocations", t.max_allocations);
  check_positive(errs, "turn-user-quota", t.user_quota);
  check_positive(errs, "turn-max-permissions", t.max_permissions);
  check_positive(errs, "turn-max-channels", t.max_channels);
  check_positive(errs, "turn-auth-failure-rate", t.auth_failure_rate);
  check_positive(errs, "turn-tls-handshake-timeout", t.tls_handshake_timeout_s);
  check_positive(errs, "turn-tcp-first-request-timeout", t.tcp_first_request_timeout_s);
  check_positive(errs, "turn-tcp-idle-timeout", t.tcp_idle_timeout_s);
  check_positive(errs, "turn-tcp-frame-timeout", t.tcp_frame_timeout_s);
  if (t.max_lifetime_s < t.default_lifetime_s) errs << "--turn-max-lifetime must be at least --turn-default-lifetime\n";
  if (t.tls_cert.empty() != t.tls_key.empty()) errs << "--turn-tls-cert and --turn-tls-key go together\n";
  for (const auto& c : t.allow_peer) {
    if (!util::parse_cidr(c)) errs << "--allow-peer: '" << c << "' is not a CIDR\n";
  }
  for (const auto& c : t.deny_peer) {
    if (!util::parse_cidr(c)) errs << "--deny-peer: '" << c << "' is not a CIDR\n";
  }
}

void register_cluster(OptionTable& t, ClusterSection& c) {
  t.section("Cluster");
  t.add("redis", &c.redis,
        "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]: run as one node of a cluster sharing this Redis "
        "(docs/cluster.md); empty = a single node");
  t.add("node-id", &c.node_id, "this node's name in the cluster, logs and metrics (1-64 of A-Z a-z 0-9 _ . -); "
        "empty = random");
  t.add("node-ttl", &c.node_ttl_s, "seconds without a heartbeat after which a node counts as dead and its peers "
        "leave with node-lost (1-60)");
  t.add("redis-timeout", &c.redis_timeout_s, "seconds Redis may take to connect or answer before it counts as "
        "unreachable; also how long a resume waits for the node holding its session (and a PeerJS re-attach for "
        "the node holding its id)");
  t.add("resume-max-finds", &c.resume_max_finds, "resumes that may wait at once for the other nodes to hand "
        "their session over (docs/cluster.md, \"Resume across nodes\"); more are refused as expired. Also the "
        "PeerJS re-attaches that may wait at once for another node to hand an id over; more get ID-TAKEN");
}

void validate_cluster(std::ostringstream& errs, const ClusterSection& c) {
  if (!c.redis.empty()) {
    std::string why;
    if (!util::parse_redis_url(c.redis, &why)) errs << "--redis: " << why << "\n";
  }
  if (!c.node_id.empty() && (c.node_id.size() > 64 || !std::all_of(c.node_id.begin(), c.node_id.end(), [](char ch) {
                               return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' ||
                                      ch == '-';
                             }))) {
    errs << "--node-id must be 1-64 characters of A-Z a-z 0-9 _ . -\n";
  }
  if (!(c.node_ttl_s >= 1 && c.node_ttl_s <= 60)) errs << "--node-ttl must be 1 to 60 seconds\n";
  check_positive(errs, "redis-timeout", c.redis_timeout_s);
  if (c.resume_max_finds == 0) errs << "--resume-max-finds must be at least 1\n";
}

}  // namespace

void register_options(OptionTable& table, Config& cfg) {
  table.section("General");
  table.add("log-level", &cfg.log_level, "trace, debug, info, warn, error or off");
  register_http(table, cfg.http);
  register_signaling(table, cfg.signaling);
  register_compat(table, cfg.compat);
  register_stun(table, cfg.stun);
  register_turn(table, cfg.turn);
  register_auth_options(table, cfg.auth);
  register_cluster(table, cfg.cluster);
  register_doctor_options(table, cfg.doctor);
  register_memory(table, cfg.memory);
}

std::string Config::validate() const {
  std::ostringstream errs;
  static const char* const kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (std::find(std::begin(kLevels), std::end(kLevels), log_level) == std::end(kLevels)) {
    errs << "--log-level: unknown level '" << log_level << "'\n";
  }
  check_host_port(errs, "listen", http.listen);
  // Each thread has its own event loop (and each TURN worker its own socket): a typo must not start thousands.
  constexpr std::uint32_t kMaxThreads = 256;
  if (http.threads > kMaxThreads) errs << "--threads must be 0 (one per core) to " << kMaxThreads << "\n";
  if (turn.threads > kMaxThreads) errs << "--turn-threads must be 0 (one per core) to " << kMaxThreads << "\n";
  if (http.tls_cert.empty() != http.tls_key.empty()) errs << "--tls-cert and --tls-key go together\n";
  if (http.self_signed && !http.tls_cert.empty()) errs << "--self-signed and --tls-cert exclude each other\n";
  if (!http.admin_token.empty() && http.admin_token.size() < 16) errs << "--admin-token must have at least 16 characters\n";
  for (const auto& c : http.admin_allow) {
    if (!util::parse_cidr(c)) errs << "--admin-allow: '" << c << "' is not a CIDR\n";
  }
  validate_signaling(errs, signaling);
  validate_compat(errs, compat);
  for (const auto& l : stun.listen) check_host_port(errs, "stun-listen", l);
  for (const auto& l : stun.tls_listen) check_host_port(errs, "stun-tls-listen", l);
  if (!stun.alt_address.empty()) check_host_port(errs, "stun-alt-address", stun.alt_address);
  if (stun.software.size() > 762) errs << "--stun-software: longer than 762 bytes (RFC 8489 §14.14)\n";
  if (!stun.public_address.empty() && !util::parse_host_optional_port(stun.public_address)) {
    errs << "--stun-public-address: '" << stun.public_address << "' is not HOST or HOST:PORT\n";
  }
  validate_turn(errs, turn);
  validate_auth(errs, auth, http.listen);
  validate_compat_access(errs, compat, auth);
  validate_cluster(errs, cluster);
  validate_doctor(errs, doctor);
  if (!(memory.trim_interval_s >= 0 && memory.trim_interval_s <= 86400)) {
    errs << "--memory-trim-interval must be 0..86400 seconds\n";
  }
  if (!(memory.trim_max_busy >= 0)) errs << "--memory-trim-max-busy must not be negative\n";
  return errs.str();
}

LoadResult load_config(int argc, const char* const* argv) {
  LoadResult r;
  OptionTable table;
  register_options(table, r.config);
  auto parsed = table.parse(argc, argv, [](const char* n) { return std::getenv(n); });
  r.error = parsed.error;
  r.exit_now = parsed.exit_now;
  r.output = parsed.output;
  if (r.error.empty() && !r.exit_now) r.error = r.config.validate();
  return r;
}

}  // namespace sb::server
