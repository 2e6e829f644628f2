#include "core/time_util.h"

#include <cctype>
#include <charconv>
#include <cstdio>

namespace drsnap {
namespace {

using namespace std::chrono;

struct Civil {
  int year, month, day, hour, minute, second, millis;
};

Civil ToCivil(TimePoint t) {
  auto ms = time_point_cast<milliseconds>(t);
  auto days = floor<std::chrono::days>(ms);
  year_month_day ymd{days};
  auto rest = ms - days;
  auto h = duration_cast<hours>(rest);
  rest -= h;
  auto m = duration_cast<minutes>(rest);
  rest -= m;
  auto s = duration_cast<seconds>(rest);
  rest -= s;
  return Civil{int(ymd.year()),     int(unsigned(ymd.month())), int(unsigned(ymd.day())),
               int(h.count()),      int(m.count()),            int(s.count()),
               int(duration_cast<milliseconds>(rest).count())};
}

bool ReadInt(std::string_view s, size_t pos, size_t len, int& out) {
  if (pos + len > s.size()) return false;
  for (size_t i = pos; i < pos + len; ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  auto r = std::from_chars(s.data() + pos, s.data() + pos + len, out);
  return r.ec == std::errc();
}

std::optional<TimePoint> FromCivil(int y, int mo, int d, int h, int mi, int s, int ms) {
  year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  return TimePoint(sys_days(ymd).time_since_epoch() + hours(h) + minutes(mi) + seconds(s) +
                   milliseconds(ms));
}

}  // namespace

std::string FormatIso8601(TimePoint t) {
  Civil c = ToCivil(t);
  char buf[64];  // room for any int: g++ -O2 checks format-truncation
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", c.year, c.month, c.day,
                c.hour, c.minute, c.second, c.millis);
  return buf;
}

std::string FormatIso8601Seconds(TimePoint t) {
  Civil c = ToCivil(t);
  char buf[64];  // room for any int: g++ -O2 checks format-truncation
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return buf;
}

std::optional<TimePoint> ParseIso8601(std::string_view s) {
  int y, mo, d, h, mi, sec, ms = 0;
  if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':')
    return std::nullopt;
  if (!ReadInt(s, 0, 4, y) || !ReadInt(s, 5, 2, mo) || !ReadInt(s, 8, 2, d) ||
      !ReadInt(s, 11, 2, h) || !ReadInt(s, 14, 2, mi) || !ReadInt(s, 17, 2, sec))
    return std::nullopt;
  size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    size_t start = ++pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
    if (pos == start) return std::nullopt;
    std::string frac(s.substr(start, std::min<size_t>(3, pos - start)));
    while (frac.size() < 3) frac += '0';
    ms = std::stoi(frac);
  }
  std::string_view zone = s.substr(pos);
  if (!(zone == "Z" || zone == "z" || zone.empty() || zone == "+00:00" || zone == "+0000"))
    return std::nullopt;
  return FromCivil(y, mo, d, h, mi, sec, ms);
}

std::string FormatAmzDate(TimePoint t) {
  Civil c = ToCivil(t);
  char buf[64];  // room for any int: g++ -O2 checks format-truncation
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02d%02dZ", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return buf;
}

std::optional<TimePoint> ParseAmzDate(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  if (!ReadInt(s, 0, 4, y) || !ReadInt(s, 4, 2, mo) || !ReadInt(s, 6, 2, d) ||
      !ReadInt(s, 9, 2, h) || !ReadInt(s, 11, 2, mi) || !ReadInt(s, 13, 2, sec))
    return std::nullopt;
  return FromCivil(y, mo, d, h, mi, sec, 0);
}

std::string FormatDateStamp(TimePoint t) { return FormatAmzDate(t).substr(0, 8); }

std::optional<std::chrono::seconds> ParseDuration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::chrono::seconds total{0};
  size_t pos = 0;
  while (pos < s.size()) {
    size_t start = pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
    if (pos == start || pos == s.size() || pos - start > 9) return std::nullopt;
    long long n = std::stoll(std::string(s.substr(start, pos - start)));
    switch (s[pos]) {
      case 's': total += seconds(n); break;
      case 'm': total += minutes(n); break;
      case 'h': total += hours(n); break;
      case 'd': total += days(n); break;
      case 'w': total += weeks(n); break;
      default: return std::nullopt;
    }
    ++pos;
  }
  return total;
}

std::string FormatDuration(std::chrono::seconds d) {
  if (d.count() == 0) return "0s";
  std::string out;
  if (d.count() < 0) {
    out = "-";
    d = -d;
  }
  auto dd = duration_cast<days>(d);
  d -= dd;
  auto hh = duration_cast<hours>(d);
  d -= hh;
  auto mm = duration_cast<minutes>(d);
  d -= mm;
  if (dd.count()) out += std::to_string(dd.count()) + "d";
  if (hh.count()) out += std::to_string(hh.count()) + "h";
  if (mm.count()) out += std::to_string(mm.count()) + "m";
  if (d.count()) out += std::to_string(d.count()) + "s";
  return out;
}

}  // namespace drsnap
