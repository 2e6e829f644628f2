// A checker of CloudWatch Embedded Metric Format lines for the tests of the
// Lambda handler's metrics (metrics/emf.h) and of the metrics library: the
// structure CloudWatch Logs requires before it extracts a metric.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace drsnap::testing {

// "" when `line` is a valid EMF document: an object with "_aws" holding an
// integer "Timestamp" (ms) and a non-empty "CloudWatchMetrics" array of
// directives, each with a non-empty "Namespace", "Dimensions" (an array of
// at most 30 dimension names per set, each a string member of the root) and
// "Metrics" (1 to 100 objects, each a "Name" that is a number member of the
// root and, when present, a known "Unit"). Else the first problem.
std::string EmfProblems(const nlohmann::json& line);

}  // namespace drsnap::testing
