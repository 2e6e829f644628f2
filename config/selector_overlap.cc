#include "config/selector_overlap.h"

#include <vector>


namespace drsnap::config {
namespace {

bool SameChar(char a, char b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return lower(a) == lower(b);
}

}  // namespace

bool GlobsIntersect(std::string_view a, std::string_view b) {
  // Reachability over (position in a, position in b): both patterns read
  // one common string; a '*' may stay on its position or be left.
  const size_t n = a.size(), m = b.size();
  std::vector<char> seen((n + 1) * (m + 1), 0);
  std::vector<std::pair<size_t, size_t>> stack{{0, 0}};
  auto push = [&](size_t i, size_t j) {
    char& s = seen[i * (m + 1) + j];
    if (!s) {
      s = 1;
      stack.emplace_back(i, j);
    }
  };
  seen[0] = 1;
  while (!stack.empty()) {
    auto [i, j] = stack.back();
    stack.pop_back();
    if (i == n && j == m) return true;
    if (i < n && a[i] == '*') push(i + 1, j);
    if (j < m && b[j] == '*') push(i, j + 1);
    // Read one character both accept.
    if (i == n || j == m) continue;
    const bool star_a = a[i] == '*', star_b = b[j] == '*';
    const bool any_a = star_a || a[i] == '?', any_b = star_b || b[j] == '?';
    if (!any_a && !any_b && !SameChar(a[i], b[j])) continue;
    push(star_a ? i : i + 1, star_b ? j : j + 1);
  }
  return false;
}

bool GlobCovers(std::string_view outer, std::string_view inner) {
  // `inner` read as a pattern: its '*' only an outer '*' can absorb, its
  // '?' an outer '?' or '*', its literals an equal literal, '?' or '*'.
  const size_t n = outer.size(), m = inner.size();
  std::vector<char> ok((n + 1) * (m + 1), 0);  // ok[i][j]: outer[i:] covers inner[j:]
  auto at = [&](size_t i, size_t j) -> char& { return ok[i * (m + 1) + j]; };
  at(n, m) = 1;
  for (size_t i = n + 1; i-- > 0;) {
    for (size_t j = m + 1; j-- > 0;) {
      if (i == n && j == m) continue;
      bool v = false;
      if (i < n && outer[i] == '*') {
        v = at(i + 1, j) || (j < m && at(i, j + 1));  // absorb nothing, or inner[j] whatever it is
      } else if (i < n && j < m) {
        if (outer[i] == '?')
          v = inner[j] != '*' && at(i + 1, j + 1);
        else
          v = inner[j] != '*' && inner[j] != '?' && SameChar(outer[i], inner[j]) &&
              at(i + 1, j + 1);
      }
      at(i, j) = v;
    }
  }
  return at(0, 0);
}

std::string WhySelectorsOverlap(const DatabaseSelector& a, const DatabaseSelector& b) {
  if (!((a.instances && b.instances) || (a.clusters && b.clusters))) return "";
  // Tags: the same key required with two different values cannot both hold.
  for (const auto& [k, v] : a.tags)
    if (auto it = b.tags.find(k); it != b.tags.end() && v != "*" && it->second != "*" &&
                                  v != it->second)
      return "";
  auto any_pair = [](const std::vector<std::string>& x, const std::vector<std::string>& y) {
    if (x.empty() || y.empty()) return true;
    for (const auto& g : x)
      for (const auto& h : y)
        if (GlobsIntersect(g, h)) return true;
    return false;
  };
  if (!any_pair(a.engines, b.engines)) return "";
  // Names: some name glob of each intersects, and neither side's excludes
  // cover the other's glob.
  const std::vector<std::string> star{"*"};
  const auto& an = a.names.empty() ? star : a.names;
  const auto& bn = b.names.empty() ? star : b.names;
  auto covered = [](const std::string& g, const std::vector<std::string>& excludes) {
    for (const auto& e : excludes)
      if (GlobCovers(e, g)) return true;
    return false;
  };
  for (const auto& g : an) {
    for (const auto& h : bn) {
      if (!GlobsIntersect(g, h) || covered(h, a.exclude_names) || covered(g, b.exclude_names))
        continue;
      return "names '" + g + "' and '" + h + "' can match the same identifier";
    }
  }
  return "";
}

std::vector<std::string> PolicyOverlaps(const Config& config) {
  std::vector<std::string> out;
  const auto& ps = config.policies;
  for (size_t i = 0; i < ps.size(); ++i) {
    for (size_t j = i + 1; j < ps.size(); ++j) {
      const Policy& a = ps[i];
      const Policy& b = ps[j];
      if (a.source_account_id != b.source_account_id || a.source_region != b.source_region)
        continue;
      std::string why = WhySelectorsOverlap(a.databases, b.databases);
      if (why.empty()) continue;
      const Policy& later = a.where.line > b.where.line ? a : b;
      const Policy& earlier = &later == &a ? b : a;
      out.push_back(later.where.ToString() + ": policies '" + earlier.name + "' and '" +
                    later.name + "' can select the same database of " + a.source_account_id +
                    "/" + a.source_region + " (" + why +
                    "); a database is protected by one policy: make the selectors disjoint, e.g. "
                    "exclude_names in the broader one, or tags, engines or kinds");
    }
  }
  return out;
}

}  // namespace drsnap::config
