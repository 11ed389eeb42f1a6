// Options of the connectivity doctor (docs/doctor.md): the /doctor page, what GET /doctor/config hands
// out, and the optional report recording (POST /doctor/report, off by default).
#pragma once

#include <cstdint>
#include <sstream>

#include "server/options.hpp"

namespace sb::server {

struct DoctorConfig {
  bool disabled = false;                  // --no-doctor: no /doctor page, no /doctor/config
  std::uint32_t credential_ttl_s = 300;   // TURN credentials in /doctor/config: enough for one run
  double rate_limit = 12;                 // /doctor/config and /doctor/report requests per minute per source IP
  bool reports = false;                   // accept POST /doctor/report
  std::uint32_t report_max_bytes = 16384;  // largest report body
  std::uint32_t reports_kept = 200;       // newest reports kept in memory for /admin/doctor/reports
};

void register_doctor_options(OptionTable& t, DoctorConfig& c);
void validate_doctor(std::ostringstream& errs, const DoctorConfig& c);

}  // namespace sb::server
