#include "server/auth_config.hpp"

#include "util/address.hpp"

namespace sb::server {

void register_auth_options(OptionTable& t, AuthConfig& c) {
  t.section("Access control");
  t.add("auth", &c.mode,
        "who may join: none, jwt, webhook, jwt+webhook, or auto (jwt and/or webhook as configured; with neither, "
        "open, which is refused on a listen address that is not loopback)");
  t.add("jwt-secret", &c.jwt_secrets, "HS256 key KID:SECRET (at least 32 bytes; repeatable, for rotation)");
  t.add("jwt-public-key", &c.jwt_public_keys,
        "RS256 or ES256 key KID:PEMFILE (a PEM public key: RSA of 2048 bits or more, or EC P-256; repeatable)");
  t.add("jwt-leeway", &c.jwt_leeway_s, "seconds of clock difference allowed for a token's exp, nbf and iat");
  t.add("jwt-audience", &c.jwt_audience, "the `aud` tokens must name; empty = tokens must carry no `aud`");
  t.add("jwt-issuer", &c.jwt_issuer, "the `iss` tokens must carry; empty = not checked");
  t.add("token-in-query", &c.token_in_query,
        "also accept the token as /ws?token= (off by default: URLs end up in logs)");
  t.add("auth-webhook", &c.webhook_url, "http:// or https:// URL asked before every join (docs/auth.md)");
  t.add("auth-webhook-timeout", &c.webhook_timeout_s, "seconds to wait for the webhook; then the join is refused");
  t.add("auth-webhook-max-in-flight", &c.webhook_max_in_flight,
        "webhook calls at once; joins beyond are refused with `auth-busy`");
  t.add("auth-webhook-ca", &c.webhook_ca_file, "PEM CA bundle to verify an https webhook; default: the system's");
  t.add("auth-deadline", &c.deadline_s, "seconds a connection has to be admitted to a room after it opens");
  t.add("auth-max-message-bytes", &c.max_message_bytes,
        "largest frame accepted before a connection is admitted (with auth); larger closes with 1009");
  t.add("auth-max-pending-per-ip", &c.max_pending_per_ip,
        "connections from one IP that are not admitted yet (with auth); more are refused with HTTP 429");
  t.add("auth-max-failures-per-ip", &c.max_failures_per_ip,
        "refused joins from one IP within --auth-failure-window before that IP is refused (`auth-blocked`)");
  t.add("auth-failure-window", &c.failure_window_s, "seconds over which refused joins are counted per IP");
}

bool split_kid(const std::string& text, std::string* kid, std::string* value) {
  const auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  *kid = text.substr(0, colon);
  *value = text.substr(colon + 1);
  return true;
}

bool is_loopback_listen(const std::string& listen) {
  const auto hp = util::parse_host_port(listen);
  if (!hp) return false;
  if (hp->host == "localhost") return true;
  const auto ip = util::parse_ip(hp->host);
  if (!ip) return false;
  return util::parse_cidr("127.0.0.0/8")->contains(*ip) || util::parse_cidr("::1/128")->contains(*ip);
}

auth::Mode effective_auth_mode(const AuthConfig& c) {
  if (auto m = auth::parse_mode(c.mode)) return *m;
  const bool keys = !c.jwt_secrets.empty() || !c.jwt_public_keys.empty();
  const bool hook = !c.webhook_url.empty();
  if (keys && hook) return auth::Mode::jwt_webhook;
  if (keys) return auth::Mode::jwt;
  if (hook) return auth::Mode::webhook;
  return auth::Mode::none;
}

namespace {

void validate_mode(std::ostringstream& errs, const AuthConfig& c, const std::string& listen) {
  const bool keys = !c.jwt_secrets.empty() || !c.jwt_public_keys.empty();
  const bool hook = !c.webhook_url.empty();
  if (c.mode != "auto" && !auth::parse_mode(c.mode)) {
    errs << "--auth must be none, jwt, webhook, jwt+webhook or auto\n";
    return;
  }
  const auth::Mode m = effective_auth_mode(c);
  if (auth::uses_jwt(m) && !keys) errs << "--auth " << c.mode << " needs --jwt-secret or --jwt-public-key\n";
  if (!auth::uses_jwt(m) && keys) errs << "--auth " << c.mode << " does not use the configured JWT keys\n";
  if (auth::uses_webhook(m) && !hook) errs << "--auth " << c.mode << " needs --auth-webhook URL\n";
  if (!auth::uses_webhook(m) && hook) errs << "--auth " << c.mode << " does not call the configured --auth-webhook\n";
  if (m == auth::Mode::none && c.mode == "auto" && !is_loopback_listen(listen)) {
    errs << "refusing to run open on " << listen
         << ": anyone who reaches it could join any room and relay through TURN. Add a key "
            "(--jwt-secret KID:SECRET, then hand out tokens made with `signalbox token`; see docs/auth.md) or an "
            "--auth-webhook, or pass --auth none to run open on purpose\n";
  }
}

}  // namespace

void validate_auth(std::ostringstream& errs, const AuthConfig& c, const std::string& listen) {
  validate_mode(errs, c, listen);
  std::string kid, value;
  for (const auto& s : c.jwt_secrets) {
    if (!split_kid(s, &kid, &value)) errs << "--jwt-secret must be KID:SECRET\n";
    else if (value.size() < 32) errs << "--jwt-secret " << kid << ": the secret must have at least 32 bytes\n";
  }
  for (const auto& k : c.jwt_public_keys) {
    if (!split_kid(k, &kid, &value)) errs << "--jwt-public-key must be KID:PEMFILE\n";
  }
  if (!c.webhook_url.empty() && !c.webhook_url.starts_with("http://") && !c.webhook_url.starts_with("https://")) {
    errs << "--auth-webhook must be an http:// or https:// URL\n";
  }
  if (!(c.webhook_timeout_s > 0)) errs << "--auth-webhook-timeout must be greater than 0\n";
  if (c.webhook_max_in_flight == 0) errs << "--auth-webhook-max-in-flight must be greater than 0\n";
  if (!(c.deadline_s > 0)) errs << "--auth-deadline must be greater than 0\n";
  if (!c.webhook_url.empty() && c.deadline_s <= c.webhook_timeout_s) {
    errs << "--auth-deadline must be longer than --auth-webhook-timeout\n";
  }
  if (c.max_message_bytes < 1024) errs << "--auth-max-message-bytes must be at least 1024\n";
  if (c.max_pending_per_ip == 0) errs << "--auth-max-pending-per-ip must be greater than 0\n";
  if (c.max_failures_per_ip == 0) errs << "--auth-max-failures-per-ip must be greater than 0\n";
  if (!(c.failure_window_s > 0)) errs << "--auth-failure-window must be greater than 0\n";
}

}  // namespace sb::server
