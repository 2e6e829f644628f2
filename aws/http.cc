#include "aws/http.h"

#include "core/strings.h"

namespace drsnap::aws {

std::string HeaderValue(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (AsciiEqualsIgnoreCase(k, name)) return v;
  return "";
}

std::string HttpResponse::Header(std::string_view name) const { return HeaderValue(headers, name); }

std::string FormatByteCount(size_t bytes) {
  constexpr size_t kMiB = size_t{1} << 20;
  if (bytes >= kMiB && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes >= 1024 && bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace drsnap::aws
