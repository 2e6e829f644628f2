#include "aws/encoding.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>

namespace drsnap::aws {
namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr char kHexLower[] = "0123456789abcdef";

constexpr bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

constexpr std::array<bool, 256> kUnreservedTable = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c)
    t[static_cast<size_t>(c)] = IsUnreserved(static_cast<unsigned char>(c));
  return t;
}();

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// OpenSSL 3 re-resolves the algorithm on every EVP_sha256()/HMAC() call
// ("implicit fetch"), which costs more than hashing a small request. Fetch
// SHA-256 once (EVP_MD is immutable and shareable between threads) and keep
// one digest context per thread.
const EVP_MD* Sha256Md() {
  static const EVP_MD* const md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return md;
}

class ThreadDigestContext {
 public:
  ThreadDigestContext() : ctx_(EVP_MD_CTX_new()) {}
  ~ThreadDigestContext() { EVP_MD_CTX_free(ctx_); }
  ThreadDigestContext(const ThreadDigestContext&) = delete;
  ThreadDigestContext& operator=(const ThreadDigestContext&) = delete;
  EVP_MD_CTX* get() const { return ctx_; }

 private:
  EVP_MD_CTX* ctx_;
};

constexpr size_t kSha256Size = 32;
constexpr size_t kSha256BlockSize = 64;

// SHA-256 of the concatenation of parts into out[32].
void Sha256Raw(std::initializer_list<std::string_view> parts, unsigned char* out) {
  thread_local ThreadDigestContext tctx;
  EVP_MD_CTX* ctx = tctx.get();
  EVP_DigestInit_ex(ctx, Sha256Md(), nullptr);
  for (std::string_view p : parts) EVP_DigestUpdate(ctx, p.data(), p.size());
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, out, &len);
}

std::string_view AsView(const unsigned char* p, size_t n) {
  return std::string_view(reinterpret_cast<const char*>(p), n);
}

}  // namespace

// Appends s with every byte outside keep[] written as %XX (and, when
// space_as_plus, ' ' as '+'). Encodes into a stack buffer and appends in
// chunks: per-byte push_back was the top of the signing profile. Plain
// appends also stay correct if s points into *out.
template <bool kSpaceAsPlus>
void AppendEscapedRun(std::string* out, std::string_view s, bool keep_slash) {
  char buf[768];
  size_t n = 0;
  for (char ch : s) {
    if (n + 3 > sizeof buf) {
      out->append(buf, n);
      n = 0;
    }
    const auto c = static_cast<unsigned char>(ch);
    if (kUnreservedTable[c] || (c == '/' && keep_slash)) {
      buf[n++] = ch;
    } else if (kSpaceAsPlus && c == ' ') {
      buf[n++] = '+';
    } else {
      buf[n++] = '%';
      buf[n++] = kHexUpper[c >> 4];
      buf[n++] = kHexUpper[c & 0xF];
    }
  }
  out->append(buf, n);
}

void AppendUriEncoded(std::string* out, std::string_view s, bool encode_slash) {
  AppendEscapedRun<false>(out, s, !encode_slash);
}

std::string UriEncode(std::string_view s, bool encode_slash) {
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  AppendUriEncoded(&out, s, encode_slash);
  return out;
}

std::string UriDecode(std::string_view s, bool plus_as_space) {
  // Fast path: nothing to decode (find_first_of on a set is a memchr per byte).
  if (std::none_of(s.begin(), s.end(),
                   [plus_as_space](char c) { return c == '%' || (plus_as_space && c == '+'); })) {
    return std::string(s);
  }
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%' && i + 2 < s.size()) {
      const int hi = HexValue(s[i + 1]);
      const int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_as_space && c == '+' ? ' ' : c);
  }
  return out;
}

void AppendFormEncoded(std::string* out, std::string_view s) {
  AppendEscapedRun<true>(out, s, /*keep_slash=*/false);
}

std::string FormUrlEncodeParams(const QueryParams& params) {
  size_t size = 0;
  for (const auto& [k, v] : params) size += k.size() + v.size() + 2;
  std::string out;
  out.reserve(size + size / 4);
  bool first = true;
  for (const auto& [k, v] : params) {
    if (!first) out.push_back('&');
    first = false;
    AppendFormEncoded(&out, k);
    out.push_back('=');
    AppendFormEncoded(&out, v);
  }
  return out;
}

std::string HexEncode(std::string_view bytes) {
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kHexLower[c >> 4];
    out[2 * i + 1] = kHexLower[c & 0xF];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[kSha256Size];
  Sha256Raw({data}, digest);
  return HexEncode(AsView(digest, sizeof digest));
}

// RFC 2104 HMAC over the shared SHA-256 (see Sha256Md for why not HMAC()).
std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char k[kSha256BlockSize] = {};
  if (key.size() > kSha256BlockSize) {
    Sha256Raw({key}, k);
  } else if (!key.empty()) {
    std::memcpy(k, key.data(), key.size());
  }
  unsigned char ipad[kSha256BlockSize];
  unsigned char opad[kSha256BlockSize];
  for (size_t i = 0; i < kSha256BlockSize; ++i) {
    ipad[i] = static_cast<unsigned char>(k[i] ^ 0x36);
    opad[i] = static_cast<unsigned char>(k[i] ^ 0x5c);
  }
  unsigned char inner[kSha256Size];
  Sha256Raw({AsView(ipad, sizeof ipad), data}, inner);
  unsigned char out[kSha256Size];
  Sha256Raw({AsView(opad, sizeof opad), AsView(inner, sizeof inner)}, out);
  return std::string(AsView(out, sizeof out));
}

}  // namespace drsnap::aws
