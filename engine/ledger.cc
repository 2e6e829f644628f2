#include "engine/ledger.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <tuple>

#include "core/time_util.h"
#include "engine/executor.h"

namespace drsnap::engine {

namespace {

constexpr size_t kMaxTagKey = 128;
constexpr size_t kMaxTagValue = 256;

// AWS's tag characters: letters, digits, white space and _ . : / = + - @.
std::string TagSafe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) continue;
    bool ok = std::isalnum(u) || c == ' ' || c == '_' || c == '.' || c == ':' || c == '/' ||
              c == '=' || c == '+' || c == '-' || c == '@';
    out.push_back(ok ? c : ' ');
  }
  return out;
}

std::string Hex64(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace

const Refusal* Ledger::Find(std::string_view action) const {
  // Entries are named as their tag keys say (a long key ends in a hash).
  const std::string named = RefusalTagKey(action).substr(kRefusalTagPrefix.size());
  auto it = std::ranges::lower_bound(refusals, named, std::less<>(), &Refusal::action);
  return it != refusals.end() && it->action == named ? &*it : nullptr;
}

std::string RefusalKey(const Action& a) {
  switch (a.kind) {
    case ActionKind::kCreateSnapshot:
      return "create:" + std::string(a.snapshot_id.str());
    case ActionKind::kCopySnapshot:
      return "copy:" + std::string(a.snapshot_id.str());
    case ActionKind::kShareSnapshot:
      return "share:" + std::string(a.snapshot_id.str());
    case ActionKind::kDeleteSnapshot:
      return "";
  }
  return "";
}

std::string RefusalTagKey(std::string_view action) {
  std::string key = std::string(kRefusalTagPrefix) + TagSafe(action);
  if (key.size() <= kMaxTagKey) return key;
  // Keep it unique: a cut prefix and a hash of the whole.
  return key.substr(0, kMaxTagKey - 17) + "-" + Hex64(action);
}

std::pair<std::string, std::string> EncodeRefusal(const Refusal& r) {
  std::string value = std::to_string(r.count) + " " + FormatIso8601Seconds(r.first) + " " +
                      FormatIso8601Seconds(r.last) + " " + TagSafe(r.code) + " " +
                      TagSafe(r.message);
  if (value.size() > kMaxTagValue) value.resize(kMaxTagValue);
  while (!value.empty() && value.back() == ' ') value.pop_back();
  return {RefusalTagKey(r.action), std::move(value)};
}

Ledger DecodeLedger(const Tags& tags, TimePoint now) {
  const TimePoint latest = now + kLedgerClockSkew;
  Ledger ledger;
  for (const auto& [key, value] : tags) {
    if (key == kOneStepRefusedTag) {
      if (auto t = ParseIso8601(value); t && *t <= latest) ledger.one_step_copy_refused = *t;
      continue;
    }
    if (!std::string_view(key).starts_with(kRefusalTagPrefix)) continue;
    // "<count> <first> <last> <code> <message...>"
    std::vector<std::string_view> parts;
    std::string_view rest = value;
    for (int i = 0; i < 4; ++i) {
      size_t sp = rest.find(' ');
      parts.push_back(rest.substr(0, sp));
      rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
    }
    Refusal r;
    r.action = key.substr(kRefusalTagPrefix.size());
    try {
      r.count = std::stoi(std::string(parts[0]));
    } catch (...) {
      continue;
    }
    auto first = ParseIso8601(parts[1]);
    auto last = ParseIso8601(parts[2]);
    if (r.count < 1 || !first || !last || parts[3].empty()) continue;
    if (*first > *last || *last > latest) continue;
    r.first = *first;
    r.last = *last;
    r.code = std::string(parts[3]);
    r.message = std::string(rest);
    ledger.refusals.push_back(std::move(r));
  }
  std::ranges::sort(ledger.refusals, {}, &Refusal::action);
  return ledger;
}

Refusal NextRefusal(const Refusal* prior, std::string action, const Error& error,
                    TimePoint now) {
  Refusal r;
  r.action = std::move(action);
  r.count = prior ? prior->count + 1 : 1;
  r.first = prior ? prior->first : now;
  r.last = now;
  r.code = error.code;
  r.message = error.message;
  return r;
}

TimePoint RetryAfter(const Refusal& r) {
  Duration backoff = std::chrono::minutes(30);
  const Duration cap = std::chrono::hours(24);
  for (int i = 1; i < r.count && backoff < cap; ++i) backoff *= 2;
  return r.last + std::min(backoff, cap);
}

std::vector<std::string> KeysToEvict(const Ledger& ledger, std::string_view adding) {
  std::vector<const Refusal*> others;
  const std::string named = RefusalTagKey(adding).substr(kRefusalTagPrefix.size());
  for (const auto& r : ledger.refusals)
    if (r.action != named) others.push_back(&r);
  std::vector<std::string> out;
  if (static_cast<int>(others.size()) < kMaxRefusals) return out;
  std::ranges::sort(others, [](const Refusal* a, const Refusal* b) {
    return std::tie(a->last, a->action) < std::tie(b->last, b->action);
  });
  for (size_t i = 0; i + kMaxRefusals <= others.size(); ++i)
    out.push_back(std::string(kRefusalTagPrefix) + others[i]->action);
  return out;
}

bool IsPermanentRefusal(const Error& e) {
  if (e.retryable() || IsAlreadyExists(e) || IsNotFound(e)) return false;
  if (e.code == "DeleteRefused" || e.code == "RefusedBySafetyRule" || e.code == "NotSupported")
    return false;
  return !e.code.empty();
}

std::string DescribeRefusal(const Refusal& r) {
  std::string what = r.action;
  if (size_t colon = what.find(':'); colon != std::string::npos) what[colon] = ' ';
  return "AWS refused " + what + " " + std::to_string(r.count) +
         (r.count == 1 ? " time" : " times") + " since " + FormatIso8601Seconds(r.first) + " (" +
         r.code + (r.message.empty() ? "" : ": " + r.message) + ")";
}

}  // namespace drsnap::engine
