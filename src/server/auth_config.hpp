// The access-control section of the configuration (docs/auth.md): who may join, and the limits that apply to
// a connection before it is admitted.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "auth/admission.hpp"
#include "server/options.hpp"

namespace sb::server {

struct AuthConfig {
  // auto: jwt when keys are configured, webhook when a webhook is, both when both; with neither, open, which
  // start-up refuses on a listen address that is not loopback. Or one of none|jwt|webhook|jwt+webhook.
  std::string mode = "auto";
  std::vector<std::string> jwt_secrets;      // KID:SECRET (HS256)
  std::vector<std::string> jwt_public_keys;  // KID:PEMFILE (RS256 or ES256, by the key's type)
  std::uint32_t jwt_leeway_s = 30;
  std::string jwt_audience;                  // "" = tokens must carry no aud
  std::string jwt_issuer;                    // "" = iss not checked
  bool token_in_query = false;               // accept /ws?token= (URLs end up in logs)
  std::string webhook_url;                   // http:// or https://
  double webhook_timeout_s = 5;
  std::uint32_t webhook_max_in_flight = 100;
  std::string webhook_ca_file;               // PEM bundle for https; "" = the system's trust store
  double deadline_s = 10;                    // to be admitted after the WebSocket opens
  std::uint32_t max_message_bytes = 8192;    // any frame before admission
  std::uint32_t max_pending_per_ip = 50;     // connections per source IP not admitted yet
  std::uint32_t max_failures_per_ip = 20;    // failed joins per source IP per window, then refused
  double failure_window_s = 60;
};

void register_auth_options(OptionTable& table, AuthConfig& c);

// Problems with `c` for a server listening on `listen` (HOST:PORT), one per line in `errs`.
void validate_auth(std::ostringstream& errs, const AuthConfig& c, const std::string& listen);

// The mode in force: `mode`, or what `auto` resolves to.
auth::Mode effective_auth_mode(const AuthConfig& c);

// True when HOST of HOST:PORT can only be reached from this machine (127.0.0.0/8, ::1, localhost).
bool is_loopback_listen(const std::string& listen);

// `KID:VALUE` → {KID, VALUE}; false when there is no ':' or either side is empty.
bool split_kid(const std::string& text, std::string* kid, std::string* value);

}  // namespace sb::server
