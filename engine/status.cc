#include "engine/status.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "core/time_util.h"
#include "engine/ledger.h"
#include "engine/lineage_index.h"
#include "engine/naming.h"
#include "engine/planner.h"
#include "engine/preflight.h"
#include "engine/protection.h"
#include "engine/retention.h"

namespace drsnap::engine {
namespace {

using naming::NameStage;
using std::chrono::duration_cast;
using std::chrono::seconds;

int Rank(RpoState s) { return static_cast<int>(s); }

InFlightCopy ToInFlight(const LineageEntry& e) {
  const Snapshot& s = *e.snapshot;
  return InFlightCopy{s.id,
                      s.scope,
                      naming::NameStageName(e.lineage.stage),
                      SnapshotStatusName(s.status),
                      s.percent_progress,
                      e.lineage.recovery_point,
                      s.create_time};
}

}  // namespace

const char* RpoStateName(RpoState s) {
  switch (s) {
    case RpoState::kOk:
      return "ok";
    case RpoState::kAtRisk:
      return "at-risk";
    case RpoState::kBreached:
      return "breached";
    case RpoState::kUnknown:
      return "unknown";
  }
  return "unknown";
}

RpoState StatusReport::Overall() const {
  RpoState worst = RpoState::kOk;
  for (const auto& r : rows)
    if (Rank(r.state) > Rank(worst)) worst = r.state;
  return worst;
}

int StatusReport::ExitCode() const {
  switch (Overall()) {
    case RpoState::kOk:
      return 0;
    case RpoState::kAtRisk:
      return 1;
    case RpoState::kBreached:
    case RpoState::kUnknown:
      return 2;
  }
  return 2;
}

StatusReport ComputeStatus(const Inventory& inventory, const config::Config& config,
                           TimePoint now) {
  StatusReport report;
  report.generated_at = now;
  LineageIndex index(inventory);
  const Protection protection = ProtectedDatabases(index, config);
  size_t next_protected = 0;  // protection.databases: grouped by policy, in config order

  for (const auto& p : config.policies) {
    Scope source{p.source_account_id, p.source_region};
    std::set<Scope> bad_scopes;
    for (const Scope& s : PolicyScopes(p)) {
      const ScopeInventory* si = index.Find(s);
      if (si && si->complete) continue;
      if (!si && s == source) {
        // The vault side never observes the source account: rows are
        // answered from what the target accounts see.
        report.findings.push_back(
            Finding{Finding::Severity::kInfo, p.name, "", s,
                    "source scope " + s.ToString() + " not observed (vault side)"});
        continue;
      }
      bad_scopes.insert(s);
      report.findings.push_back(
          Finding{Finding::Severity::kError, p.name, "", s,
                  si ? "scope " + s.ToString() + " is incomplete (" + si->error + ")"
                     : "scope " + s.ToString() + " was not observed"});
    }
    const ScopeInventory* src = index.Find(source);
    std::set<std::string> share_accounts;  // target accounts other than the source's
    for (const auto& t : p.targets)
      if (t.account_id != p.source_account_id) share_accounts.insert(t.account_id);

    // The databases this policy protects (engine/protection.h).
    for (; next_protected < protection.databases.size() &&
           protection.databases[next_protected].policy == &p;
         ++next_protected) {
      const ProtectedDatabase& db = protection.databases[next_protected];
      const std::string& db_id = db.id;
      const DbKind kind = db.kind;
      const Database* live = db.live;
      std::string token = naming::DbToken(db_id);

      // Captures of the database on the source side (for "on its way").
      std::optional<TimePoint> newest_capture;
      std::vector<InFlightCopy> capture_flights;
      for (const auto& e : index.Lineages(source, "", token, kind)) {
        if (!e.OursFor(db_id, p.name)) continue;
        SnapshotStatus st = e.status;
        if (st == SnapshotStatus::kAvailable || IsInFlight(st))
          if (!newest_capture || e.lineage.recovery_point > *newest_capture)
            newest_capture = e.lineage.recovery_point;
        if (IsInFlight(st)) capture_flights.push_back(ToInFlight(e));
      }
      // Without the source scope, the newest capture each target account
      // sees shared (available ones only: nothing else is shared).
      std::map<std::string, TimePoint> newest_shared;  // target account -> point
      if (!src) {
        for (const auto& account : share_accounts) {
          for (const auto& e : index.SharedCaptures(Scope{account, p.source_region},
                                                    source.account_id, token, kind)) {
            if (e.snapshot->scope != source || e.snapshot->db_id != db_id ||
                e.status != SnapshotStatus::kAvailable || !e.point_trusted)
              continue;
            auto [it, fresh] = newest_shared.emplace(account, e.lineage.recovery_point);
            if (!fresh) it->second = std::max(it->second, e.lineage.recovery_point);
          }
        }
      }

      for (const auto& t : p.targets) {
        for (const auto& r : t.regions) {
          TargetStatus row;
          row.policy = p.name;
          row.kind = kind;
          row.db_id = db_id;
          row.database_exists = live != nullptr || !src;  // vault side: cannot tell
          row.source = source;
          row.target = Scope{t.account_id, r.region};
          row.rpo = p.rpo;
          row.in_flight = capture_flights;
          std::optional<TimePoint> newest_source_point = newest_capture;
          if (auto it = newest_shared.find(t.account_id); it != newest_shared.end())
            newest_source_point = it->second;

          std::vector<RetentionItem> items;
          const LineageEntry* newest = nullptr;
          std::optional<TimePoint> newest_in_flight;
          // Failed hop/vault copies (kept until their retry is issued): so
          // that "never vaulted" says what failed.
          int failed_copies = 0;
          const Snapshot* newest_failed = nullptr;
          bool copy_in_flight = false;
          const Snapshot* oldest_failed = nullptr;
          auto note_failed = [&](const Snapshot& s) {
            ++failed_copies;
            if (!newest_failed || s.create_time >= newest_failed->create_time) newest_failed = &s;
            if (!oldest_failed || s.create_time < oldest_failed->create_time) oldest_failed = &s;
          };
          for (const auto& e : index.Lineages(row.target, p.source_account_id, token, kind)) {
            if (e.lineage.stage != NameStage::kVault || !e.OursFor(db_id, p.name)) continue;
            SnapshotStatus st = e.status;
            if (st == SnapshotStatus::kFailed) note_failed(*e.snapshot);
            if (IsInFlight(st)) {
              copy_in_flight = true;
              row.in_flight.push_back(ToInFlight(e));
              if (!newest_in_flight || e.lineage.recovery_point > *newest_in_flight)
                newest_in_flight = e.lineage.recovery_point;
            }
            if (st == SnapshotStatus::kFailed || st == SnapshotStatus::kDeleting) continue;
            items.push_back(RetentionItem{e.snapshot->id, e.lineage.recovery_point,
                                          st == SnapshotStatus::kAvailable,
                                          SnapshotStatusName(st)});
            if (st != SnapshotStatus::kAvailable) continue;
            ++row.vaulted_copies;
            if (!newest || e.lineage.recovery_point >= newest->lineage.recovery_point) newest = &e;
          }
          Scope hop_scope{t.account_id, p.source_region};
          if (!(hop_scope == row.target) && !(hop_scope == source)) {
            for (const auto& e : index.Lineages(hop_scope, p.source_account_id, token, kind)) {
              if (e.lineage.stage != NameStage::kHop || !e.OursFor(db_id, p.name)) continue;
              if (e.status == SnapshotStatus::kFailed) note_failed(*e.snapshot);
              if (!IsInFlight(e.status)) continue;
              copy_in_flight = true;
              row.in_flight.push_back(ToInFlight(e));
            }
          }
          std::sort(row.in_flight.begin(), row.in_flight.end(),
                    [](const InFlightCopy& a, const InFlightCopy& b) {
                      return std::tie(a.recovery_point, a.scope, a.snapshot_id) <
                             std::tie(b.recovery_point, b.scope, b.snapshot_id);
                    });

          // Retention tiers present.
          std::map<std::string, int> tiers;
          for (const auto& d : ApplyRetention(items, p.retention, now)) {
            if (!d.keep) continue;
            for (const auto& reason : d.reasons) {
              std::string tier = reason.substr(0, reason.find_first_of(" ("));
              if (tier == "in" || tier == "not") continue;  // "in flight", "not available"
              ++tiers[tier];
            }
          }
          static const char* kOrder[] = {"newest", "last",   "within",  "hourly",
                                         "daily",  "weekly", "monthly", "yearly"};
          for (const char* tier : kOrder)
            if (auto it = tiers.find(tier); it != tiers.end())
              row.tiers.push_back(RetentionTier{tier, it->second});

          row.last_verification =
              verify::LastVerification(index, row.target, p.source_account_id, kind, db_id, p.name);
          if (newest) {
            row.newest_point = newest->lineage.recovery_point;
            row.newest_snapshot_id = newest->snapshot->id;
            row.age = duration_cast<seconds>(now - *row.newest_point);
          }
          const bool source_blind = bad_scopes.count(source) > 0;
          const bool hop_blind = !(hop_scope == row.target) && bad_scopes.count(hop_scope) > 0;
          bool on_its_way =
              newest && ((newest_source_point && *newest_source_point > *row.newest_point) ||
                         (newest_in_flight && *newest_in_flight > *row.newest_point));
          std::string age = FormatDuration(row.age), rpo = FormatDuration(p.rpo);
          std::string failed;  // "N failed copies, the first X (T), the newest Y (T) (AWS status 's')"
          if (newest_failed) {
            failed = std::to_string(failed_copies) + " failed cop" +
                     (failed_copies == 1 ? "y" : "ies") + ", the newest " + newest_failed->id +
                     " at " + FormatIso8601Seconds(newest_failed->create_time) + " (AWS status '" +
                     (newest_failed->status_text.empty() ? std::string("failed")
                                                         : newest_failed->status_text) +
                     "')";
            if (failed_copies > 1 && oldest_failed)
              failed += ", the first " + oldest_failed->id + " at " +
                        FormatIso8601Seconds(oldest_failed->create_time);
          }
          // Only the target scope decides whether a recoverable copy exists:
          // the others (source, hop) only say whether a newer one is coming.
          if (bad_scopes.count(row.target)) {
            row.state = RpoState::kUnknown;
            row.reason = "scope " + row.target.ToString() +
                         " could not be observed completely: whether a recoverable copy exists "
                         "there is unknown";
          } else if (!newest) {
            row.state = RpoState::kBreached;
            if (!live && src && src->complete) {
              row.reason = "the source database is gone and no copy was ever vaulted here";
            } else if (copy_in_flight) {
              row.reason = "never vaulted yet; a first copy is in flight";
              if (!failed.empty()) row.reason += " after " + failed;
            } else if (!failed.empty()) {
              row.reason = "never vaulted: every copy failed (" + failed + ")";
              if (!row.in_flight.empty()) row.reason += "; a capture is in flight";
            } else {
              row.reason = row.in_flight.empty() ? "never vaulted in this target"
                                                 : "never vaulted yet; a capture is in flight";
            }
            if (oldest_failed) row.since = oldest_failed->create_time;
          } else if (!row.database_exists) {
            // Nothing newer can come; the copies are kept per retention.
            row.state = RpoState::kOk;
            row.reason = "the source database no longer exists; its newest recoverable point (" +
                         FormatIso8601Seconds(*row.newest_point) + ") is kept per retention";
          } else if (row.age > p.rpo) {
            row.state = RpoState::kBreached;
            row.since = *row.newest_point + p.rpo;
            row.reason = "the newest recoverable point is " + age + " old, over the rpo " + rpo +
                         " since " + FormatIso8601Seconds(*row.since);
            if (!failed.empty()) row.reason += "; " + failed;
          } else if (row.age * 5 > p.rpo * 4 && !on_its_way) {
            row.state = RpoState::kAtRisk;
            row.since = *row.newest_point + p.rpo * 4 / 5;
            row.reason = "the newest recoverable point is " + age + " old (over 80% of rpo " + rpo +
                         ") and " +
                         (source_blind || hop_blind
                              ? std::string("whether a newer point is on its way is unknown")
                              : std::string("no newer point is on its way"));
            if (!failed.empty()) row.reason += "; " + failed;
          } else {
            row.state = RpoState::kOk;
            row.reason =
                "the newest recoverable point is " + age + " old, within rpo " + rpo +
                (on_its_way && row.age * 5 > p.rpo * 4 ? "; a newer one is on its way" : "");
          }
          // The key cause (engine/preflight.h): the target account may not
          // use the key that encrypts this database's captures.
          if (row.state != RpoState::kOk && row.state != RpoState::kUnknown &&
              t.account_id != p.source_account_id) {
            std::vector<std::string_view> capture_keys;
            for (const auto& e : index.SharedCaptures(Scope{t.account_id, p.source_region},
                                                      source.account_id, token, kind))
              if (e.snapshot->encrypted) capture_keys.push_back(e.snapshot->kms_key_id);
            const KeyAccess* refused =
                CaptureKeyRefused(inventory, t.account_id, capture_keys, live, p, src);
            if (refused)
              row.reason = "account " + t.account_id + " may not use key " + refused->key_arn +
                           " (AWS: " + refused->use.code + "): " + row.reason;
          }
          // A default-key database and no share key: nothing of it can be
          // shared, so no target account can ever vault it.
          if (row.state != RpoState::kOk && row.state != RpoState::kUnknown && live &&
              t.account_id != p.source_account_id && p.share_key.empty() && live->encrypted &&
              IsDefaultRdsKey(live->kms_key_id, src))
            row.reason = db_id + " is encrypted with the default RDS key, which cannot be "
                         "shared, and policy '" + p.name + "' has no source.share_key: " +
                         row.reason;
          // What AWS refused for this pair and drsnap's ledger remembers
          // (engine/ledger.h): the newest refusal in the scopes its calls
          // are made in (the vault copy's, the hop's, the capture's).
          if (row.state != RpoState::kOk && row.state != RpoState::kUnknown) {
            const Refusal* newest_refusal = nullptr;
            for (const Scope& s : {row.target, hop_scope, source}) {
              const ScopeInventory* si = index.Find(s);
              if (!si) continue;
              for (const Refusal& refusal : si->ledger.refusals) {
                const size_t colon = refusal.action.find(':');
                if (colon == std::string::npos) continue;
                auto lineage = naming::ParseNameView(std::string_view(refusal.action).substr(colon + 1));
                if (!lineage || lineage->db_token != token) continue;
                if (!lineage->source_account.empty() &&
                    lineage->source_account != p.source_account_id)
                  continue;
                if (!newest_refusal || refusal.last > newest_refusal->last) newest_refusal = &refusal;
              }
            }
            if (newest_refusal) {
              row.reason = DescribeRefusal(*newest_refusal) + ": " + row.reason;
              if (!row.since) row.since = newest_refusal->first;
            }
          }
          // A full manual snapshot quota where this pair's copies are made.
          if (row.state != RpoState::kOk && row.state != RpoState::kUnknown) {
            const int k = kind == DbKind::kCluster ? 1 : 0;
            // No capture yet: the source's quota blocks first; else the DR side's.
            const std::vector<Scope> where = newest_source_point
                                                 ? std::vector<Scope>{row.target, hop_scope, source}
                                                 : std::vector<Scope>{source, hop_scope, row.target};
            for (const Scope& s : where) {
              const ScopeInventory* si = index.Find(s);
              if (!si || !si->snapshot_quota[k]) continue;
              const auto& q = *si->snapshot_quota[k];
              if (q.used < q.max) continue;
              row.reason = "the manual snapshot quota of " + s.ToString() + " is full (" +
                           std::to_string(q.used) + " of " + std::to_string(q.max) +
                           " used): " + row.reason;
              break;
            }
          }
          // A failed drill: the newest copy may not restore. At risk until a
          // later drill passes (a breach stays a breach).
          if (const auto& v = row.last_verification; v && !v->ok && row.state == RpoState::kOk) {
            row.state = RpoState::kAtRisk;
            row.since = v->at;
            row.reason = "the last restore drill failed at " + FormatIso8601Seconds(v->at) + " (" +
                         v->snapshot_id + ": " + v->detail + "); " + row.reason;
          }
          if (row.state != RpoState::kUnknown && (source_blind || hop_blind)) {
            row.reason += "; note: " + (source_blind ? source : hop_scope).ToString() +
                          " could not be observed";
          }
          report.rows.push_back(std::move(row));
        }
      }
    }
  }
  std::sort(report.rows.begin(), report.rows.end(),
            [](const TargetStatus& a, const TargetStatus& b) {
              return std::tie(a.policy, a.db_id, a.kind, a.target) <
                     std::tie(b.policy, b.db_id, b.kind, b.target);
            });
  return report;
}

}  // namespace drsnap::engine
