#include "aws/http.h"

#include "core/strings.h"

namespace drsnap::aws {

std::string HeaderValue(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (AsciiEqualsIgnoreCase(k, name)) return v;
  return "";
}

std::string HttpResponse::Header(std::string_view name) const { return HeaderValue(headers, name); }

}  // namespace drsnap::aws
