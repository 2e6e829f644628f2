// Test helpers for Prometheus text (format 0.0.4): a checker of the
// exposition rules drsnap relies on, and the samples by series.
#pragma once

#include <map>
#include <string>

namespace drsnap::testing {

// "" when `text` is valid exposition text: every line is "# HELP name text",
// "# TYPE name gauge|counter" or a sample "name{label=\"value\",...} number";
// every sample's family has one TYPE line, before its samples, and at most
// one HELP; label names are identifiers and label values use only the
// escapes \\, \" and \n; no series appears twice. Else the first problem,
// with its line.
std::string PrometheusProblems(const std::string& text);

// Each sample's value, keyed by the series as written: "name" or
// "name{a=\"x\",b=\"y\"}". REQUIRES: PrometheusProblems(text) is "".
std::map<std::string, double> PrometheusSamples(const std::string& text);

}  // namespace drsnap::testing
