#include "sim/tests/server_test_util.h"

#include <sys/wait.h>

#include <cstdio>

#include "aws/encoding.h"
#include "aws/sigv4.h"

namespace drsnap::sim::testing {

aws::Credentials TestAccount::credentials() const {
  aws::Credentials c;
  c.access_key_id = access_key_id;
  c.secret_access_key = secret_access_key;
  c.source = "test";
  return c;
}

TestAccount ProdAccount() {
  return {"111122223333", "AKIAPRODTEST00000001", "prodsecretprodsecretprodsecretprodsecret"};
}

TestAccount VaultAccount() {
  return {"444455556666", "AKIAVAULTTEST0000001", "vaultsecretvaultsecretvaultsecretvaults"};
}

std::string TestWorldText() {
  return R"(# drsnap-sim server tests: two accounts, two regions.
start_time: "2026-11-20T00:00:00Z"
regions: [eu-west-1, eu-central-1]
accounts:
  - id: "111122223333"
    name: prod
    access_keys:
      - id: AKIAPRODTEST00000001
        secret: prodsecretprodsecretprodsecretprodsecret
        user: alice
    kms_keys:
      - region: eu-west-1
        alias: alias/drsnap-share
        allow_accounts: ["444455556666"]
    db_instances:
      - id: orders
        region: eu-west-1
        engine: postgres
        size_gb: 20
        backup_retention_days: 7
        snapshots:
          - id: orders-manual-1
            created: "2026-11-19T00:00:00Z"
            tags: {team: payments}
          - id: orders-manual-2
            created: "2026-11-19T06:00:00Z"
  - id: "444455556666"
    name: vault
    access_keys:
      - id: AKIAVAULTTEST0000001
        secret: vaultsecretvaultsecretvaultsecretvaults
        user: bob
    roles:
      - name: drsnap-vault
    kms_keys:
      - region: eu-central-1
        alias: alias/drsnap-vault
)";
}

Result<Harness> StartHarness(ServerOptions options, std::string_view world) {
  std::string text = world.empty() ? TestWorldText() : std::string(world);
  auto sim = Simulator::FromWorldText(text, "test world");
  if (!sim) return Fail(std::move(sim).error().With("loading the test world"));
  Harness h;
  h.sim = std::shared_ptr<Simulator>(std::move(*sim));
  auto server = Server::Start(h.sim, std::move(options));
  if (!server) return Fail(std::move(server).error().With("starting the server"));
  h.server = std::move(*server);
  aws::HttpOptions http;
  http.connect_timeout = std::chrono::milliseconds(2000);
  http.total_timeout = std::chrono::milliseconds(20000);
  h.http = aws::NewCurlTransport(http);
  return h;
}

aws::HttpRequest QueryRequest(const std::string& endpoint, std::string_view action,
                              std::string_view version,
                              const std::vector<std::pair<std::string, std::string>>& params) {
  aws::QueryParams all;
  all.emplace_back("Action", std::string(action));
  all.emplace_back("Version", std::string(version));
  for (const auto& p : params) all.push_back(p);
  aws::HttpRequest r;
  r.method = "POST";
  r.url = endpoint + "/";
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  r.body = aws::FormUrlEncodeParams(all);
  return r;
}

aws::HttpRequest KmsRequest(const std::string& endpoint, std::string_view operation,
                            std::string json_body) {
  aws::HttpRequest r;
  r.method = "POST";
  r.url = endpoint + "/";
  r.headers = {{"Content-Type", "application/x-amz-json-1.1"},
               {"X-Amz-Target", "TrentService." + std::string(operation)}};
  r.body = std::move(json_body);
  return r;
}

Result<aws::HttpResponse> SignAndSend(aws::HttpTransport& http, aws::HttpRequest request,
                                      const aws::Credentials& creds, std::string_view region,
                                      std::string_view service, std::optional<TimePoint> at) {
  aws::SignRequest(request, creds, aws::SigningScope{std::string(region), std::string(service)},
                   at ? *at : SystemClock().Now());
  return http.Send(request);
}

Result<aws::HttpResponse> Admin(aws::HttpTransport& http, const std::string& endpoint,
                                std::string_view method, std::string_view path, std::string body) {
  aws::HttpRequest r;
  r.method = std::string(method);
  r.url = endpoint + std::string(path);
  if (!body.empty()) r.headers = {{"Content-Type", "application/json"}};
  r.body = std::move(body);
  return http.Send(r);
}

std::string XmlText(std::string_view xml, std::string_view tag) {
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  auto start = xml.find(open);
  if (start == std::string_view::npos) return {};
  start += open.size();
  auto end = xml.find(close, start);
  if (end == std::string_view::npos) return {};
  return std::string(xml.substr(start, end - start));
}

int XmlCount(std::string_view xml, std::string_view tag) {
  int n = 0;
  std::string a = "<" + std::string(tag) + ">";
  std::string b = "<" + std::string(tag) + " ";
  for (size_t pos = 0; (pos = xml.find('<', pos)) != std::string_view::npos; ++pos) {
    std::string_view rest = xml.substr(pos);
    if (rest.starts_with(a) || rest.starts_with(b)) ++n;
  }
  return n;
}

}  // namespace drsnap::sim::testing

namespace drsnap::sim::testing {

CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  std::string full = command + " 2>&1";
  FILE* p = ::popen(full.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string ShellQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  out.push_back('\'');
  return out;
}

std::string AwsEnv(const TestAccount& account, std::string_view region) {
  return "env -u AWS_PROFILE -u AWS_SESSION_TOKEN -u AWS_ENDPOINT_URL"
         " AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null"
         " AWS_EC2_METADATA_DISABLED=true AWS_PAGER= AWS_RETRY_MODE=standard"
         " AWS_MAX_ATTEMPTS=1 AWS_ACCESS_KEY_ID=" +
         ShellQuote(account.access_key_id) +
         " AWS_SECRET_ACCESS_KEY=" + ShellQuote(account.secret_access_key) +
         " AWS_DEFAULT_REGION=" + ShellQuote(region) + " AWS_REGION=" + ShellQuote(region);
}

}  // namespace drsnap::sim::testing
