#include "client/doctor.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "client/doctor_checks.hpp"
#include "client/doctor_http.hpp"
#include "client/doctor_media.hpp"
#include "doctor/verdict.hpp"

namespace sb::client {
namespace {

namespace asio = boost::asio;
using doctor::Clock;

std::string iso_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// GET /doctor/config; the server's clock offset is read against the middle of the request.
std::optional<doctor::Offer> fetch_offer(doctor::Env& env, sb::doctor::Facts& f) {
  const std::int64_t before = unix_ms();
  const auto r = doctor::http_request(env.io, env.options.server_url, !env.options.insecure, "GET", "/doctor/config",
                                      "", std::chrono::seconds(5));
  const std::int64_t after = unix_ms();
  std::string why = r.error;
  std::optional<doctor::Offer> offer;
  if (r.status == 200) offer = doctor::parse_offer(r.body, why);
  else if (r.status != 0) why = "GET /doctor/config answered " + std::to_string(r.status);
  if (!offer) {
    spdlog::warn("doctor: no offer from the server ({}): STUN, TURN and NAT checks cannot run", why);
    return std::nullopt;
  }
  if (offer->server_time_ms > 0) f.signaling.clock_offset_ms = double(offer->server_time_ms - (before + after) / 2);
  f.server.stun = !offer->stun.empty();
  f.server.rfc5780 = offer->rfc5780.size() == 4;
  f.server.relay_to_relay = offer->relay_to_relay;
  f.server.relay_to_device = offer->relay_to_device;
  return offer;
}

void run_checks(doctor::Env& env, const doctor::Offer& offer, sb::doctor::Facts& f) {
  using K = doctor::StunLink::Kind;
  spdlog::info("doctor: STUN over UDP");
  f.stun = doctor::check_stun(env, offer);
  spdlog::info("doctor: NAT behaviour (RFC 5780)");
  f.nat = doctor::check_nat(env, offer);
  if (f.nat.status == sb::doctor::Status::unknown && f.stun.status == sb::doctor::Status::fail) {
    f.nat.detail = "STUN over UDP got no answer";
  }
  spdlog::info("doctor: TURN over UDP, TCP and TLS");
  f.turn_udp = doctor::check_turn(env, offer, K::udp);
  f.turn_tcp = doctor::check_turn(env, offer, K::tcp);
  f.turn_tls = doctor::check_turn(env, offer, K::tls);
  spdlog::info("doctor: IPv6");
  f.ipv6 = doctor::check_ipv6(env, offer);
  spdlog::info("doctor: data through the relay");
  f.media = doctor::check_media(env, offer, f);
}

void send_report(doctor::Env& env, const std::string& body) {
  const auto r = doctor::http_request(env.io, env.options.server_url, !env.options.insecure, "POST",
                                      "/doctor/report", body, std::chrono::seconds(5));
  if (r.status == 201) {
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    spdlog::info("doctor: report sent to the server's operator (id {})", j.is_object() ? j.value("id", "?") : "?");
  } else {
    spdlog::warn("doctor: the server did not take the report ({})", r.status ? std::to_string(r.status) : r.error);
  }
}

}  // namespace

ExitCode run_doctor(const ClientOptions& options) {
  asio::io_context io;
  auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  tls->set_default_verify_paths();
  tls->set_verify_mode(options.insecure ? asio::ssl::verify_none : asio::ssl::verify_peer);
  doctor::Env env{io, options, tls};
  sb::doctor::Report report;
  report.started_at = iso_now();
  const auto t0 = Clock::now();
  auto& f = report.facts;
  // libnice 0.1.21 (under webrtcbin) has no TURN over TLS: this client cannot use turns: in a call.
  f.client = {"native", "signalbox-client", false};
  f.server.url = options.server;
  spdlog::info("doctor: signaling WebSocket {}", options.server);
  f.signaling = doctor::check_signaling(env);
  const auto offer = fetch_offer(env, f);
  if (offer) run_checks(env, *offer, f);
  report.verdict = sb::doctor::decide(f);
  report.duration_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  const std::string json = sb::doctor::to_json(report).dump();
  const std::string out = options.doctor_json ? json + "\n" : sb::doctor::short_text(report);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  if (offer && offer->reports && !options.doctor_no_send) send_report(env, json);
  return report.verdict.severity == sb::doctor::Severity::bad ? ExitCode::doctor_problem : ExitCode::ok;
}

}  // namespace sb::client
