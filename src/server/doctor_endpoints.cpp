#include "server/doctor_endpoints.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "doctor/report.hpp"
#include "stun/address.hpp"
#include "util/address.hpp"
#include "util/random.hpp"

namespace sb::server {
namespace {

using json = nlohmann::json;

constexpr std::uint32_t kRateBurst = 5;
constexpr std::uint32_t kRateBuckets = 4096;

net::HttpResponse json_response(unsigned status, const json& body) {
  net::HttpResponse r{status, "application/json", body.dump(), {}};
  r.headers.emplace_back("Cache-Control", "no-store");  // /doctor/config carries credentials
  return r;
}

std::string bracketed(const std::string& host) { return host.find(':') != std::string::npos ? "[" + host + "]" : host; }

// The iceServers of a run, sorted by kind: the stun: URL, and the turn: URLs per transport with credentials.
void add_ice_servers(json& out, const std::vector<signaling::IceServer>& servers, std::uint32_t ttl) {
  for (const auto& s : servers) {
    for (const auto& url : s.urls) {
      if (url.starts_with("stun:") && out["stun"].is_null()) out["stun"] = url;
      if (!s.username || !s.credential) continue;
      const char* kind = url.starts_with("turns:") ? "tls"
                         : !url.starts_with("turn:")       ? nullptr
                         : url.find("transport=tcp") != std::string::npos ? "tcp"
                                                                           : "udp";
      if (kind == nullptr) continue;
      if (out["turn"].is_null()) out["turn"] = {{"username", *s.username}, {"credential", *s.credential}, {"ttl", ttl}};
      if (!out["turn"].contains(kind)) out["turn"][kind] = url;
    }
  }
}

// The first bound STUN UDP endpoint of each family ("listening stun-udp HOST:PORT").
std::optional<util::HostPort> bound_stun(const DoctorSources& s, bool v6) {
  for (const auto& l : s.listening) {
    if (l.scheme != "stun-udp") continue;
    auto hp = util::parse_host_port(l.endpoint);
    if (hp && (hp->host.find(':') != std::string::npos) == v6) return hp;
  }
  return std::nullopt;
}

// stun:[V6]:PORT for the IPv6 STUN listener; a wildcard one is advertised with this host's first global
// IPv6 address. Null when there is none.
json stun6_url(const DoctorSources& s) {
  auto hp = bound_stun(s, true);
  if (!hp) return nullptr;
  std::string host = hp->host;
  if (host == "::") {
    host.clear();
    for (const auto& a : s.interface_addresses) {
      if (a.find(':') != std::string::npos && a != "::1" && !a.starts_with("fe80")) {
        host = a;
        break;
      }
    }
  }
  if (host.empty()) return nullptr;
  return "stun:[" + host + "]:" + std::to_string(hp->port);
}

// RFC 5780 §4: the four server addresses IP1:P1, IP1:P2, IP2:P1, IP2:P2 as stun: URLs.
json rfc5780_urls(const Config& c, const DoctorSources& s) {
  if (c.stun.disabled || c.stun.alt_address.empty() || c.stun.listen.empty()) return nullptr;
  const auto primary = util::parse_host_port(c.stun.listen.front());
  const auto alt = util::parse_host_port(c.stun.alt_address);
  const auto bound = bound_stun(s, primary && primary->host.find(':') != std::string::npos);
  if (!primary || !alt || !bound) return nullptr;
  const std::string ip1 = bracketed(primary->host), ip2 = bracketed(alt->host);
  const std::string p1 = std::to_string(bound->port), p2 = std::to_string(alt->port);
  return json::array({"stun:" + ip1 + ":" + p1, "stun:" + ip1 + ":" + p2, "stun:" + ip2 + ":" + p1,
                      "stun:" + ip2 + ":" + p2});
}

}  // namespace

DoctorEndpoints::DoctorEndpoints(const Config& config, std::shared_ptr<const DoctorSources> sources,
                                 std::shared_ptr<const util::Clock> clock, metrics::Registry& metrics)
    : config_(config),
      sources_(std::move(sources)),
      clock_(std::move(clock)),
      limiter_(util::RateSpec{config_.doctor.rate_limit / 60.0, kRateBurst}, kRateBuckets),
      config_requests_(metrics.counter("signalbox_doctor_config_requests_total",
                                       "Doctor runs started (GET /doctor/config answered).")) {
  for (std::size_t i = 0; i < verdicts_.size(); ++i) {
    verdicts_[i] = &metrics.counter("signalbox_doctor_reports_total",
                                    "Doctor reports received, by the verdict the server recomputed from their facts.",
                                    {{"verdict", doctor::kVerdictCodes[i]}});
  }
  static constexpr const char* kReasons[kRejections] = {"rate-limited", "too-large", "malformed", "disabled"};
  for (std::size_t i = 0; i < kRejections; ++i) {
    rejected_[i] = &metrics.counter("signalbox_doctor_rejected_total", "Doctor requests refused, by reason.",
                                    {{"reason", kReasons[i]}});
  }
}

bool DoctorEndpoints::allow(const util::IpAddress& remote) {
  std::lock_guard lock(limiter_mu_);
  return limiter_.take(remote.bytes, clock_->now());
}

net::HttpResponse DoctorEndpoints::reject(Rejection why, unsigned status, std::string message) {
  rejected_[why]->inc();
  auto r = json_response(status, {{"error", std::move(message)}});
  if (why == rate_limited) r.headers.emplace_back("Retry-After", "10");
  return r;
}

json DoctorEndpoints::offer_json(const net::HttpRequest& request) const {
  const auto unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
  json out = {{"version", doctor::kReportVersion}, {"serverTime", unix_ms},
              {"clientAddress", request.remote.to_string()}, {"stun", nullptr},
              {"stun6", stun6_url(*sources_)}, {"rfc5780", rfc5780_urls(config_, *sources_)},
              {"turn", nullptr}, {"relayToRelay", nullptr}, {"relayToDevice", nullptr},
              {"reports", config_.doctor.reports},
              {"reportMaxBytes", config_.doctor.report_max_bytes}};
  if (sources_->ice_servers) {
    add_ice_servers(out, sources_->ice_servers("doctor-" + util::random_hex(8)), config_.doctor.credential_ttl_s);
  }
  if (sources_->relay_to_relay) out["relayToRelay"] = sources_->relay_to_relay();
  if (sources_->relay_may_send_to) out["relayToDevice"] = sources_->relay_may_send_to(request.remote);
  return out;
}

net::HttpResponse DoctorEndpoints::config(const net::HttpRequest& request) {
  if (!allow(request.remote)) return reject(rate_limited, 429, "too many doctor requests from this address");
  config_requests_.inc();
  return json_response(200, offer_json(request));
}

net::HttpResponse DoctorEndpoints::report(const net::HttpRequest& request) {
  if (!config_.doctor.reports) return reject(disabled, 404, "this server does not record doctor reports");
  if (!allow(request.remote)) return reject(rate_limited, 429, "too many doctor requests from this address");
  if (request.body.size() > config_.doctor.report_max_bytes) {
    return reject(too_large, 413, "report larger than " + std::to_string(config_.doctor.report_max_bytes) + " bytes");
  }
  doctor::Report report;
  try {
    report = doctor::report_from_json(json::parse(request.body));
  } catch (const std::exception& e) {  // json::parse_error, std::invalid_argument
    return reject(malformed, 400, std::string("not a doctor report: ") + e.what());
  }
  const std::string claimed = report.verdict.code;
  report.verdict = doctor::decide(report.facts);  // never the client's word
  for (std::size_t i = 0; i < verdicts_.size(); ++i) {
    if (report.verdict.code == doctor::kVerdictCodes[i]) verdicts_[i]->inc();
  }
  const std::string id = util::random_hex(8);
  spdlog::info("doctor report {} from {}: {}", id, request.remote.to_string(), report.verdict.code);
  json kept = {{"id", id}, {"receivedAtUnix", clock_->unix_seconds()}, {"clientAddress", request.remote.to_string()},
               {"clientVerdict", claimed}, {"report", doctor::to_json(report)}};
  if (config_.doctor.reports_kept > 0) {
    std::lock_guard lock(reports_mu_);
    kept_.push_back(kept.dump());
    while (kept_.size() > config_.doctor.reports_kept) kept_.pop_front();
  }
  return json_response(201, {{"id", id}, {"verdict", doctor::to_json(report.verdict)}});
}

net::HttpResponse DoctorEndpoints::reports(const net::HttpRequest&) const {
  std::string body = "[";
  {
    std::lock_guard lock(reports_mu_);
    for (std::size_t i = 0; i < kept_.size(); ++i) body += (i ? "," : "") + kept_[i];
  }
  return net::HttpResponse{200, "application/json", body + "]", {}};
}

}  // namespace sb::server
