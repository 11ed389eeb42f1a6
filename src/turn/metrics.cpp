#include "turn/metrics.hpp"

namespace sb::turn {

const char* to_string(DropReason r) {
  switch (r) {
    case DropReason::kNone: return "none";
    case DropReason::kMalformed: return "malformed";
    case DropReason::kNoAllocation: return "no_allocation";
    case DropReason::kNoPermission: return "no_permission";
    case DropReason::kNoChannel: return "no_channel";
    case DropReason::kPeerDenied: return "peer_denied";
    case DropReason::kBandwidth: return "bandwidth";
    case DropReason::kServerBandwidth: return "server_bandwidth";
    case DropReason::kRateLimited: return "rate_limited";
    case DropReason::kBufferTooSmall: return "buffer_too_small";
    case DropReason::kUnexpectedMessage: return "unexpected_message";
    case DropReason::kNoRelayedPeer: return "no_relayed_peer";
    case DropReason::kCount: break;
  }
  return "unknown";
}

const char* to_string(AuthFailure r) {
  switch (r) {
    case AuthFailure::kNone: return "none";
    case AuthFailure::kNoCredentials: return "no_credentials";
    case AuthFailure::kMissingAttribute: return "missing_attribute";
    case AuthFailure::kWrongRealm: return "wrong_realm";
    case AuthFailure::kStaleNonce: return "stale_nonce";
    case AuthFailure::kBadNonce: return "bad_nonce";
    case AuthFailure::kUnknownUser: return "unknown_user";
    case AuthFailure::kExpired: return "expired";
    case AuthFailure::kBadIntegrity: return "bad_integrity";
    case AuthFailure::kWrongUser: return "wrong_user";
    case AuthFailure::kCount: break;
  }
  return "unknown";
}

const char* to_string(Quota q) {
  switch (q) {
    case Quota::kOk: return "ok";
    case Quota::kUserFull: return "user";
    case Quota::kTotalFull: return "total";
    case Quota::kIpFull: return "per_ip";
    case Quota::kCount: break;
  }
  return "unknown";
}

namespace {
const char* const kDirection = "direction";
}  // namespace

Metrics::Metrics(metrics::Registry& r)
    : allocations_created(r.counter("signalbox_turn_allocations_created_total", "TURN allocations created.")),
      allocations_deleted(r.counter("signalbox_turn_allocations_deleted_total",
                                    "TURN allocations deleted (Refresh 0, closed connection).")),
      allocations_expired(r.counter("signalbox_turn_allocations_expired_total", "TURN allocations expired.")),
      permissions_created(r.counter("signalbox_turn_permissions_created_total", "TURN permissions installed.")),
      permissions_expired(r.counter("signalbox_turn_permissions_expired_total", "TURN permissions expired.")),
      channels_bound(r.counter("signalbox_turn_channels_bound_total", "TURN channel bindings created.")),
      channels_expired(r.counter("signalbox_turn_channels_expired_total", "TURN channel bindings expired.")),
      requests(r.counter("signalbox_turn_requests_total", "TURN requests received.")),
      error_responses(r.counter("signalbox_turn_error_responses_total", "TURN error responses sent.")),
      denied_peers(r.counter("signalbox_turn_denied_peers_total",
                             "Permissions refused (403) or packets dropped by the peer policy.")),
      packets_client_to_peer(r.counter("signalbox_turn_relayed_packets_total", "Packets relayed, by direction.",
                                       {{kDirection, "client_to_peer"}})),
      packets_peer_to_client(r.counter("signalbox_turn_relayed_packets_total", "Packets relayed, by direction.",
                                       {{kDirection, "peer_to_client"}})),
      bytes_client_to_peer(r.counter("signalbox_turn_relayed_bytes_total", "Payload bytes relayed, by direction.",
                                     {{kDirection, "client_to_peer"}})),
      bytes_peer_to_client(r.counter("signalbox_turn_relayed_bytes_total", "Payload bytes relayed, by direction.",
                                     {{kDirection, "peer_to_client"}})),
      channel_data_to_peer(r.counter("signalbox_turn_channel_data_total",
                                     "Relayed packets carried as ChannelData, by direction.",
                                     {{kDirection, "client_to_peer"}})),
      channel_data_to_client(r.counter("signalbox_turn_channel_data_total",
                                       "Relayed packets carried as ChannelData, by direction.",
                                       {{kDirection, "peer_to_client"}})),
      packets_to_local_relay(r.counter("signalbox_turn_local_relay_packets_total",
                                       "Relayed packets whose peer was another allocation of this server (handed "
                                       "over inside it).")),
      auth_failures(r.counter_family<AuthFailure, static_cast<std::size_t>(AuthFailure::kCount)>(
          "signalbox_turn_auth_failures_total", "Failed TURN authentications, by reason.", "reason",
          [](AuthFailure a) { return to_string(a); }, 1)),
      drops(r.counter_family<DropReason, static_cast<std::size_t>(DropReason::kCount)>(
          "signalbox_turn_dropped_packets_total", "TURN packets dropped, by reason.", "reason",
          [](DropReason d) { return to_string(d); }, 1)),
      quota_refusals(r.counter_family<Quota, static_cast<std::size_t>(Quota::kCount)>(
          "signalbox_turn_quota_refusals_total", "Allocate requests refused with 486, by quota.", "quota",
          [](Quota q) { return to_string(q); }, 1)) {}

}  // namespace sb::turn
