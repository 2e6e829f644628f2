// Finding the trusted CA certificates for TLS verification, the way OpenSSL
// users expect on Debian and on Amazon Linux (the Lambda runtime).
//
// Thread safety: pure functions.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/env.h"
#include "core/error.h"

namespace drsnap::aws {

struct CaLocation {
  std::string file;  // a PEM bundle (CURLOPT_CAINFO); may be empty when dir is set
  std::string dir;   // a hashed certificate directory (CURLOPT_CAPATH); may be empty
};

// The bundle files tried after SSL_CERT_FILE, in order.
const std::vector<std::string>& WellKnownCaBundlePaths();

// Finds the CA location: SSL_CERT_FILE (must exist when set), then the first
// existing well-known bundle, plus SSL_CERT_DIR when set. Fails (kTerminal,
// code "CaBundleNotFound") when neither a file nor a directory is found.
// `exists` answers whether a path is a readable file or directory; null: the
// real file system.
Result<CaLocation> DiscoverCaBundle(const Environment& env,
                                    const std::function<bool(const std::string&)>& exists = {});

}  // namespace drsnap::aws
