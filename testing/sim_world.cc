#include "testing/sim_world.h"

#include <cstdlib>

#include "testing/sim_pipeline.h"

namespace drsnap::testing {
namespace {

struct KnownKey {
  const char* account;
  const char* region;
  const char* id;
  const char* alias;
};

constexpr KnownKey kKeys[] = {
    {"prod", "us-east-1", "00000000-0000-0000-0000-00000000a001", "alias/prod-share"},
    {"prod", "eu-west-1", "00000000-0000-0000-0000-00000000a002", "alias/prod-dr"},
    {"vault", "us-east-1", "00000000-0000-0000-0000-00000000b001", "alias/vault"},
    {"vault", "eu-west-1", "00000000-0000-0000-0000-00000000b002", "alias/vault"},
    {"vault", "us-west-2", "00000000-0000-0000-0000-00000000b003", "alias/vault"},
    {"vault2", "us-east-1", "00000000-0000-0000-0000-00000000c001", "alias/vault"},
    {"vault2", "eu-west-1", "00000000-0000-0000-0000-00000000c002", "alias/vault"},
};

const KnownKey& Known(const std::string& account, const std::string& region) {
  for (const auto& k : kKeys)
    if (account == k.account && region == k.region) return k;
  std::abort();  // a test asked for a key no world has
}

std::string Quoted(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "\"" : ", \"") + s + "\"";
  return "[" + out + "]";
}

}  // namespace

SimKey Key(const std::string& account, const std::string& region,
           std::vector<std::string> allow_accounts) {
  const KnownKey& k = Known(account, region);
  return SimKey{region, k.id, k.alias, std::move(allow_accounts)};
}

std::string KeyArn(const std::string& account, const std::string& region) {
  return "arn:aws:kms:" + region + ":" + SimAccountNamed(account).id + ":key/" +
         Known(account, region).id;
}

SimWorldAccount& SimWorld::Account(const std::string& name) {
  for (auto& a : accounts)
    if (a.name == name) return a;
  std::abort();
}

std::string SimWorld::Yaml() const {
  std::string w;
  if (!start_time.empty()) w += "start_time: \"" + start_time + "\"\n";
  std::string rs;
  for (const auto& r : regions) rs += (rs.empty() ? "" : ", ") + r;
  w += "regions: [" + rs + "]\n";
  if (!settings.empty()) w += "settings: " + settings + "\n";
  w += "accounts:\n";
  for (const auto& a : accounts) {
    const SimAccount& acct = SimAccountNamed(a.name);
    w += "  - id: \"" + acct.id + "\"\n    name: " + acct.name + "\n    access_keys:\n" +
         "      - {id: " + acct.access_key_id + ", secret: " + acct.secret + ", user: drsnap}\n";
    if (!a.keys.empty()) {
      w += "    kms_keys:\n";
      for (const auto& k : a.keys) {
        w += "      - {region: " + k.region + ", id: " + k.id + ", alias: " + k.alias;
        if (!k.allow_accounts.empty()) w += ", allow_accounts: " + Quoted(k.allow_accounts);
        w += "}\n";
      }
    }
    if (!a.db_instances.empty()) w += "    db_instances:\n" + a.db_instances;
    if (!a.db_clusters.empty()) w += "    db_clusters:\n" + a.db_clusters;
  }
  return w;
}

SimWorld ProdAndVault(std::string db_instances, std::string db_clusters) {
  SimWorld w;
  w.start_time = "2026-11-23T00:00:00Z";
  w.regions = {"us-east-1", "eu-west-1"};
  w.accounts = {
      {"prod",
       {Key("prod", "us-east-1", {kVaultAccount})},
       std::move(db_instances),
       std::move(db_clusters)},
      {"vault", {Key("vault", "us-east-1"), Key("vault", "eu-west-1")}, "", ""},
  };
  return w;
}

std::string ChildProcessWorldYaml(int count) {
  std::string dbs;
  for (int i = 0; i < count; ++i)
    dbs += "      - {id: db" + std::to_string(i) +
           ", region: us-east-1, engine: postgres, size_gb: 10, backup_retention_days: 1}\n";
  SimWorld w = ProdAndVault(dbs);
  w.start_time = "";
  return w.Yaml();
}

std::string CustomerKeyInstance(const std::string& id, int size_gb) {
  return "      - {id: " + id +
         ", region: us-east-1, engine: postgres, size_gb: " + std::to_string(size_gb) +
         ", encrypted: true,\n"
         "         kms_key: alias/prod-share, backup_retention_days: 7, "
         "backup_window: \"04:00-04:30\"}\n";
}

std::string LedgerCluster(int size_gb) {
  return "      - {id: ledger, region: us-east-1, engine: aurora-postgresql, size_gb: " +
         std::to_string(size_gb) +
         ", encrypted: true,\n"
         "         kms_key: alias/prod-share, backup_retention_days: 7, "
         "backup_window: \"03:00-03:30\",\n"
         "         instances: [ledger-1]}\n";
}

std::string PolicyAccounts(const std::vector<std::string>& names, bool profiles,
                           const std::string& endpoint) {
  std::string out = "accounts:\n";
  for (const auto& n : names) {
    std::string fields = "id: \"" + SimAccountNamed(n).id + "\"";
    if (profiles) fields += ", profile: " + n;
    if (!endpoint.empty()) fields += ", endpoint_url: \"" + endpoint + "\"";
    out += "  " + n + ": {" + fields + "}\n";
  }
  return out;
}

std::string SimTarget::Yaml() const {
  std::string out = "      - account: " + account + "\n";
  if (hop) out += "        hop_kms_key: \"" + KeyArn(account, "us-east-1") + "\"\n";
  out += "        regions:\n";
  for (const auto& r : regions) {
    out += "          " + r + ": {kms_key: \"" + KeyArn(account, r) + "\"";
    if (!region_extra.empty()) out += ", " + region_extra;
    out += "}\n";
  }
  return out;
}

std::string SimPolicy::Yaml() const {
  std::string out = "version: 1\n" + PolicyAccounts(accounts, profiles, endpoint) +
                    "policies:\n"
                    "  main:\n"
                    "    databases: {names: [\"*\"]}\n"
                    "    source: {account: prod, region: us-east-1, from: " +
                    from + ",\n             share_key: \"" + KeyArn("prod", "us-east-1") +
                    "\"}\n"
                    "    rpo: " +
                    rpo + "\n    targets:\n";
  for (const auto& t : targets) out += t.Yaml();
  out += "    retention: " + retention + "\n";
  if (!min_retention.empty()) out += "    min_retention: " + min_retention + "\n";
  return out;
}

}  // namespace drsnap::testing
