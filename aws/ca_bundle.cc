#include "aws/ca_bundle.h"

#include <unistd.h>

namespace drsnap::aws {

const std::vector<std::string>& WellKnownCaBundlePaths() {
  static const std::vector<std::string> paths = {
      "/etc/ssl/certs/ca-certificates.crt",                 // Debian, Ubuntu
      "/etc/pki/tls/certs/ca-bundle.crt",                   // Amazon Linux, RHEL
      "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  // Amazon Linux 2023, Fedora
      "/etc/ssl/cert.pem",                                  // Alpine, macOS
  };
  return paths;
}

Result<CaLocation> DiscoverCaBundle(const Environment& env,
                                    const std::function<bool(const std::string&)>& exists) {
  auto present = [&](const std::string& path) {
    if (exists) return exists(path);
    return ::access(path.c_str(), R_OK) == 0;
  };
  CaLocation loc;
  if (auto dir = env.GetNonEmpty("SSL_CERT_DIR")) {
    if (!present(*dir)) {
      return Fail(
          Error::Terminal("CaBundleNotFound", "SSL_CERT_DIR is set to '" + *dir +
                                                  "', which does not exist or is not readable")
              .With("finding CA certificates for TLS"));
    }
    loc.dir = *dir;
  }
  if (auto file = env.GetNonEmpty("SSL_CERT_FILE")) {
    if (!present(*file)) {
      return Fail(
          Error::Terminal("CaBundleNotFound", "SSL_CERT_FILE is set to '" + *file +
                                                  "', which does not exist or is not readable")
              .With("finding CA certificates for TLS"));
    }
    loc.file = *file;
    return loc;
  }
  for (const auto& path : WellKnownCaBundlePaths()) {
    if (present(path)) {
      loc.file = path;
      return loc;
    }
  }
  if (!loc.dir.empty()) return loc;
  std::string tried;
  for (const auto& path : WellKnownCaBundlePaths()) tried += (tried.empty() ? "" : ", ") + path;
  Error e = Error::Terminal("CaBundleNotFound",
                            "no CA certificate bundle found (tried SSL_CERT_FILE, " + tried + ")");
  e.hint = "install the ca-certificates package or set SSL_CERT_FILE to a PEM bundle";
  return Fail(std::move(e).With("finding CA certificates for TLS"));
}

}  // namespace drsnap::aws
