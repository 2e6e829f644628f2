#include "cli/demo_world.h"

#include "core/time_util.h"

namespace drsnap::cli::demo {

namespace {

// Key ids are fixed so the policy can name them by ARN.
constexpr char kWorld[] = R"YAML(# drsnap demo: the built-in drsnap-sim world.
start_time: "2026-11-23T00:00:00Z"
regions: [us-east-1, us-west-2, eu-west-1]
settings:
  copy_rule: strict        # AWS's older rule: shared encrypted snapshots copy within their region
  cross_region_mbps: 50
  same_region_mbps: 200

accounts:
  - id: "111111111111"
    name: production
    access_keys:
      - {id: AKIADEMOPROD00000001, secret: demo-production-secret-000000000000001, user: drsnap}
    kms_keys:
      - region: us-east-1
        id: 00000000-0000-4000-8000-00000000a001
        alias: alias/drsnap-share
        description: customer key default-key snapshots are re-encrypted with, to share them
        allow_accounts: ["222222222222"]
      - region: us-east-1
        id: 00000000-0000-4000-8000-00000000a002
        alias: alias/payments-data
        description: the payments team's key (its policy lets the vault account use it)
        allow_accounts: ["222222222222"]
    db_instances:
      - {id: orders, region: us-east-1, engine: postgres, engine_version: "16.3",
         instance_class: db.r6g.xlarge, size_gb: 120, encrypted: true, kms_key: alias/payments-data,
         backup_retention_days: 7, backup_window: "03:00-03:30",
         tags: {tier: critical, team: payments}}
      - {id: customers, region: us-east-1, engine: mysql, engine_version: "8.0.39",
         instance_class: db.r6g.large, size_gb: 250, encrypted: true,
         backup_retention_days: 7, backup_window: "04:00-04:30",
         tags: {tier: standard, team: crm}}
      - {id: analytics, region: us-east-1, engine: postgres, engine_version: "16.3",
         instance_class: db.r6g.2xlarge, size_gb: 800, encrypted: true,
         backup_retention_days: 7, backup_window: "01:00-01:30",
         tags: {tier: standard, team: data}}
      - {id: catalog, region: us-east-1, engine: postgres, engine_version: "15.7",
         instance_class: db.t4g.medium, size_gb: 60,
         backup_retention_days: 3, backup_window: "05:00-05:30",
         tags: {tier: standard, team: web}}
      - {id: sessions, region: us-east-1, engine: mariadb, engine_version: "10.11.8",
         instance_class: db.t4g.small, size_gb: 20, encrypted: true, kms_key: alias/drsnap-share,
         backup_retention_days: 1, backup_window: "06:00-06:30",
         tags: {tier: standard, team: web}}
      - {id: wiki, region: us-east-1, engine: mysql, engine_version: "8.0.39",
         instance_class: db.t4g.micro, size_gb: 10,
         backup_retention_days: 2, backup_window: "07:00-07:30",
         tags: {tier: standard, team: it}}
      - {id: scratch, region: us-east-1, engine: postgres, size_gb: 5,
         backup_retention_days: 1, backup_window: "08:00-08:30",
         tags: {team: data}}
    db_clusters:
      - {id: ledger, region: us-east-1, engine: aurora-postgresql, engine_version: "16.2",
         instance_class: db.r6g.large, size_gb: 150, encrypted: true, kms_key: alias/payments-data,
         backup_retention_days: 7, backup_window: "02:00-02:30",
         instances: [ledger-1, ledger-2], tags: {tier: critical, team: payments}}

  - id: "222222222222"
    name: vault
    access_keys:
      - {id: AKIADEMOVAULT0000001, secret: demo-vault-secret-00000000000000000001, user: drsnap}
    kms_keys:
      - {region: us-east-1, id: 00000000-0000-4000-8000-00000000b001, alias: alias/drsnap-vault,
         description: vault key for same-region hop copies}
      - {region: us-west-2, id: 00000000-0000-4000-8000-00000000b002, alias: alias/drsnap-vault}
      - {region: eu-west-1, id: 00000000-0000-4000-8000-00000000b003, alias: alias/drsnap-vault}
)YAML";

constexpr char kPolicy[] = R"YAML(# drsnap demo: the policy (the same format as any drsnap.yaml).
version: 1
accounts:
  production: {id: "111111111111", profile: production, endpoint_url: "@ENDPOINT@"}
  vault: {id: "222222222222", profile: vault, endpoint_url: "@ENDPOINT@"}

policies:
  # Payments: a fresh snapshot every 4 hours, vaulted within 2 hours.
  critical:
    databases: {tags: {tier: critical}}
    source:
      account: production
      region: us-east-1
      from: snapshot
      share_key: "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-4000-8000-00000000a001"
    rpo: 6h
    capture_margin: 2h
    targets:
      - account: vault
        hop_kms_key: "arn:aws:kms:us-east-1:222222222222:key/00000000-0000-4000-8000-00000000b001"
        regions:
          us-west-2:
            kms_key: "arn:aws:kms:us-west-2:222222222222:key/00000000-0000-4000-8000-00000000b002"
            verify: {instance_class: db.t3.micro, every: 7d}   # restore drills (drsnap verify)
          eu-west-1: {kms_key: "arn:aws:kms:eu-west-1:222222222222:key/00000000-0000-4000-8000-00000000b003"}
    retention: {hourly: 12, daily: 7, weekly: 4}

  # Everything else: the nightly automated backup, copied out every day.
  standard:
    databases: {tags: {tier: standard}}
    source:
      account: production
      region: us-east-1
      from: automated
      share_key: "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-4000-8000-00000000a001"
    rpo: 36h
    targets:
      - account: vault
        hop_kms_key: "arn:aws:kms:us-east-1:222222222222:key/00000000-0000-4000-8000-00000000b001"
        regions:
          us-west-2:
            kms_key: "arn:aws:kms:us-west-2:222222222222:key/00000000-0000-4000-8000-00000000b002"
            verify: {instance_class: db.t3.micro, every: 7d}
          eu-west-1: {kms_key: "arn:aws:kms:eu-west-1:222222222222:key/00000000-0000-4000-8000-00000000b003"}
    retention: {daily: 7, weekly: 4, monthly: 3}
)YAML";

}  // namespace

std::vector<DemoAccount> DemoAccounts() {
  return {
      {"production", "111111111111", "AKIADEMOPROD00000001",
       "demo-production-secret-000000000000001"},
      {"vault", "222222222222", "AKIADEMOVAULT0000001", "demo-vault-secret-00000000000000000001"}};
}

TimePoint DemoStartTime() { return *ParseIso8601("2026-11-23T00:00:00Z"); }

std::string_view DemoWorldYaml() { return kWorld; }

std::string DemoPolicyYaml(std::string_view endpoint_url) {
  std::string out = kPolicy;
  const std::string from = "@ENDPOINT@";
  for (size_t pos = out.find(from); pos != std::string::npos;
       pos = out.find(from, pos + endpoint_url.size()))
    out.replace(pos, from.size(), endpoint_url);
  return out;
}

std::string DemoAwsConfigText() {
  std::string out;
  for (const auto& a : DemoAccounts()) out += "[profile " + a.name + "]\nregion = us-east-1\n\n";
  return out;
}

std::string DemoAwsCredentialsText() {
  std::string out;
  for (const auto& a : DemoAccounts())
    out += "[" + a.name + "]\naws_access_key_id = " + a.access_key_id +
           "\naws_secret_access_key = " + a.secret_access_key + "\n\n";
  return out;
}

}  // namespace drsnap::cli::demo
