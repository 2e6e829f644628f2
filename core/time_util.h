// Time formats AWS uses, in UTC.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace drsnap {

// "2026-11-23T04:10:00.000Z" (the shape RDS returns in XML).
std::string FormatIso8601(TimePoint t);
// "2026-11-23T04:10:00Z" (seconds only).
std::string FormatIso8601Seconds(TimePoint t);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fff][Z|+00:00]"; nullopt when malformed.
std::optional<TimePoint> ParseIso8601(std::string_view s);
// "20261123T041000Z" (SigV4 X-Amz-Date).
std::string FormatAmzDate(TimePoint t);
std::optional<TimePoint> ParseAmzDate(std::string_view s);
// "20261123" (SigV4 credential scope date).
std::string FormatDateStamp(TimePoint t);
// "1h", "30m", "24h", "7d", "90s", "1h30m" -> duration; nullopt when malformed.
std::optional<std::chrono::seconds> ParseDuration(std::string_view s);
// Inverse of ParseDuration, largest units first ("1d2h", "45m", "0s").
std::string FormatDuration(std::chrono::seconds d);

}  // namespace drsnap
