#include "server/doctor_config.hpp"

namespace sb::server {

void register_doctor_options(OptionTable& t, DoctorConfig& c) {
  t.section("Connectivity doctor");
  t.add("no-doctor", &c.disabled, "do not serve the connectivity doctor (/doctor and /doctor/config)");
  t.add("doctor-credential-ttl", &c.credential_ttl_s,
        "seconds the TURN credentials handed out by /doctor/config stay valid (30..3600)");
  t.add("doctor-rate-limit", &c.rate_limit,
        "/doctor/config and /doctor/report requests per minute per source IP (burst: 5); more get 429");
  t.add("doctor-reports", &c.reports,
        "accept doctor reports (POST /doctor/report), count their verdicts and keep the newest for /admin/doctor/reports");
  t.add("doctor-report-max-bytes", &c.report_max_bytes, "largest doctor report accepted (1024..1048576)");
  t.add("doctor-reports-kept", &c.reports_kept, "doctor reports kept in memory for /admin/doctor/reports (0..10000)");
}

void validate_doctor(std::ostringstream& errs, const DoctorConfig& c) {
  if (c.credential_ttl_s < 30 || c.credential_ttl_s > 3600) errs << "--doctor-credential-ttl must be 30 to 3600\n";
  if (!(c.rate_limit > 0)) errs << "--doctor-rate-limit must be greater than 0\n";
  if (c.report_max_bytes < 1024 || c.report_max_bytes > 1024 * 1024) {
    errs << "--doctor-report-max-bytes must be 1024 to 1048576\n";
  }
  if (c.reports_kept > 10000) errs << "--doctor-reports-kept must be at most 10000\n";
}

}  // namespace sb::server
