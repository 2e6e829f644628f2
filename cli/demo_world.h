// The built-in world of `drsnap demo`, embedded in the binary: a drsnap-sim
// world file (a production account and a DR "vault" account, a source region
// and two DR regions, half a dozen DB instances and an Aurora cluster with
// automated backups, KMS keys) and the policy file a user would write for it
// (the same YAML format as any drsnap.yaml), with the accounts reached
// through AWS profiles whose static keys the demo writes into a temporary
// AWS config/credentials pair.
//
// Thread safety: pure functions over constants.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"

namespace drsnap::cli::demo {

struct DemoAccount {
  std::string name;  // the account's name in the policy, and its AWS profile
  std::string id;    // 12 digits
  std::string access_key_id;
  std::string secret_access_key;
};

// production 111111111111, vault 222222222222.
std::vector<DemoAccount> DemoAccounts();

// The world's start (its start_time): 2026-11-23T00:00:00Z.
TimePoint DemoStartTime();

// The drsnap-sim world file (YAML).
std::string_view DemoWorldYaml();

// The policy file, with every account's endpoint_url set to `endpoint_url`
// (drsnap-sim's "http://127.0.0.1:N").
std::string DemoPolicyYaml(std::string_view endpoint_url);

// The AWS shared config and credentials files for DemoAccounts() (one
// profile per account, static keys, region us-east-1).
std::string DemoAwsConfigText();
std::string DemoAwsCredentialsText();

}  // namespace drsnap::cli::demo
