// URL hosts and loopback (core/url.h): what the rehearsal clock and the
// container credentials endpoint accept without TLS.
#include "core/url.h"

#include <gtest/gtest.h>

#include <initializer_list>

namespace drsnap {
namespace {

TEST(UrlTest, LoopbackUrls) {
  struct Case {
    const char* url;
    bool loopback;
  };
  for (const Case& c : std::initializer_list<Case>{
           {"http://127.0.0.1:4566/_sim/time", true},
           {"http://127.1.2.3/_sim/time", true},
           {"http://localhost:4566/x", true},
           {"http://LOCALHOST/x", true},
           {"http://[::1]:4566/x", true},
           {"http://user@127.0.0.1:1/x", true},
           {"http://127.0.0.1.example.com/x", false},
           {"http://127.0.0.256/x", false},
           {"http://169.254.169.254/latest", false},
           {"http://localhost.evil.com/x", false},
           {"http://10.0.0.1/x", false},
           {"127.0.0.1:4566", false},
       })
    EXPECT_EQ(IsLoopbackUrl(c.url), c.loopback) << c.url;
}

TEST(UrlTest, HostAndScheme) {
  std::string scheme;
  EXPECT_EQ(UrlHost("http://[::1]:8080/x", &scheme), "::1");
  EXPECT_EQ(scheme, "http");
  EXPECT_EQ(UrlHost("HTTPS://user@Host.Example:1/p?q", &scheme), "host.example");
  EXPECT_EQ(scheme, "https");
  EXPECT_EQ(UrlHost("http://[::1/x"), "");
  EXPECT_EQ(UrlHost("no-scheme"), "");
  EXPECT_TRUE(IsLoopbackAddress("127.9.9.9"));
  EXPECT_TRUE(IsLoopbackAddress("::1"));
  EXPECT_FALSE(IsLoopbackAddress("localhost"));  // names are not resolved
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.1"));
}

}  // namespace
}  // namespace drsnap
