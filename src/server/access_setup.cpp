#include "server/access_setup.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sb::server {
namespace {

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

auth::KeySet load_keys(const AuthConfig& c) {
  auth::KeySet keys;
  std::string kid, value;
  for (const auto& s : c.jwt_secrets) {
    if (!split_kid(s, &kid, &value)) throw std::runtime_error("--jwt-secret must be KID:SECRET");
    if (auto err = keys.add_secret(kid, value); !err.empty()) throw std::runtime_error("--jwt-secret: " + err);
  }
  for (const auto& k : c.jwt_public_keys) {
    if (!split_kid(k, &kid, &value)) throw std::runtime_error("--jwt-public-key must be KID:PEMFILE");
    std::ifstream in(value);
    if (!in) throw std::runtime_error("--jwt-public-key " + kid + ": cannot read " + value);
    std::stringstream pem;
    pem << in.rdbuf();
    if (auto err = keys.add_public_key_pem(kid, pem.str()); !err.empty()) {
      throw std::runtime_error("--jwt-public-key " + value + ": " + err);
    }
  }
  return keys;
}

}  // namespace

std::shared_ptr<net::AccessControl> make_access_control(const Config& config, std::shared_ptr<const util::Clock> clock,
                                                        metrics::Registry& metrics) {
  const AuthConfig& c = config.auth;
  const auth::Mode mode = effective_auth_mode(c);
  if (mode == auth::Mode::none) return nullptr;
  net::AccessOptions o;
  o.settings.mode = mode;
  o.settings.keys = load_keys(c);
  o.settings.token.leeway_s = c.jwt_leeway_s;
  o.settings.token.audience = c.jwt_audience;
  o.settings.token.issuer = c.jwt_issuer;
  o.settings.token.max_name_bytes = config.signaling.max_name_bytes;
  o.token_in_query = c.token_in_query;
  o.max_pending_per_ip = c.max_pending_per_ip;
  o.max_failures_per_ip = c.max_failures_per_ip;
  o.failure_window = millis(c.failure_window_s);
  if (auth::uses_webhook(mode)) {
    net::WebhookClientOptions w;
    w.url = c.webhook_url;
    w.timeout = millis(c.webhook_timeout_s);
    w.max_in_flight = c.webhook_max_in_flight;
    w.ca_file = c.webhook_ca_file;
    w.max_response_bytes = o.settings.webhook.max_body_bytes;
    o.webhook = std::move(w);
  }
  return std::make_shared<net::AccessControl>(std::move(o), std::move(clock), metrics);
}

void install_access_control(net::ServerState& state, std::shared_ptr<net::AccessControl> access,
                            const AuthConfig& config) {
  if (!access) return;
  state.check_upgrade = [access](const net::WsUpgrade& upgrade) { return access->check_upgrade(upgrade); };
  state.make_gate = [access](const net::WsUpgrade& upgrade) { return access->gate(upgrade, *upgrade.io); };
  state.ws.admission_deadline = millis(config.deadline_s);
  state.ws.pre_admission_message_bytes = config.max_message_bytes;
}

}  // namespace sb::server
