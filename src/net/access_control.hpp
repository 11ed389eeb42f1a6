// Access control's network side (docs/auth.md). AccessControl is shared by every connection of the server:
// it checks each WebSocket upgrade (an address that failed too often, too many connections from one address
// waiting for admission, an invalid token in the handshake: an HTTP refusal before any WebSocket exists)
// and makes one ConnectionGate per connection, the signaling::Gatekeeper that decides that connection's
// joins with auth::check_join and, in the webhook modes, the auth webhook's answer (asked on the
// connection's own io_context, delivered back to it as an event).
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/admission.hpp"
#include "auth/ip_limits.hpp"
#include "net/http_handler.hpp"
#include "net/server_state.hpp"
#include "net/webhook_client.hpp"
#include "signaling/admission.hpp"
#include "util/clock.hpp"
#include "util/metrics.hpp"

namespace sb::net {

struct AccessOptions {
  auth::AuthSettings settings;  // the mode, the keys, the token policy, the webhook answer's limits
  bool token_in_query = false;  // accept /ws?token=
  std::uint32_t max_pending_per_ip = 50;
  std::uint32_t max_failures_per_ip = 20;
  std::chrono::milliseconds failure_window{60'000};
  std::size_t max_tracked_ips = 100'000;
  std::optional<WebhookClientOptions> webhook;  // engaged in the webhook modes
};

// The subprotocol a v1 client offers, and the prefix of the one that carries its token:
// `Sec-WebSocket-Protocol: signalbox, signalbox-token.<JWT>`; the server answers `signalbox`.
inline constexpr std::string_view kSubprotocol = "signalbox";
inline constexpr std::string_view kTokenSubprotocolPrefix = "signalbox-token.";

// The token a handshake carried (the subprotocol, else with `token_in_query` the query), or "".
std::string_view upgrade_token(const WsUpgrade& upgrade, bool token_in_query);

class AccessControl : public std::enable_shared_from_this<AccessControl> {
 public:
  AccessControl(AccessOptions options, std::shared_ptr<const util::Clock> clock, metrics::Registry& metrics);

  // nullopt: go ahead. Otherwise the answer to send instead of the WebSocket handshake (429, 401).
  std::optional<HttpResponse> check_upgrade(const WsUpgrade& upgrade);
  // The gatekeeper of one new connection, whose sockets run on `io`.
  std::unique_ptr<signaling::Gatekeeper> gate(const WsUpgrade& upgrade, boost::asio::io_context& io);

  // Whether `request` carries `Authorization: Bearer <JWT>` with a token that verifies (for any room) and
  // allows TURN: what the connectivity doctor's TURN credentials ask for when access control is on.
  bool bearer_allows_turn(const HttpRequest& request) const;

  const AccessOptions& options() const { return options_; }
  std::int64_t unix_now() const { return clock_->unix_seconds(); }
  void record_failure(const util::IpAddress& ip) { failures_.record(ip, clock_->now()); }
  bool blocked(const util::IpAddress& ip) const { return failures_.blocked(ip, clock_->now()); }
  auth::PendingPerIp& pending() { return pending_; }
  WebhookClient* webhook() { return webhook_.get(); }

 private:
  HttpResponse refuse_upgrade(unsigned status, std::string_view code, std::string message, metrics::Counter& counted);

  AccessOptions options_;
  std::shared_ptr<const util::Clock> clock_;
  auth::PendingPerIp pending_;
  auth::FailuresPerIp failures_;
  std::unique_ptr<WebhookClient> webhook_;
  metrics::Counter& refused_token_;
  metrics::Counter& refused_pending_;
  metrics::Counter& refused_blocked_;
};

}  // namespace sb::net
