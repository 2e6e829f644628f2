#include "testing/emf_check.h"

#include <set>

namespace drsnap::testing {

std::string EmfProblems(const nlohmann::json& j) {
  if (!j.is_object()) return "not a JSON object";
  if (!j.contains("_aws") || !j["_aws"].is_object()) return "no _aws object";
  const auto& aws = j["_aws"];
  if (!aws.contains("Timestamp") || !aws["Timestamp"].is_number_integer())
    return "_aws.Timestamp is not an integer";
  if (!aws.contains("CloudWatchMetrics") || !aws["CloudWatchMetrics"].is_array() ||
      aws["CloudWatchMetrics"].empty())
    return "_aws.CloudWatchMetrics is not a non-empty array";
  static const std::set<std::string> kUnits = {
      "Seconds",   "Microseconds", "Milliseconds", "Bytes", "Kilobytes",
      "Megabytes", "Count",        "Percent",      "None",  "Count/Second"};
  for (const auto& d : aws["CloudWatchMetrics"]) {
    if (!d.is_object()) return "a directive is not an object";
    if (!d.contains("Namespace") || !d["Namespace"].is_string() ||
        d["Namespace"].get<std::string>().empty())
      return "a directive has no Namespace";
    if (!d.contains("Dimensions") || !d["Dimensions"].is_array())
      return "a directive has no Dimensions array";
    for (const auto& set : d["Dimensions"]) {
      if (!set.is_array() || set.size() > 30) return "a dimension set is not an array of <= 30";
      for (const auto& name : set) {
        if (!name.is_string()) return "a dimension name is not a string";
        const std::string n = name.get<std::string>();
        if (!j.contains(n) || !j[n].is_string()) return "dimension " + n + " is no string member";
      }
    }
    if (!d.contains("Metrics") || !d["Metrics"].is_array() || d["Metrics"].empty() ||
        d["Metrics"].size() > 100)
      return "a directive has no Metrics array of 1 to 100";
    for (const auto& m : d["Metrics"]) {
      if (!m.is_object() || !m.contains("Name") || !m["Name"].is_string())
        return "a metric has no Name";
      const std::string n = m["Name"].get<std::string>();
      if (!j.contains(n) || !j[n].is_number()) return "metric " + n + " is no number member";
      if (m.contains("Unit") && (!m["Unit"].is_string() || !kUnits.contains(m["Unit"])))
        return "metric " + n + " has an unknown Unit";
    }
  }
  return "";
}

}  // namespace drsnap::testing
