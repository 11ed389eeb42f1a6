// JSON and Prometheus-text helpers for integration tests.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace sb::itest {

using nlohmann::json;

// The `type` field of a message, or "" when absent or not a string.
std::string type_of(const json& message);
// A string field, or "" when absent or not a string.
std::string str_field(const json& message, std::string_view key);

// Prometheus text exposition format: one entry per sample line, keyed by the series exactly as written
// (`name{label="v",...}`), comments skipped. Lines that do not parse are skipped too.
using Metrics = std::map<std::string, double>;
Metrics parse_prometheus(std::string_view text);

// The value of series `name` whose labels include every `label="value"` in `labels` (e.g. {"type","offer"});
// summed over all matching series; nullopt when no series matches.
std::optional<double> metric(const Metrics& m, std::string_view name,
                             const std::map<std::string, std::string>& labels = {});

}  // namespace sb::itest
