#include "turn/counters.hpp"

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

}  // namespace sb::turn
