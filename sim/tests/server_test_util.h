// Helpers for the drsnap-sim server tests: a small world, a server on a free
// loopback port, and signed requests sent through the real curl transport.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "aws/credentials.h"
#include "aws/http.h"
#include "core/clock.h"
#include "core/error.h"
#include "sim/server.h"
#include "sim/simulator.h"

namespace drsnap::sim::testing {

struct TestAccount {
  std::string id;
  std::string access_key_id;
  std::string secret_access_key;
  aws::Credentials credentials() const;
};

// The world's two accounts: a production account and a vault (DR) account,
// each with one long-term key; regions eu-west-1 and eu-central-1.
TestAccount ProdAccount();
TestAccount VaultAccount();
// The world file text (YAML) with those accounts and a couple of databases.
std::string TestWorldText();

struct Harness {
  std::shared_ptr<Simulator> sim;
  std::unique_ptr<Server> server;
  std::shared_ptr<aws::HttpTransport> http;
  std::string endpoint() const { return server->endpoint(); }
};

// Loads TestWorldText() (or `world` when given) and starts a server on a free port.
Result<Harness> StartHarness(ServerOptions options = {}, std::string_view world = {});

// An unsigned Query POST: Action, Version, then params, form-encoded.
aws::HttpRequest QueryRequest(const std::string& endpoint, std::string_view action,
                              std::string_view version,
                              const std::vector<std::pair<std::string, std::string>>& params = {});
// An unsigned KMS JSON 1.1 POST.
aws::HttpRequest KmsRequest(const std::string& endpoint, std::string_view operation,
                            std::string json_body);

// Signs (at `at`, default: the wall clock now) and sends.
Result<aws::HttpResponse> SignAndSend(aws::HttpTransport& http, aws::HttpRequest request,
                                      const aws::Credentials& creds, std::string_view region,
                                      std::string_view service,
                                      std::optional<TimePoint> at = std::nullopt);

// An admin API call: method, path ("/_sim/time"), JSON body.
Result<aws::HttpResponse> Admin(aws::HttpTransport& http, const std::string& endpoint,
                                std::string_view method, std::string_view path,
                                std::string body = "");

// Text of the first <tag>...</tag> in xml; "" when absent.
std::string XmlText(std::string_view xml, std::string_view tag);
// Number of <tag> (or <tag ...>) elements in xml.
int XmlCount(std::string_view xml, std::string_view tag);

}  // namespace drsnap::sim::testing

namespace drsnap::sim::testing {

// Runs `/bin/sh -c command`, returning its exit code and combined
// stdout+stderr. For driving real AWS clients (awscli, boto3) in tests.
struct CommandResult {
  int exit_code = -1;
  std::string output;
};
CommandResult RunCommand(const std::string& command);

// Single-quotes s for /bin/sh.
std::string ShellQuote(std::string_view s);

// Environment assignments (for a `env ... cmd` prefix) that make an AWS CLI
// or SDK use exactly these credentials and nothing from the user's files.
std::string AwsEnv(const TestAccount& account, std::string_view region);

}  // namespace drsnap::sim::testing
