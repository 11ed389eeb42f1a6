// Responses and long-term credential authentication (RFC 8489 §9.2.4) for TurnCore.
#include <cstring>

#include "stun/attr_address.hpp"
#include "stun/attr_error.hpp"
#include "stun/attr_text.hpp"
#include "stun/integrity.hpp"
#include "turn/core_internal.hpp"

namespace sb::turn {

Output CoreHandlers::reply(TurnCore& c, Request& r) {
  stun::Message& m = c.response_;
  if (r.authenticated) {
    // SOFTWARE only where the client proved who it is: unauthenticated answers go to whatever source
    // address a datagram claims, so each byte added there is reflected at a spoofed victim (issue 10).
    if (!c.config_.software.empty()) m.add(stun::Software{c.config_.software});
    // RFC 8489 §9.2.4: the response is protected the way the request was.
    if (r.sha256) {
      m.add_message_integrity_sha256(r.key);
    } else {
      m.add_message_integrity(r.key);
    }
  }
  if (r.msg.fingerprint()) m.add_fingerprint();
  if (!m.ok() || m.size() > r.out.size()) return c.drop(DropReason::kBufferTooSmall);
  std::memcpy(r.out.data(), m.bytes().data(), m.size());
  Output o;
  o.action = Action::kToClient;
  o.client = r.from;
  o.bytes = r.out.first(m.size());
  return o;
}

// Answers anyone may cause with a spoofed source (before authentication) are rate-limited per source IP.
bool CoreHandlers::may_answer_unauthenticated(TurnCore& c, const Request& r) {
  return r.authenticated || c.limiter_.take(r.from.client.ip_bytes(), r.now.mono);
}

Output CoreHandlers::error(TurnCore& c, Request& r, std::uint16_t code) {
  if (!may_answer_unauthenticated(c, r)) return c.drop(DropReason::kRateLimited);
  stun::start_error_response(c.response_, r.msg, code);
  c.metrics_.error_responses.inc_single_writer();
  return reply(c, r);
}

Output CoreHandlers::challenge(TurnCore& c, Request& r, std::uint16_t code, AuthFailure why) {
  c.metrics_.auth_failure(why);
  // 401 and 438 go to anyone who asks (a garbage nonce draws 438 with a fresh one, from any source
  // address), so both are rate-limited per source IP.
  r.authenticated = false;
  if (!may_answer_unauthenticated(c, r)) return c.drop(DropReason::kRateLimited);
  std::array<char, NonceCodec::kNonceSize> nonce{};
  c.shared_.nonces().mint(r.from.client, r.now.unix_seconds, nonce);
  stun::start_error_response(c.response_, r.msg, code)
      .add(stun::Realm{c.config_.realm})
      .add(stun::Nonce{std::string_view(nonce.data(), nonce.size())});
  c.metrics_.error_responses.inc_single_writer();
  return reply(c, r);
}

bool CoreHandlers::authenticate(TurnCore& c, Request& r, Output& answer) {
  const stun::MessageView& m = r.msg;
  const bool has_mi = m.message_integrity().has_value();
  const bool has_mi256 = m.message_integrity_sha256().has_value();
  // Step 1: no integrity at all → the normal challenge.
  if (!has_mi && !has_mi256) {
    answer = challenge(c, r, stun::code::kUnauthorized, AuthFailure::kNoCredentials);
    return false;
  }
  // Step 2: integrity without USERNAME, REALM or NONCE → 400 (USERHASH is not offered, so not accepted).
  const auto username = m.get<stun::Username>();
  const auto realm = m.get<stun::Realm>();
  const auto nonce = m.get<stun::Nonce>();
  if (!username || !realm || !nonce) {
    c.metrics_.auth_failure(AuthFailure::kMissingAttribute);
    answer = error(c, r, stun::code::kBadRequest);
    return false;
  }
  // Step 3: the nonce must be one we minted for this client, and fresh → else 438 with a new one.
  const auto check = c.shared_.nonces().check(nonce->value, r.from.client, r.now.unix_seconds);
  if (check != NonceCodec::Check::kValid) {
    const auto why = check == NonceCodec::Check::kStale ? AuthFailure::kStaleNonce : AuthFailure::kBadNonce;
    answer = challenge(c, r, stun::code::kStaleNonce, why);
    return false;
  }
  if (realm->value != c.config_.realm) {
    answer = challenge(c, r, stun::code::kUnauthorized, AuthFailure::kWrongRealm);
    return false;
  }
  // Step 4: a key for USERNAME (static user or unexpired REST credential) → else 401.
  const KeyLookup keys = c.shared_.credentials().lookup(username->value, realm->value, r.now.unix_seconds);
  if (keys.key_count == 0 || (keys.expired && !may_use_expired(c, r, username->value))) {
    answer = challenge(c, r, stun::code::kUnauthorized, keys.failure);
    return false;
  }
  // Step 5: MESSAGE-INTEGRITY-SHA256 when present (it is the stronger one), else MESSAGE-INTEGRITY.
  for (std::size_t i = 0; i < keys.key_count; ++i) {
    const bool ok = has_mi256 ? stun::verify_message_integrity_sha256(m, keys.keys[i])
                              : stun::verify_message_integrity(m, keys.keys[i]);
    if (!ok) continue;
    r.authenticated = true;
    r.sha256 = has_mi256;
    r.key = keys.keys[i];
    r.username = username->value;
    r.quota_user = keys.quota_user;
    return true;
  }
  answer = challenge(c, r, stun::code::kUnauthorized, AuthFailure::kBadIntegrity);
  return false;
}

// An expired TURN REST credential may no longer create allocations, but it keeps serving the allocation it
// created (Refresh, CreatePermission, ChannelBind on that 5-tuple): the credential's lifetime bounds when a
// call can start relaying, not how long it may last. Browsers keep the credentials they were given.
bool CoreHandlers::may_use_expired(TurnCore& c, const Request& r, std::string_view username) {
  if (r.msg.method() == stun::Method::kAllocate) return false;
  const Allocation* a = c.find(r.from);
  return a != nullptr && a->expires > r.now.mono && a->username == username;
}

Allocation* CoreHandlers::owned(TurnCore& c, Request& r, Output& answer) {
  Allocation* a = c.find(r.from);
  if (a == nullptr || a->expires <= r.now.mono) {
    answer = error(c, r, stun::code::kAllocationMismatch);
    return nullptr;
  }
  // RFC 8656 §5: requests on an allocation must use the credentials that created it.
  if (a->username != r.username) {
    c.metrics_.auth_failure(AuthFailure::kWrongUser);
    answer = error(c, r, stun::code::kWrongCredentials);
    return nullptr;
  }
  return a;
}

}  // namespace sb::turn
