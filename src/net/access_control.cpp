#include "net/access_control.hpp"

#include <cctype>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "auth/webhook.hpp"
#include "net/io_pool.hpp"
#include "signaling/events.hpp"

namespace sb::net {
namespace {

using signaling::Denial;
using signaling::ErrorCode;
using signaling::Grant;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Decides the joins of one connection. Lives as long as its protocol session, on the connection's executor.
class ConnectionGate final : public signaling::Gatekeeper {
 public:
  ConnectionGate(std::shared_ptr<AccessControl> access, const WsUpgrade& upgrade, boost::asio::io_context& io)
      : access_(std::move(access)),
        ip_(upgrade.remote),
        user_agent_(upgrade.user_agent.substr(0, 512)),
        upgrade_token_(upgrade_token(upgrade, access_->options().token_in_query)),
        io_(io),
        pending_(access_->pending().try_add(ip_)) {}

  ~ConnectionGate() override { on_admitted(); }

  std::optional<signaling::AdmissionDecision> admit(const signaling::JoinAttempt& attempt,
                                                    std::weak_ptr<signaling::Member> member) override;

  void on_admitted() override {
    if (pending_) access_->pending().remove(ip_);
    pending_ = false;
  }
  void on_deadline() override { access_->record_failure(ip_); }

 private:
  signaling::AdmissionDecision refuse(Denial denial, std::string_view token) {
    access_->record_failure(ip_);
    spdlog::info("auth: refused a join from {}: {} (kid {})", ip_.to_string(), signaling::to_string(denial.code),
                 token.empty() ? "-" : auth::kid_for_log(token));
    return denial;
  }
  void ask_webhook(const signaling::JoinAttempt& attempt, Grant grant, std::string claims,
                   std::weak_ptr<signaling::Member> member, bool* started);

  std::shared_ptr<AccessControl> access_;
  util::IpAddress ip_;
  std::string user_agent_;
  std::string upgrade_token_;
  boost::asio::io_context& io_;
  bool pending_;  // counted in access_->pending() until admitted
};

std::optional<signaling::AdmissionDecision> ConnectionGate::admit(const signaling::JoinAttempt& attempt,
                                                                  std::weak_ptr<signaling::Member> member) {
  if (access_->blocked(ip_)) {
    return Denial{ErrorCode::auth_blocked, "too many refused joins from your address; try again later"};
  }
  const auto& settings = access_->options().settings;
  const std::string_view token = attempt.token.empty() ? std::string_view(upgrade_token_) : attempt.token;
  std::string claims;
  auto decision = auth::check_join(settings, attempt.room, attempt.name, token, access_->unix_now(), &claims);
  if (auto* denial = std::get_if<Denial>(&decision)) return refuse(std::move(*denial), token);
  auto& grant = std::get<Grant>(decision);
  if (!auth::uses_webhook(settings.mode)) {
    if (spdlog::should_log(spdlog::level::debug)) {  // kid_for_log decodes the header: not on every join
      spdlog::debug("auth: admitted {} (kid {}) to {}", grant.identity, auth::kid_for_log(token), attempt.room);
    }
    return decision;
  }
  bool started = false;
  ask_webhook(attempt, std::move(grant), std::move(claims), std::move(member), &started);
  if (!started) return Denial{ErrorCode::auth_busy, "too many joins are waiting for the auth webhook; try again shortly"};
  return std::nullopt;
}

// The webhook's answer comes back as an event to the connection; the call itself holds nothing of this gate.
void ConnectionGate::ask_webhook(const signaling::JoinAttempt& attempt, Grant grant, std::string claims,
                                 std::weak_ptr<signaling::Member> member, bool* started) {
  auth::WebhookRequest request{std::string(attempt.room), grant.identity, grant.name, std::string(attempt.peer_id),
                               ip_.to_string(), user_agent_, std::move(claims), std::string(attempt.metadata)};
  auto done = [access = std::weak_ptr<AccessControl>(access_), member = std::move(member), grant = std::move(grant),
               id = std::string(attempt.peer_id), ip = ip_](auth::WebhookReply reply) mutable {
    auto strong = access.lock();
    if (!strong) return;
    auto decision = auth::apply_webhook(std::move(grant), auth::read_webhook_reply(reply, strong->options().settings.webhook));
    signaling::Event event;
    if (auto* denial = std::get_if<Denial>(&decision)) {
      strong->record_failure(ip);
      spdlog::info("auth: the webhook refused a join from {}: {}{}{}", ip.to_string(), signaling::to_string(denial->code),
                   reply.error.empty() ? "" : ": ", reply.error);
      event = signaling::event::Refused{id, denial->code, std::move(denial->message)};
    } else {
      event = signaling::event::Granted{id, std::move(std::get<Grant>(decision))};
    }
    if (auto m = member.lock()) m->deliver(std::move(event));
  };
  *started = access_->webhook()->post(io_, auth::webhook_body(request), io_.get_executor(), std::move(done));
}

}  // namespace

std::string_view upgrade_token(const WsUpgrade& upgrade, bool token_in_query) {
  std::string_view list = upgrade.subprotocols;
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string_view item = trim(list.substr(0, comma));
    if (item.starts_with(kTokenSubprotocolPrefix)) return item.substr(kTokenSubprotocolPrefix.size());
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return token_in_query ? query_param(upgrade.target, "token") : std::string_view();
}

AccessControl::AccessControl(AccessOptions options, std::shared_ptr<const util::Clock> clock,
                             metrics::Registry& metrics)
    : options_(std::move(options)),
      clock_(std::move(clock)),
      pending_(options_.max_pending_per_ip, options_.max_tracked_ips),
      failures_(options_.max_failures_per_ip, options_.failure_window, options_.max_tracked_ips),
      refused_token_(metrics.counter("signalbox_auth_refused_upgrades_total",
                                     "WebSocket upgrades access control answered with an HTTP error.",
                                     {{"reason", "token"}})),
      refused_pending_(metrics.counter("signalbox_auth_refused_upgrades_total",
                                       "WebSocket upgrades access control answered with an HTTP error.",
                                       {{"reason", "pending"}})),
      refused_blocked_(metrics.counter("signalbox_auth_refused_upgrades_total",
                                       "WebSocket upgrades access control answered with an HTTP error.",
                                       {{"reason", "blocked"}})) {
  if (options_.webhook) webhook_ = std::make_unique<WebhookClient>(*options_.webhook);
}

HttpResponse AccessControl::refuse_upgrade(unsigned status, std::string_view code, std::string message,
                                           metrics::Counter& counted) {
  counted.inc();
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = nlohmann::json{{"type", "error"}, {"code", code}, {"message", std::move(message)}}.dump() + "\n";
  r.headers.emplace_back("X-Signalbox-Error", std::string(code));
  return r;
}

std::optional<HttpResponse> AccessControl::check_upgrade(const WsUpgrade& upgrade) {
  const auto& ip = upgrade.remote;
  if (blocked(ip)) {
    return refuse_upgrade(429, signaling::to_string(ErrorCode::auth_blocked),
                          "too many refused joins from your address; try again later", refused_blocked_);
  }
  if (pending_.count(ip) >= options_.max_pending_per_ip) {
    return refuse_upgrade(429, "too-many-pending", "too many connections from your address wait to join a room",
                          refused_pending_);
  }
  const std::string_view token = upgrade_token(upgrade, options_.token_in_query);
  if (token.empty() || !auth::uses_jwt(options_.settings.mode)) return std::nullopt;
  auto verified = auth::verify_token(token, options_.settings.keys, options_.settings.token, unix_now());
  auto* refusal = std::get_if<auth::Refusal>(&verified);
  if (refusal == nullptr) return std::nullopt;
  record_failure(ip);
  spdlog::info("auth: refused a WebSocket upgrade from {}: {} (kid {})", ip.to_string(),
               signaling::to_string(refusal->code), auth::kid_for_log(token));
  return refuse_upgrade(401, signaling::to_string(refusal->code), std::move(refusal->message), refused_token_);
}

bool AccessControl::bearer_allows_turn(const HttpRequest& request) const {
  constexpr std::string_view kScheme = "bearer ";  // RFC 6750 §2.1; the scheme is case-insensitive
  const std::string_view header = trim(request.authorization);
  if (!auth::uses_jwt(options_.settings.mode) || header.size() <= kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return false;
  }
  const auto verified =
      auth::verify_token(trim(header.substr(kScheme.size())), options_.settings.keys, options_.settings.token, unix_now());
  const auto* claims = std::get_if<auth::Claims>(&verified);
  return claims != nullptr && claims->turn;
}

std::unique_ptr<signaling::Gatekeeper> AccessControl::gate(const WsUpgrade& upgrade, boost::asio::io_context& io) {
  return std::make_unique<ConnectionGate>(shared_from_this(), upgrade, io);
}

}  // namespace sb::net
