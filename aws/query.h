// Builds AWS Query protocol parameters exactly as botocore's QuerySerializer
// does: nested names joined with '.', lists as <Name>.<MemberLocationName>.N
// (1-based; an empty list is sent as "<Name>=" with an empty value), booleans
// "true"/"false", integers in decimal, timestamps ISO 8601 in UTC
// ("2026-11-23T04:10:00Z", or with 6 fractional digits when sub-second).
//
// Unset optional members (empty strings, nullopt) are omitted: callers pass
// what the user set. The ServiceClient adds Action and Version.
//
// Thread safety: a QueryBuilder is a plain value; not for concurrent mutation.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/client.h"
#include "core/clock.h"

namespace drsnap::aws {

// "2026-11-23T04:10:00Z", or "2026-11-23T04:10:00.123456Z" when t has a
// sub-second part (botocore's _timestamp_iso8601).
std::string QueryTimestamp(TimePoint t);

class QueryBuilder {
 public:
  QueryBuilder() = default;

  // Always adds name=value, even when value is empty.
  QueryBuilder& Add(std::string_view name, std::string_view value);
  // Adds name=value when value is non-empty.
  QueryBuilder& AddIfSet(std::string_view name, std::string_view value);
  QueryBuilder& AddIfSet(std::string_view name, const std::string& value) {
    return AddIfSet(name, std::string_view(value));
  }
  QueryBuilder& AddIfSet(std::string_view name, std::optional<bool> value);
  QueryBuilder& AddIfSet(std::string_view name, std::optional<int> value);
  QueryBuilder& AddIfSet(std::string_view name, std::optional<long long> value);
  QueryBuilder& AddIfSet(std::string_view name, std::optional<TimePoint> value);
  // Avoids the implicit const char* -> bool conversion picking the bool overload.
  QueryBuilder& AddIfSet(std::string_view name, const char* value) {
    return AddIfSet(name, std::string_view(value));
  }

  // name.member_name.1=v1, name.member_name.2=v2, ... ; when `values` is
  // empty, adds nothing unless send_empty (then "name=" as botocore does for
  // an explicitly passed empty list).
  QueryBuilder& AddList(std::string_view name, std::string_view member_name,
                        const std::vector<std::string>& values, bool send_empty = false);

  // A list of structures: calls add_one(*this, "name.member_name.N", item)
  // for each item, which adds the item's members under that prefix.
  template <class T, class Fn>
  QueryBuilder& AddStructList(std::string_view name, std::string_view member_name,
                              const std::vector<T>& items, Fn&& add_one, bool send_empty = false) {
    if (items.empty()) {
      if (send_empty) Add(name, "");
      return *this;
    }
    for (size_t i = 0; i < items.size(); ++i) {
      add_one(*this, ListItemName(name, member_name, i + 1), items[i]);
    }
    return *this;
  }

  // "name.member_name.index".
  static std::string ListItemName(std::string_view name, std::string_view member_name,
                                  size_t index);

  const QueryParams& params() const { return params_; }
  QueryParams Take() && { return std::move(params_); }

 private:
  QueryParams params_;
};

// Looks up the first value of `name` in params; nullopt when absent.
std::optional<std::string> FindParam(const QueryParams& params, std::string_view name);

// Parses an application/x-www-form-urlencoded body ("a=1&b=x%20y") into
// ordered pairs ('+' decodes to a space). For tests and the simulator.
QueryParams ParseFormBody(std::string_view body);

}  // namespace drsnap::aws
