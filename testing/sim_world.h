// Test worlds for drsnap-sim (docs/sim.md) and the policies that protect
// them, built from shared parts: the simulated accounts of
// testing/sim_pipeline.h (ids and access keys), one KMS key per account and
// region, the usual databases, and the policy's account lines and targets.
// What a test needs different (its databases, seeds, settings, the policy's
// retention) it passes in; the rest is written once, here.
//
// A world:
//   SimWorld w = ProdAndVault(CustomerKeyInstance("orders"));
//   w.settings = "{copy_rule: one-step}";
//   StartSimPipeline(w.Yaml(), SimPolicy{.from = "snapshot"}.Yaml());
#pragma once

#include <string>
#include <vector>

namespace drsnap::testing {

// ------------------------------------------------------------------ worlds

// A KMS key of a simulated account.
struct SimKey {
  std::string region;
  std::string id;  // the key id
  std::string alias;
  std::vector<std::string> allow_accounts;  // other accounts that may use it (shares)
};

// The keys of the test worlds, one per account and region:
//   prod   us-east-1 ...a001 alias/prod-share (the share key),
//          eu-west-1 ...a002 alias/prod-dr
//   vault  us-east-1 ...b001, eu-west-1 ...b002, us-west-2 ...b003 (alias/vault)
//   vault2 us-east-1 ...c001, eu-west-1 ...c002 (alias/vault)
// REQUIRES: one of these.
SimKey Key(const std::string& account, const std::string& region,
           std::vector<std::string> allow_accounts = {});
// "arn:aws:kms:<region>:<account id>:key/<id>" of Key(account, region).
std::string KeyArn(const std::string& account, const std::string& region);

struct SimWorldAccount {
  std::string name;  // a SimAccounts() name: the account's id and access key
  std::vector<SimKey> keys;
  std::string db_instances;  // YAML sequence items indented six spaces, verbatim
  std::string db_clusters;   // likewise
};

struct SimWorld {
  std::string start_time;  // "": the virtual clock starts at the wall clock
  std::vector<std::string> regions;
  std::string settings;  // a YAML flow map ("{copy_rule: one-step}"); "": none
  std::vector<SimWorldAccount> accounts;

  SimWorldAccount& Account(const std::string& name);  // REQUIRES: in `accounts`
  std::string Yaml() const;
};

// The world most tests start from: us-east-1 and eu-west-1 from
// 2026-11-23T00:00:00Z; prod with the share key (usable by vault) and the
// given databases; vault with its us-east-1 and eu-west-1 keys.
SimWorld ProdAndVault(std::string db_instances, std::string db_clusters = "");

// ProdAndVault with `count` unencrypted postgres instances db0, db1, ... in
// prod's us-east-1 (daily automated backups kept 1 day), its virtual clock
// starting at the wall clock: for a drsnap child process, which reads the
// simulator's time through DRSNAP_CLOCK_URL (SimPipeline::ProcessEnv).
std::string ChildProcessWorldYaml(int count = 3);

// An instance in prod's us-east-1 encrypted with the share key, daily
// automated backups at 04:00 kept 7 days.
std::string CustomerKeyInstance(const std::string& id, int size_gb = 20);
// The Aurora cluster "ledger" (instance ledger-1) in prod's us-east-1, share
// key, daily backups at 03:00 kept 7 days.
std::string LedgerCluster(int size_gb = 30);

// ---------------------------------------------------------------- policies

// "accounts:" and a line per account: its id, `profile: <name>` (profiles),
// `endpoint_url` ("": none; "ENDPOINT" is what SimPipeline replaces).
std::string PolicyAccounts(const std::vector<std::string>& names, bool profiles = true,
                           const std::string& endpoint = "ENDPOINT");

// One item of a policy's `targets`: the account's key in each region.
struct SimTarget {
  std::string account = "vault";
  std::vector<std::string> regions = {"eu-west-1"};
  bool hop = true;                // hop_kms_key: the account's us-east-1 key
  std::string region_extra = "";  // more of each region's map ("verify: {...}")
  std::string Yaml() const;
};

// A policy file with one policy, "main", of every database of prod's
// us-east-1 (prod's share key).
struct SimPolicy {
  std::vector<std::string> accounts = {"prod", "vault"};
  bool profiles = true;
  std::string endpoint = "ENDPOINT";
  std::string from = "automated";
  std::string rpo = "24h";
  std::vector<SimTarget> targets = {SimTarget{}};
  std::string retention = "{daily: 30}";
  std::string min_retention = "";  // "": the key is left out (drsnap's default)
  std::string Yaml() const;
};

}  // namespace drsnap::testing
