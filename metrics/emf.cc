#include "metrics/emf.h"

#include <nlohmann/json.hpp>

namespace drsnap::metrics {
namespace {

using nlohmann::json;

// "at-risk" -> "AtRisk", "ok" -> "Ok".
std::string Pascal(std::string_view words) {
  std::string out;
  bool upper = true;
  for (char c : words) {
    if (c == '-' || c == '_') {
      upper = true;
      continue;
    }
    out += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  return out;
}

json Directive(std::vector<std::string> dimensions, const std::vector<std::string>& metrics) {
  json m = json::array();
  for (const auto& name : metrics) m.push_back({{"Name", name}, {"Unit", "Count"}});
  return {{"Namespace", kEmfNamespace},
          {"Dimensions", json::array({std::move(dimensions)})},
          {"Metrics", std::move(m)}};
}

std::string Line(int64_t timestamp_ms, json directive, json values) {
  values["_aws"] = {{"Timestamp", timestamp_ms},
                    {"CloudWatchMetrics", json::array({std::move(directive)})}};
  return values.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::vector<std::string> EmfLines(const EmfInput& in) {
  const int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(in.timestamp.time_since_epoch())
          .count();
  std::vector<std::string> names;
  json values = {{"Side", in.side}};
  for (const auto& [state, n] : PairsByState(*in.status)) {
    names.push_back("Pairs" + Pascal(engine::RpoStateName(state)));
    values[names.back()] = n;
  }
  for (const auto& [severity, n] : FindingsBySeverity(in.findings)) {
    const char* word = severity == engine::Finding::Severity::kError     ? "Error"
                       : severity == engine::Finding::Severity::kWarning ? "Warning"
                                                                         : "Info";
    names.push_back(std::string("Findings") + word);
    values[names.back()] = n;
  }
  names.push_back("ActionFailures");
  values["ActionFailures"] = TotalFailures(in.failures);
  names.push_back("IncompleteScopes");
  values["IncompleteScopes"] = in.incomplete_scopes;
  names.push_back("ReconcileSuccess");
  values["ReconcileSuccess"] = in.success ? 1 : 0;

  std::vector<std::string> out;
  out.push_back(Line(ms, Directive({"Side"}, names), std::move(values)));
  for (const auto& [key, n] : in.failures)
    out.push_back(
        Line(ms, Directive({"Side", "Stage", "Code"}, {"ActionFailures"}),
             {{"Side", in.side}, {"Stage", key.stage}, {"Code", key.code}, {"ActionFailures", n}}));
  return out;
}

}  // namespace drsnap::metrics
