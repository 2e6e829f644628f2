// TLS verification of the curl transport against a local HTTPS server with a
// certificate made on the fly.
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "aws/http.h"
#include "core/env.h"

namespace drsnap::aws {
namespace {

// Writes a self-signed certificate whose subjectAltName is `san` (e.g.
// "IP:127.0.0.1") and its key into dir; returns {cert_path, key_path}.
std::pair<std::string, std::string> MakeSelfSigned(const std::filesystem::path& dir,
                                                   const std::string& name,
                                                   const std::string& san) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  EXPECT_NE(key, nullptr);
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600L * 24);
  X509_set_pubkey(cert, key);
  X509_NAME* subject = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("drsnap test"), -1, -1, 0);
  X509_set_issuer_name(cert, subject);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair<int, std::string>{NID_subject_alt_name, san},
                            {NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    EXPECT_NE(ext, nullptr);
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  EXPECT_GT(X509_sign(cert, key, EVP_sha256()), 0);
  std::string cert_path = (dir / (name + ".crt")).string();
  std::string key_path = (dir / (name + ".key")).string();
  FILE* f = std::fopen(cert_path.c_str(), "w");
  PEM_write_X509(f, cert);
  std::fclose(f);
  f = std::fopen(key_path.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
  return {cert_path, key_path};
}

class TlsServer {
 public:
  TlsServer(const std::string& cert, const std::string& key) : server_(cert.c_str(), key.c_str()) {
    EXPECT_TRUE(server_.is_valid());
    server_.Get("/hello", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("secure hello", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TlsServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/hello"; }

 private:
  httplib::SSLServer server_;
  int port_ = 0;
  std::thread thread_;
};

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("drsnap_tls_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static HttpOptions Options(std::map<std::string, std::string, std::less<>> env = {}) {
    HttpOptions o;
    o.env = std::make_shared<MapEnvironment>(std::move(env));
    return o;
  }

  std::filesystem::path dir_;
};

TEST_F(TlsTest, UntrustedCertificateIsTerminal) {
  auto [cert, key] = MakeSelfSigned(dir_, "server", "IP:127.0.0.1");
  TlsServer server(cert, key);
  auto t = NewCurlTransport(Options());  // system CA bundle: does not trust it
  HttpRequest req;
  req.url = server.url();
  auto resp = t->Send(req);
  ASSERT_FALSE(resp.has_value());
  EXPECT_EQ(resp.error().code, "TlsVerificationFailed");
  EXPECT_EQ(resp.error().error_class, ErrorClass::kTerminal);
  EXPECT_NE(resp.error().message.find("127.0.0.1"), std::string::npos);
}

TEST_F(TlsTest, TrustedViaExplicitCaBundle) {
  auto [cert, key] = MakeSelfSigned(dir_, "server", "IP:127.0.0.1");
  TlsServer server(cert, key);
  HttpOptions o = Options();
  o.ca_bundle = cert;
  auto t = NewCurlTransport(o);
  HttpRequest req;
  req.url = server.url();
  auto resp = t->Send(req);
  ASSERT_TRUE(resp.has_value()) << resp.error().ToString();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "secure hello");
}

TEST_F(TlsTest, TrustedViaSslCertFile) {
  auto [cert, key] = MakeSelfSigned(dir_, "server", "IP:127.0.0.1");
  TlsServer server(cert, key);
  auto t = NewCurlTransport(Options({{"SSL_CERT_FILE", cert}}));
  HttpRequest req;
  req.url = server.url();
  auto resp = t->Send(req);
  ASSERT_TRUE(resp.has_value()) << resp.error().ToString();
  EXPECT_EQ(resp->body, "secure hello");
}

TEST_F(TlsTest, HostnameMismatchIsTerminal) {
  // Trusted, but issued for another name: VERIFYHOST must refuse it.
  auto [cert, key] = MakeSelfSigned(dir_, "other", "DNS:rds.example.test");
  TlsServer server(cert, key);
  HttpOptions o = Options();
  o.ca_bundle = cert;
  auto t = NewCurlTransport(o);
  HttpRequest req;
  req.url = server.url();
  auto resp = t->Send(req);
  ASSERT_FALSE(resp.has_value());
  EXPECT_EQ(resp.error().code, "TlsVerificationFailed");
  EXPECT_EQ(resp.error().error_class, ErrorClass::kTerminal);
}

}  // namespace
}  // namespace drsnap::aws
