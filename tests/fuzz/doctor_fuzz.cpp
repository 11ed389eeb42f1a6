// libFuzzer target for what POST /doctor/report does with untrusted bytes: JSON, then the report reader
// (src/doctor/report.cpp), the verdict and the short text. Bad input may only ever be refused with
// std::invalid_argument; whatever is accepted must survive the verdict and write back to the same JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include <nlohmann/json.hpp>

#include "doctor/report.hpp"
#include "doctor/verdict.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto j = nlohmann::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), nullptr, false);
  if (j.is_discarded()) return 0;
  sb::doctor::Report r;
  try {
    r = sb::doctor::report_from_json(j);
  } catch (const std::invalid_argument&) {
    return 0;  // refused with the field named: the only allowed failure
  }
  r.verdict = sb::doctor::decide(r.facts);
  static_cast<void>(sb::doctor::short_text(r));
  const auto written = sb::doctor::to_json(r.facts);
  if (sb::doctor::to_json(sb::doctor::facts_from_json(written)) != written) std::abort();
  return 0;
}
