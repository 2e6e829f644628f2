// Secrets never reach drsnap's output. The drsnap binary runs against
// drsnap-sim with session credentials (an access key id, a secret access key
// and a session token from the sim's STS) whose secret is WRONG, so every
// signed call is answered SignatureDoesNotMatch, and AWS's (the sim's) error
// message carries the canonical request with its x-amz-security-token line.
// Every output of every command (stdout, stderr, JSON output and reports,
// logs at debug level, text and JSON lines) is scanned for the session
// token, both secrets and any signature or credential value.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <pugixml.hpp>
#include <regex>
#include <sstream>

#include "testing/child_process.h"
#include "testing/sim_pipeline.h"
#include "testing/sim_world.h"

namespace drsnap::testing {
namespace {

const std::string kDrsnap = std::string(DRSNAP_BINARY_DIR) + "/cli/drsnap";
constexpr char kRole[] = "drsnap-redact-test";
// What drsnap signs with instead of the session's real secret.
constexpr char kWrongSecret[] = "WrongSecretKeyForTheRedactionTest0000000";

struct SessionKey {
  std::string access_key_id, secret, token;
};

// A session key of `account` from the sim's STS AssumeRole, called in
// process (the server would verify a signature; Handle() does not).
SessionKey AssumeRole(sim::Simulator& sim, const std::string& account) {
  sim::SimRequest r;
  r.service = "sts";
  r.region = "us-east-1";
  r.account_id = account;
  r.caller_arn = "arn:aws:iam::" + account + ":user/drsnap";
  r.action = "AssumeRole";
  r.params = {{"RoleArn", "arn:aws:iam::" + account + ":role/" + kRole},
              {"RoleSessionName", "redaction-test"}};
  sim::SimResponse resp = sim.Handle(r);
  EXPECT_EQ(resp.status, 200) << resp.body;
  pugi::xml_document doc;
  doc.load_string(resp.body.c_str());
  pugi::xml_node c = doc.child("AssumeRoleResponse").child("AssumeRoleResult").child("Credentials");
  SessionKey k{c.child_value("AccessKeyId"), c.child_value("SecretAccessKey"),
               c.child_value("SessionToken")};
  EXPECT_FALSE(k.token.empty()) << resp.body;
  return k;
}

// The test world with the role in every account.
std::string World() {
  SimWorld w = ProdAndVault(CustomerKeyInstance("orders"));
  std::string yaml = w.Yaml();
  for (const auto& a : w.accounts) {
    const SimAccount& acct = SimAccountNamed(a.name);
    std::string key_line =
        "      - {id: " + acct.access_key_id + ", secret: " + acct.secret + ", user: drsnap}\n";
    size_t at = yaml.find(key_line);
    if (at == std::string::npos) {
      ADD_FAILURE() << "no access key line for " << a.name << " in\n" << yaml;
      continue;
    }
    yaml.insert(at + key_line.size(), std::string("    roles:\n      - {name: ") + kRole + "}\n");
  }
  return yaml;
}

std::string Slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

struct ProcessRun {
  int exit_code = -1;
  std::string out, err;
};

ProcessRun RunDrsnap(SimPipeline& p, std::vector<std::string> args, const std::string& tag) {
  std::string out_path = p.dir + "/" + tag + ".out";
  std::string err_path = p.dir + "/" + tag + ".err";
  ChildProcess c = SpawnProcess(kDrsnap, std::move(args), p.ProcessEnv(), out_path, err_path);
  ProcessRun r;
  if (c.pid <= 0) return r;
  r.exit_code = WaitProcess(c);
  r.out = Slurp(out_path);
  r.err = Slurp(err_path);
  return r;
}

// Every way a secret could show: itself, any 24 characters of it (a
// truncated excerpt), and URL-encoded (inside a query string).
std::vector<std::string> Needles(const std::string& secret) {
  std::vector<std::string> out = {secret};
  for (size_t i = 0; i + 24 <= secret.size(); i += 12) out.push_back(secret.substr(i, 24));
  std::string encoded;
  for (char c : secret) {
    if (c == '+') {
      encoded += "%2B";
    } else if (c == '/') {
      encoded += "%2F";
    } else if (c == '=') {
      encoded += "%3D";
    } else {
      encoded += c;
    }
  }
  if (encoded != secret) out.push_back(encoded);
  return out;
}

// A value after Signature=, X-Amz-Signature=, Credential=, X-Amz-Credential=
// or X-Amz-Security-Token (header or parameter) that is not redacted.
const std::regex kSignedValue(
    R"((signature|credential|x-amz-security-token)\s*(=|%3d|:)\s*['"]?(?!<redacted>)[A-Za-z0-9%/+]{8,})",
    std::regex::icase);

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    p_ = StartSimPipeline(World(), SimPolicy{.from = "snapshot"}.Yaml());
    ASSERT_NE(p_, nullptr);
    std::string creds;
    for (const std::string name : {"prod", "vault"}) {
      SessionKey k = AssumeRole(*p_->sim, SimAccountNamed(name).id);
      secrets_.push_back(k.secret);
      secrets_.push_back(k.token);
      creds += "[" + name + "]\naws_access_key_id = " + k.access_key_id +
               "\naws_secret_access_key = " + kWrongSecret + "\naws_session_token = " + k.token +
               "\n";
    }
    secrets_.push_back(kWrongSecret);
    for (const auto& a : SimAccounts()) secrets_.push_back(a.secret);
    std::ofstream(p_->dir + "/credentials", std::ios::trunc) << creds;
  }

  // `text` with every secret masked: what a failure may print.
  std::string Masked(std::string text) const {
    for (const std::string& secret : secrets_) {
      for (const std::string& needle : Needles(secret)) {
        for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at))
          text.replace(at, needle.size(), "<SECRET>");
      }
    }
    return text;
  }

  // Fails the test once per secret (and once for a signed value) found in `text`.
  void ExpectClean(const std::string& what, const std::string& text) {
    for (const std::string& secret : secrets_) {
      for (const std::string& needle : Needles(secret)) {
        size_t at = text.find(needle);
        if (at == std::string::npos) continue;
        size_t from = at > 300 ? at - 300 : 0;
        ADD_FAILURE() << what << " contains a secret (" << needle.substr(0, 4) << "...) at " << at
                      << ":\n"
                      << Masked(text.substr(from, 600));
        break;
      }
    }
    std::smatch m;
    if (std::regex_search(text, m, kSignedValue)) {
      ADD_FAILURE() << what << " contains a signed value: " << Masked(m.str(0)).substr(0, 40)
                    << "...";
    }
  }

  std::unique_ptr<SimPipeline> p_;
  std::vector<std::string> secrets_;
};

TEST_F(SecretsTest, NoSecretInAnyOutputOnSignatureMismatch) {
  struct Case {
    std::string tag;
    std::vector<std::string> args;
  };
  const std::vector<Case> cases = {
      {"plan-table", {"plan", "--log-level", "debug"}},
      {"plan-json", {"plan", "--output", "json", "--log-level", "debug", "--log-format", "json"}},
      {"apply-json", {"apply", "--output", "json", "--log-level", "debug"}},
      {"apply-table", {"apply", "--log-level", "debug", "--log-format", "json"}},
      {"status-json", {"status", "--output", "json", "--log-level", "debug"}},
      {"status-html", {"status", "--output", "html", "--log-level", "debug"}},
  };
  for (const Case& c : cases) {
    ProcessRun r = RunDrsnap(*p_, c.args, c.tag);
    const std::string all = r.out + r.err;
    // The sim did answer SignatureDoesNotMatch, and drsnap said so.
    EXPECT_NE(all.find("SignatureDoesNotMatch"), std::string::npos) << c.tag << ":\n"
                                                                    << Masked(all);
    ExpectClean(c.tag + " stdout", r.out);
    ExpectClean(c.tag + " stderr", r.err);
    // AWS's canonical request is in the debug log once per process,
    // redacted, and in no error sentence.
    size_t quoted = 0;
    const std::string canonical = "The Canonical String for this request";
    for (size_t at = all.find(canonical); at != std::string::npos; at = all.find(canonical, at + 1))
      ++quoted;
    EXPECT_EQ(quoted, 1u) << c.tag << ":\n" << Masked(all);
    EXPECT_NE(r.err.find("x-amz-security-token:<redacted>"), std::string::npos) << c.tag << ":\n"
                                                                                << Masked(r.err);
  }
}

}  // namespace
}  // namespace drsnap::testing
