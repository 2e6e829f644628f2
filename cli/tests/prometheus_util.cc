#include "cli/tests/prometheus_util.h"

#include <cctype>
#include <cstdlib>
#include <set>
#include <sstream>

namespace drsnap::testing {
namespace {

bool IsName(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != ':') return false;
  return true;
}

// Parses `line` as a sample: its metric name, the series key, the value.
// "" on success, else what is wrong.
std::string ParseSample(const std::string& line, std::string& name, std::string& series,
                        double& value) {
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  name = line.substr(0, i);
  if (!IsName(name)) return "bad metric name '" + name + "'";
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      size_t eq = line.find('=', i);
      if (eq == std::string::npos) return "label without '='";
      if (!IsName(line.substr(i, eq - i))) return "bad label name";
      if (eq + 1 >= line.size() || line[eq + 1] != '"') return "label value not quoted";
      i = eq + 2;
      for (;; ++i) {
        if (i >= line.size()) return "unterminated label value";
        if (line[i] == '\\') {
          if (i + 1 >= line.size() ||
              (line[i + 1] != '\\' && line[i + 1] != '"' && line[i + 1] != 'n'))
            return "bad escape in a label value";
          ++i;
        } else if (line[i] == '"') {
          break;
        }
      }
      ++i;  // past the closing quote
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) return "unterminated label set";
    ++i;  // past '}'
  }
  series = line.substr(0, i);
  if (i >= line.size() || line[i] != ' ') return "no space before the value";
  std::string number = line.substr(i + 1);
  char* end = nullptr;
  value = std::strtod(number.c_str(), &end);
  if (number.empty() || end == nullptr || *end != '\0') return "bad value '" + number + "'";
  return "";
}

}  // namespace

std::string PrometheusProblems(const std::string& text) {
  if (!text.empty() && text.back() != '\n') return "the text does not end with a newline";
  std::set<std::string> typed, helped, seen;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      std::string rest = line.substr(7);
      std::string name = rest.substr(0, rest.find(' '));
      if (!IsName(name)) return "bad family name: " + line;
      if (line[2] == 'H') {
        if (!helped.insert(name).second) return "second HELP: " + line;
      } else {
        std::string type = rest.size() > name.size() ? rest.substr(name.size() + 1) : "";
        if (type != "gauge" && type != "counter") return "unknown type: " + line;
        if (!typed.insert(name).second) return "second TYPE: " + line;
      }
      continue;
    }
    if (line.empty() || line[0] == '#') return "unexpected line: '" + line + "'";
    std::string name, series;
    double value = 0;
    if (std::string why = ParseSample(line, name, series, value); !why.empty())
      return why + ": " + line;
    if (!typed.contains(name)) return "sample before its TYPE line: " + line;
    if (!seen.insert(series).second) return "series twice: " + line;
  }
  return "";
}

std::map<std::string, double> PrometheusSamples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::string name, series;
    double value = 0;
    if (ParseSample(line, name, series, value).empty()) out[series] = value;
  }
  return out;
}

}  // namespace drsnap::testing
