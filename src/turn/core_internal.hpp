// Internals of TurnCore shared by its .cpp files: the request being handled and the per-method
// handlers (RFC 8656 §7-§11). Not part of the public interface.
#pragma once

#include <span>
#include <string_view>

#include "stun/message.hpp"
#include "turn/auth.hpp"
#include "turn/core.hpp"

namespace sb::turn {

struct TurnCore::Request {
  const FiveTuple& from;
  const stun::MessageView& msg;
  const Now& now;
  std::span<std::uint8_t> out;
  bool authenticated = false;  // responses then carry MESSAGE-INTEGRITY(-SHA256) with `key`
  std::string_view username;   // valid while msg's bytes are
  std::string_view quota_user;
  LongTermKey key{};
  bool sha256 = false;  // the client used MESSAGE-INTEGRITY-SHA256 (RFC 8489 §9.2.4)
};

struct CoreHandlers {
  using Request = TurnCore::Request;

  // Responses: the handler fills c.response_ with the method's attributes; reply() appends SOFTWARE and
  // the integrity attribute the client used (authenticated answers only) and FINGERPRINT when the
  // request had one, then copies it into r.out.
  static Output reply(TurnCore& c, Request& r);
  // Error responses; unauthenticated ones are rate-limited per source IP (then a counted drop).
  static Output error(TurnCore& c, Request& r, std::uint16_t code);
  static bool may_answer_unauthenticated(TurnCore& c, const Request& r);
  // 401 / 438 with REALM and a fresh NONCE (never with MESSAGE-INTEGRITY), rate-limited per source IP.
  static Output challenge(TurnCore& c, Request& r, std::uint16_t code, AuthFailure why);

  // RFC 8489 §9.2.4. True when authenticated; otherwise `answer` is the response (or a drop).
  static bool authenticate(TurnCore& c, Request& r, Output& answer);
  static bool may_use_expired(TurnCore& c, const Request& r, std::string_view username);

  // The allocation of r.from, checked to belong to r.username: nullptr with `answer` = 437 or 441.
  static Allocation* owned(TurnCore& c, Request& r, Output& answer);

  static Output allocate(TurnCore& c, Request& r);
  static Output refresh(TurnCore& c, Request& r);
  static Output create_permission(TurnCore& c, Request& r);
  static Output channel_bind(TurnCore& c, Request& r);

  // Lifetime granted for a requested one (RFC 8656 §7.2 step 8, §8.2): max(default, min(req, max)).
  static std::chrono::seconds granted_lifetime(const TurnConfig& cfg, const stun::MessageView& m);
};

}  // namespace sb::turn
