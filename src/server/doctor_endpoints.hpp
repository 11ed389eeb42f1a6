// The connectivity doctor's HTTP endpoints (docs/doctor.md), without sockets: requests in, responses out.
//
//   GET  /doctor/config         what this server offers, for one doctor run: its stun: URL (and an IPv6 one),
//                               the four RFC 5780 addresses when --stun-alt-address is set, the turn:/turns:
//                               URLs with TURN REST credentials valid for --doctor-credential-ttl seconds,
//                               whether the relay relays between its own allocations, the server's clock.
//   POST /doctor/report         a report (JSON), only with --doctor-reports: the verdict is recomputed from
//                               its facts by src/doctor, counted in /metrics and the report kept in memory.
//   GET  /admin/doctor/reports  the reports kept (admin access only; see HttpRoutes).
//
// Both public endpoints share a per-source-IP rate limit (--doctor-rate-limit per minute, burst 5; 429
// beyond). Thread-safe: routes run on every I/O thread.
#pragma once

#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "doctor/verdict.hpp"
#include "net/http_handler.hpp"
#include "server/config.hpp"
#include "server/service.hpp"
#include "signaling/protocol.hpp"
#include "util/clock.hpp"
#include "util/metrics.hpp"
#include "util/token_bucket.hpp"

namespace sb::server {

// Where the offer comes from. Filled while the services bind (before serving), read-only afterwards.
struct DoctorSources {
  // The iceServers of one doctor run: the stun: URL, and the turn:/turns: URLs with credentials valid for
  // --doctor-credential-ttl seconds (the TURN wiring installs a minter for that; without TURN it is the
  // server's ordinary iceServers). The one place doctor credentials are minted: access control (issue 11)
  // gates them here.
  std::function<std::vector<signaling::IceServer>(std::string_view run_id)> ice_servers;
  // Whether the relay carries data between two of its own allocations.
  std::function<bool()> relay_to_relay;
  // Whether the relay's peer policy lets an allocation send to this address (the doctor's own).
  std::function<bool(const util::IpAddress&)> relay_may_send_to;
  // Every endpoint bound, as printed in the `listening` lines (App::run fills it).
  std::vector<Service::Listening> listening;
  // This host's interface addresses, for advertising a wildcard IPv6 listener.
  std::vector<std::string> interface_addresses;
};

class DoctorEndpoints {
 public:
  // Registers the signalbox_doctor_* metrics in `metrics` (which must outlive this).
  DoctorEndpoints(const Config& config, std::shared_ptr<const DoctorSources> sources,
                  std::shared_ptr<const util::Clock> clock, metrics::Registry& metrics);

  net::HttpResponse config(const net::HttpRequest& request);
  net::HttpResponse report(const net::HttpRequest& request);
  net::HttpResponse reports(const net::HttpRequest& request) const;

 private:
  enum Rejection : std::size_t { rate_limited, too_large, malformed, disabled, kRejections };
  bool allow(const util::IpAddress& remote);
  net::HttpResponse reject(Rejection why, unsigned status, std::string message);
  nlohmann::json offer_json(const net::HttpRequest& request) const;

  const Config config_;
  std::shared_ptr<const DoctorSources> sources_;
  std::shared_ptr<const util::Clock> clock_;

  std::mutex limiter_mu_;
  util::KeyedBuckets limiter_;  // guarded by limiter_mu_: one bucket per (hashed) source IP

  mutable std::mutex reports_mu_;
  std::deque<std::string> kept_;  // guarded by reports_mu_: newest last, each a JSON object

  metrics::Counter& config_requests_;
  std::array<metrics::Counter*, std::size(doctor::kVerdictCodes)> verdicts_{};
  std::array<metrics::Counter*, kRejections> rejected_{};
};

}  // namespace sb::server
