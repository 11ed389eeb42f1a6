#include "common/json_util.hpp"

#include <cstdlib>

namespace sb::itest {

std::string type_of(const json& message) { return str_field(message, "type"); }

std::string str_field(const json& message, std::string_view key) {
  if (!message.is_object()) return "";
  auto it = message.find(key);
  if (it == message.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

Metrics parse_prometheus(std::string_view text) {
  Metrics out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (line.empty() || line.front() == '#') continue;
    // The value follows the series after the closing brace (labels may contain spaces) or the first space.
    auto brace = line.find('}');
    auto space = line.find(' ', brace == std::string_view::npos ? 0 : brace);
    if (space == std::string_view::npos) continue;
    std::string value(line.substr(space + 1));
    char* end = nullptr;
    double v = std::strtod(value.c_str(), &end);
    if (end == value.c_str()) continue;
    out[std::string(line.substr(0, space))] = v;
  }
  return out;
}

namespace {

bool has_label(std::string_view series, const std::string& key, const std::string& value) {
  std::string needle = key + "=\"" + value + "\"";
  auto pos = series.find(needle);
  if (pos == std::string_view::npos) return false;
  char before = pos == 0 ? '\0' : series[pos - 1];
  return before == '{' || before == ',';
}

}  // namespace

std::optional<double> metric(const Metrics& m, std::string_view name,
                             const std::map<std::string, std::string>& labels) {
  std::optional<double> sum;
  for (const auto& [series, value] : m) {
    std::string_view s(series);
    std::string_view base = s.substr(0, s.find('{'));
    if (base != name) continue;
    bool all = true;
    for (const auto& [k, v] : labels) all = all && has_label(s, k, v);
    if (!all) continue;
    sum = sum.value_or(0) + value;
  }
  return sum;
}

}  // namespace sb::itest
