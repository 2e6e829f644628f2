#include "aws/query.h"

#include <cstdio>

#include "aws/encoding.h"
#include "core/time_util.h"

namespace drsnap::aws {

std::string QueryTimestamp(TimePoint t) {
  using namespace std::chrono;
  auto secs = floor<seconds>(t);
  auto micros = duration_cast<microseconds>(t - secs).count();
  std::string base = FormatIso8601Seconds(secs);  // "...:SSZ"
  if (micros == 0) return base;
  char frac[32];
  std::snprintf(frac, sizeof frac, ".%06lldZ", static_cast<long long>(micros));
  base.pop_back();  // 'Z'
  return base + frac;
}

QueryBuilder& QueryBuilder::Add(std::string_view name, std::string_view value) {
  params_.emplace_back(std::string(name), std::string(value));
  return *this;
}

QueryBuilder& QueryBuilder::AddIfSet(std::string_view name, std::string_view value) {
  if (!value.empty()) Add(name, value);
  return *this;
}

QueryBuilder& QueryBuilder::AddIfSet(std::string_view name, std::optional<bool> value) {
  if (value) Add(name, *value ? "true" : "false");
  return *this;
}

QueryBuilder& QueryBuilder::AddIfSet(std::string_view name, std::optional<int> value) {
  if (value) Add(name, std::to_string(*value));
  return *this;
}

QueryBuilder& QueryBuilder::AddIfSet(std::string_view name, std::optional<long long> value) {
  if (value) Add(name, std::to_string(*value));
  return *this;
}

QueryBuilder& QueryBuilder::AddIfSet(std::string_view name, std::optional<TimePoint> value) {
  if (value) Add(name, QueryTimestamp(*value));
  return *this;
}

QueryBuilder& QueryBuilder::AddList(std::string_view name, std::string_view member_name,
                                    const std::vector<std::string>& values, bool send_empty) {
  if (values.empty()) {
    if (send_empty) Add(name, "");
    return *this;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    Add(ListItemName(name, member_name, i + 1), values[i]);
  }
  return *this;
}

std::string QueryBuilder::ListItemName(std::string_view name, std::string_view member_name,
                                       size_t index) {
  std::string out;
  out.reserve(name.size() + member_name.size() + 8);
  out.append(name).append(".").append(member_name).append(".").append(std::to_string(index));
  return out;
}

std::optional<std::string> FindParam(const QueryParams& params, std::string_view name) {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return std::nullopt;
}

QueryParams ParseFormBody(std::string_view body) {
  QueryParams out;
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    out.emplace_back(UriDecode(key, /*plus_as_space=*/true),
                     UriDecode(value, /*plus_as_space=*/true));
  }
  return out;
}

}  // namespace drsnap::aws
