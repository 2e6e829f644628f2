#include "lambda/events.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "core/arn.h"
#include "core/strings.h"
#include "core/time_util.h"
#include "engine/naming.h"

namespace drsnap::lambda {
namespace {

using nlohmann::json;

std::string Str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

Trigger Ignore(std::string reason) {
  Trigger t;
  t.kind = TriggerKind::kIgnore;
  t.reason = std::move(reason);
  return t;
}

// arn:aws:rds:us-east-1:111111111111:snapshot:rds:db1-2026-... -> its
// region, account and resource ("snapshot:rds:db1-...").
struct ArnParts {
  std::string region, account, resource;
};

bool ParseRdsArn(std::string_view text, ArnParts& out) {
  auto arn = ParseArn(text);
  // An RDS resource is "<type>:<id>".
  if (!arn || arn->service != "rds" || arn->resource.find(':') == std::string_view::npos)
    return false;
  out.region = std::string(arn->region);
  out.account = std::string(arn->account);
  out.resource = std::string(arn->resource);
  return !out.region.empty() && !out.account.empty();
}

const RdsEventInfo* FindRdsEvent(std::string_view id) {
  for (const auto& e : HandledRdsEvents())
    if (id == e.id) return &e;
  return nullptr;
}

// Builds the trigger for one RDS event, whatever envelope carried it.
// source_type: SNAPSHOT | CLUSTER_SNAPSHOT | DB_INSTANCE | CLUSTER (EventBridge),
// or db-snapshot | db-cluster-snapshot | db-instance | db-cluster (SNS).
Trigger FromRdsEvent(const std::string& source_type, const std::string& event_id,
                     const std::string& source_id, const std::string& source_arn,
                     const std::string& fallback_account, const std::string& fallback_region,
                     const std::string& message) {
  std::string what = event_id.empty() ? std::string("an RDS event") : event_id;
  if (!source_id.empty()) what += " for " + source_id;
  if (!message.empty()) what += " (" + message + ")";
  if (event_id.empty()) return Ignore(what + ": no event id");
  const RdsEventInfo* info = FindRdsEvent(event_id);
  if (info == nullptr) return Ignore(what + ": does not affect snapshots");

  Trigger t;
  t.event_id = event_id;
  t.frees_copy_slot = info->meaning == RdsEventMeaning::kCopyFinished ||
                      info->meaning == RdsEventMeaning::kCopyFailed;
  ArnParts arn;
  if (!source_arn.empty() && ParseRdsArn(source_arn, arn)) {
    t.account_id = arn.account;
    t.region = arn.region;
  } else {
    t.account_id = fallback_account;
    t.region = fallback_region;
  }
  if (t.account_id.empty() || t.region.empty())
    return Ignore(what + ": account or region unknown (no SourceArn)");

  std::string type = AsciiLower(source_type);
  bool snapshot = type == "snapshot" || type == "db-snapshot" || type == "cluster_snapshot" ||
                  type == "db-cluster-snapshot";
  bool cluster = type == "cluster_snapshot" || type == "db-cluster-snapshot" || type == "cluster" ||
                 type == "db-cluster";
  t.cluster = cluster;
  if (snapshot) {
    t.snapshot_id = source_id;
    t.db_id = DbFromAutomatedSnapshotId(source_id);
    if (t.db_id.empty()) {
      // A snapshot drsnap made (a capture, or a copy finished): its name
      // carries the database's token.
      if (auto lineage = engine::naming::ParseName(source_id)) {
        t.db_token = lineage->db_token;
        t.db_id = DbIdFromToken(t.db_token);
      }
    }
  } else if (type == "db_instance" || type == "db-instance" || cluster) {
    t.db_id = source_id;
  } else {
    return Ignore(what + ": source type '" + source_type + "' is not a database or snapshot");
  }
  if (t.db_id.empty() && !t.db_token.empty()) {
    t.kind = TriggerKind::kDatabase;
    t.reason = what + ": reconcile the " + (cluster ? "cluster" : "instance") +
               " whose name token is " + t.db_token + " in " + t.account_id + "/" + t.region;
  } else if (t.db_id.empty()) {
    t.kind = TriggerKind::kScope;
    t.reason = what + ": reconcile " + t.account_id + "/" + t.region;
  } else {
    t.kind = TriggerKind::kDatabase;
    t.reason = what + ": reconcile " + (cluster ? "cluster " : "instance ") + t.db_id + " in " +
               t.account_id + "/" + t.region;
  }
  return t;
}

Trigger FromEventBridge(const json& ev) {
  std::string source = Str(ev, "source");
  std::string detail_type = Str(ev, "detail-type");
  const json empty = json::object();
  const json& detail = ev.contains("detail") && ev["detail"].is_object() ? ev["detail"] : empty;
  if (source == "aws.events" && detail_type == "Scheduled Event") {
    Trigger t;
    t.kind = TriggerKind::kFullReconcile;
    t.event_id = "scheduled";
    t.reason = "scheduled event: full reconcile";
    return t;
  }
  if (source == "aws.rds") {
    std::string type = Str(detail, "SourceType");
    if (type.empty()) {
      if (detail_type == "RDS DB Snapshot Event") type = "SNAPSHOT";
      if (detail_type == "RDS DB Cluster Snapshot Event") type = "CLUSTER_SNAPSHOT";
      if (detail_type == "RDS DB Instance Event") type = "DB_INSTANCE";
      if (detail_type == "RDS DB Cluster Event") type = "CLUSTER";
    }
    return FromRdsEvent(type, Str(detail, "EventID"), Str(detail, "SourceIdentifier"),
                        Str(detail, "SourceArn"), Str(ev, "account"), Str(ev, "region"),
                        Str(detail, "Message"));
  }
  if (source == "drsnap" && detail_type == kWatchWakeUpDetailType) {
    // A copy AWS announces no end of was expected to have ended by now. Its
    // end frees a copy slot (copies of any database may have waited for
    // it) and maybe starts its next hop: a full reconcile, which observes
    // the copy afresh (and watches it again when it is still in flight).
    Trigger t;
    t.kind = TriggerKind::kFullReconcile;
    t.event_id = "watch-wake-up";
    t.reason = "watch wake-up";
    if (std::string why = Str(detail, "Why"); !why.empty()) {
      if (why.size() > 200) why = why.substr(0, 200) + "...";  // a log line, not a dump
      t.reason += " (" + why + ")";
    }
    t.reason += ": full reconcile";
    return t;
  }
  if (source == "drsnap") {
    if (detail_type != "drsnap Snapshot Shared")
      return Ignore("drsnap event '" + detail_type + "' needs no action here");
    std::string arn_text = Str(detail, "SnapshotArn");
    ArnParts arn;
    if (!ParseRdsArn(arn_text, arn))
      return Ignore("drsnap Snapshot Shared event without a valid SnapshotArn");
    Trigger t;
    t.kind = TriggerKind::kDatabase;
    t.event_id = "drsnap-shared";
    t.account_id = arn.account;
    t.region = arn.region;
    t.db_id = Str(detail, "DBIdentifier");
    t.cluster = Str(detail, "DBKind") == "cluster";
    size_t colon = arn.resource.find(':');
    t.snapshot_id = colon == std::string::npos ? arn.resource : arn.resource.substr(colon + 1);
    if (t.db_id.empty()) {
      t.kind = TriggerKind::kScope;
      t.reason = "drsnap shared " + arn_text + ": reconcile " + t.account_id + "/" + t.region;
    } else {
      t.reason = "drsnap shared " + arn_text + ": vault " + t.db_id + " from " + t.account_id +
                 "/" + t.region;
    }
    return t;
  }
  if (source.empty() && detail_type.empty()) return Ignore("event is not an EventBridge event");
  return Ignore("event from '" + source + "' (" + detail_type + ") is not for drsnap");
}

Trigger FromSnsRecord(const json& record) {
  if (!record.is_object() || !record.contains("Sns") || !record["Sns"].is_object())
    return Ignore("SNS record without Sns");
  const json& sns = record["Sns"];
  std::string message_text = Str(sns, "Message");
  json msg = json::parse(message_text, nullptr, /*allow_exceptions=*/false);
  if (msg.is_discarded() || !msg.is_object())
    return Ignore("SNS message is not an RDS event (not JSON)");
  std::string event_id = Str(msg, "Event ID");
  size_t hash = event_id.find('#');
  if (hash != std::string::npos) event_id = event_id.substr(hash + 1);
  // The topic ARN tells the account and region when the message has no Source ARN.
  std::string topic = Str(sns, "TopicArn");
  std::string account, region;
  {
    std::vector<std::string> p;
    size_t pos = 0;
    while (p.size() < 5) {
      size_t c = topic.find(':', pos);
      if (c == std::string::npos) break;
      p.push_back(topic.substr(pos, c - pos));
      pos = c + 1;
    }
    if (p.size() == 5 && p[0] == "arn") {
      region = p[3];
      account = p[4];
    }
  }
  return FromRdsEvent(Str(msg, "Event Source"), event_id, Str(msg, "Source ID"),
                      Str(msg, "Source ARN"), account, region, Str(msg, "Event Message"));
}

}  // namespace

const std::vector<RdsEventInfo>& HandledRdsEvents() {
  using M = RdsEventMeaning;
  // One line per id (deploy/check_templates.py parses these lines).
  // clang-format off
  static const std::vector<RdsEventInfo> events = {
      {"RDS-EVENT-0042", false, M::kSnapshotCreated},  // manual DB snapshot created
      {"RDS-EVENT-0091", false, M::kSnapshotCreated},  // automated DB snapshot created
      {"RDS-EVENT-0197", false, M::kCopyFinished},     // same-region DB snapshot copy finished
      {"RDS-EVENT-0060", false, M::kCopyFinished},     // cross-region DB snapshot copy finished
      {"RDS-EVENT-0190", false, M::kCopyFailed},       // same-region DB snapshot copy cancelled
      {"RDS-EVENT-0061", false, M::kCopyFailed},       // cross-region DB snapshot copy cancelled
      {"RDS-EVENT-0041", false, M::kSnapshotDeleted},  // DB snapshot deleted
      {"RDS-EVENT-0075", true, M::kSnapshotCreated},   // manual DB cluster snapshot created
      {"RDS-EVENT-0169", true, M::kSnapshotCreated},   // automated DB cluster snapshot created
      {"RDS-EVENT-0005", false, M::kDatabaseChanged},  // DB instance created
      {"RDS-EVENT-0003", false, M::kDatabaseChanged},  // DB instance deleted
      {"RDS-EVENT-0170", true, M::kDatabaseChanged},   // DB cluster created
      {"RDS-EVENT-0171", true, M::kDatabaseChanged},   // DB cluster deleted
  };
  // clang-format on
  return events;
}

const char* TriggerKindName(TriggerKind k) {
  switch (k) {
    case TriggerKind::kFullReconcile:
      return "full";
    case TriggerKind::kDatabase:
      return "database";
    case TriggerKind::kScope:
      return "scope";
    case TriggerKind::kVerify:
      return "verify";
    case TriggerKind::kIgnore:
      return "ignore";
  }
  return "ignore";
}

std::string DbFromAutomatedSnapshotId(std::string_view id) {
  // rds:<db>-yyyy-mm-dd-hh-mm
  constexpr std::string_view kPrefix = "rds:";
  constexpr size_t kStampLen = 17;  // "-2026-11-23-04-10"
  if (!id.starts_with(kPrefix) || id.size() <= kPrefix.size() + kStampLen) return "";
  std::string_view stamp = id.substr(id.size() - kStampLen);
  static constexpr std::string_view kShape = "-dddd-dd-dd-dd-dd";
  for (size_t i = 0; i < kStampLen; ++i) {
    bool digit = std::isdigit(static_cast<unsigned char>(stamp[i])) != 0;
    if ((kShape[i] == 'd') != digit || (kShape[i] == '-' && stamp[i] != '-')) return "";
  }
  return std::string(id.substr(kPrefix.size(), id.size() - kPrefix.size() - kStampLen));
}

std::string DbIdFromToken(std::string_view token) {
  // The hashed shape: DbToken's prefix (its fixed length, or one less when
  // the prefix ended in '-') + "-" + 8 lower-case hex digits. Its length is
  // read from DbToken itself, so the two cannot drift apart.
  static const size_t kHashedLength = engine::naming::DbToken(std::string(64, 'a')).size();
  constexpr size_t kHashDigits = 8;
  auto is_hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  bool hashed_shape = (token.size() == kHashedLength || token.size() + 1 == kHashedLength) &&
                      token[token.size() - kHashDigits - 1] == '-' &&
                      std::all_of(token.end() - kHashDigits, token.end(), is_hex);
  if (token.empty() || hashed_shape) return "";
  // Only a token DbToken leaves unchanged can be an id by itself.
  if (engine::naming::DbToken(token) != token) return "";
  return std::string(token);
}

std::string SnapshotSharedDetail(std::string_view snapshot_arn, std::string_view db_id,
                                 bool cluster, std::string_view source_account,
                                 std::string_view source_region) {
  json d;
  d["SnapshotArn"] = snapshot_arn;
  d["DBIdentifier"] = db_id;
  d["DBKind"] = cluster ? "cluster" : "instance";
  d["SourceAccount"] = source_account;
  d["SourceRegion"] = source_region;
  return d.dump();
}

std::string WatchWakeUpPayload(std::string_view side, std::string_view wake_at,
                               std::string_view why, const CopyProgress& copies) {
  json list = json::array();
  for (const auto& [copy, samples] : copies) {
    json progress = json::array();
    for (const auto& p : samples)
      progress.push_back({{"At", FormatIso8601(p.at)}, {"Percent", p.percent}});
    list.push_back({{"Copy", copy}, {"Progress", std::move(progress)}});
  }
  json ev;
  ev["source"] = "drsnap";
  ev["detail-type"] = kWatchWakeUpDetailType;
  ev["detail"] = {{"Side", side}, {"WakeAt", wake_at}, {"Why", why}, {"Copies", std::move(list)}};
  return ev.dump(-1, ' ', false, json::error_handler_t::replace);
}

CopyProgress WatchWakeUpProgress(std::string_view payload) {
  CopyProgress out;
  json ev = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (ev.is_discarded() || Str(ev, "source") != "drsnap" ||
      Str(ev, "detail-type") != kWatchWakeUpDetailType)
    return out;
  const json& detail = ev["detail"];
  if (!detail.is_object() || !detail.contains("Copies") || !detail["Copies"].is_array()) return out;
  for (const auto& c : detail["Copies"]) {
    std::string copy = Str(c, "Copy");
    if (copy.empty() || !c.contains("Progress") || !c["Progress"].is_array()) continue;
    std::vector<ProgressSample> samples;
    for (const auto& p : c["Progress"]) {
      auto at = ParseIso8601(Str(p, "At"));
      if (!at || !p.is_object() || !p.contains("Percent") || !p["Percent"].is_number_integer())
        continue;
      int percent = p["Percent"].get<int>();
      if (percent < 0 || percent > 100) continue;
      if (!samples.empty() && *at <= samples.back().at) continue;  // keep time order
      samples.push_back({*at, percent});
    }
    if (!samples.empty()) out[copy] = std::move(samples);
  }
  return out;
}

std::vector<Trigger> DecodeEvent(std::string_view payload) {
  json ev = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (ev.is_discarded()) return {Ignore("event is not valid JSON")};
  if (!ev.is_object()) return {Ignore("event is not a JSON object")};
  if (ev.contains("Records")) {
    if (!ev["Records"].is_array() || ev["Records"].empty()) return {Ignore("event has no Records")};
    std::vector<Trigger> out;
    for (const auto& r : ev["Records"]) out.push_back(FromSnsRecord(r));
    return out;
  }
  if (ev.contains("drsnap")) {
    // A constant input of a schedule rule, or a manual invocation.
    const json& what = ev["drsnap"];
    Trigger t;
    if (what == "reconcile") {
      t.kind = TriggerKind::kFullReconcile;
      t.event_id = "manual";
      t.reason = "direct invocation: full reconcile";
      return {t};
    }
    if (what == "verify") {
      t.kind = TriggerKind::kVerify;
      t.event_id = "verify";
      t.reason = "restore drill schedule: advance every due drill one step";
      return {t};
    }
    std::string shown = what.dump(-1, ' ', false, json::error_handler_t::replace);
    if (shown.size() > 64) shown = shown.substr(0, 64) + "...";
    return {Ignore("direct invocation {\"drsnap\": " + shown +
                   "} is neither \"reconcile\" nor \"verify\"")};
  }
  return {FromEventBridge(ev)};
}

}  // namespace drsnap::lambda
