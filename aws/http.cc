#include "aws/http.h"

#include <strings.h>

namespace drsnap::aws {

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && ::strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return "";
}

}  // namespace drsnap::aws
