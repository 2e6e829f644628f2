// drsnap clear-anomaly: record that a person reviewed the anomaly that froze
// a database's vault retention (engine/anomaly.h), so retention resumes.
//
// The review is a tag (drsnap:anomaly-cleared = now) on the database's newest
// vault copy in every DR region: it lives in the DR account, where the
// production account cannot write, and the next reconcile (any process,
// any Lambda) reads it from there. Evidence at or before that time is no
// longer an anomaly; anything newer is judged afresh.
#include <cstdio>
#include <map>

#include "cli/command.h"
#include "core/time_util.h"
#include "engine/anomaly.h"
#include "engine/naming.h"

namespace drsnap::cli {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"db", true, "ID", "the database whose anomaly was reviewed (required)"},
    {"dry-run", false, "", "show which vault copies would be tagged; tag nothing"},
    ClockUrlFlag(),
};

// The newest available vault copy drsnap made of `db`, per DR scope.
std::map<engine::Scope, const engine::Snapshot*> NewestVaultCopies(const engine::Inventory& inv,
                                                                   const std::string& db) {
  std::map<engine::Scope, const engine::Snapshot*> out;
  for (const auto& si : inv.scopes) {
    for (const auto& s : si.snapshots) {
      if (s.status != engine::SnapshotStatus::kAvailable || !(s.scope == si.scope)) continue;
      auto lineage = engine::naming::ParseNameView(s.id);
      if (!lineage || lineage->stage != engine::naming::NameStage::kVault) continue;
      auto tags = engine::naming::FindDrsnapTags(s.tags);
      if (!tags.db || *tags.db != db ||
          !engine::naming::IsDrsnapCreated(s, *lineage, tags, inv.observed_at))
        continue;
      const engine::Snapshot*& best = out[si.scope];
      if (!best || s.recovery_point > best->recovery_point) best = &s;
    }
  }
  return out;
}

}  // namespace

int RunClearAnomalyCommand(CommandContext& ctx) {
  auto flags = ParseFlags(ctx.args, kFlags);
  if (!flags) return Usage(ctx, "clear-anomaly", flags.error().message);
  if (flags->help) {
    std::fputs(
        FormatHelp("clear-anomaly", "--db ID [--config FILE] [--dry-run]",
                   "Records that a person reviewed the anomaly that froze the vault retention\n"
                   "of a database (a burst of recovery points, an engine or storage change,\n"
                   "points out of order: see `drsnap plan`). Tags the database's newest vault\n"
                   "copy in every DR region with drsnap:anomaly-cleared = now; retention\n"
                   "resumes at the next reconcile for everything up to now. Run it with the\n"
                   "DR account's credentials, after checking the snapshots the finding names.",
                   kFlags, "  drsnap clear-anomaly --db orders-db --side vault\n")
            .c_str(),
        ctx.out);
    return 0;
  }
  if (!flags->positional.empty())
    return Usage(ctx, "clear-anomaly",
                 "unexpected argument '" + flags->positional[0] + "'; see --help");
  auto db = flags->Get("db");
  if (!db || db->empty()) return Usage(ctx, "clear-anomaly", "--db ID is required");
  if (auto st = ApplyLogFlags(*flags); !st) return Usage(ctx, "clear-anomaly", st.error().message);
  FillDefaults(ctx);
  auto rec = MakeReconciler(ctx, *flags);
  if (!rec) return Failure(ctx, "clear-anomaly", rec.error());
  engine::Inventory inv = (*rec)->Observe(8, engine::Side::kVault);
  auto copies = NewestVaultCopies(inv, *db);
  const int incomplete = inv.IncompleteScopes();
  if (copies.empty()) {
    return Failure(ctx, "clear-anomaly",
                   Error::Terminal("NotFound", "no vault copy of " + *db +
                                                   " was found in the DR account" +
                                                   (incomplete ? " (some scopes could not be listed)"
                                                               : "") +
                                                   "; nothing to clear"),
                   1);
  }
  const std::string now = FormatIso8601Seconds(inv.observed_at);
  int failed = 0;
  for (const auto& [scope, s] : copies) {
    if (flags->Has("dry-run")) {
      std::fprintf(ctx.out, "would tag %s in %s with %s=%s\n", s->id.str().c_str(),
                   scope.ToString().c_str(), std::string(engine::kTagAnomalyCleared).c_str(),
                   now.c_str());
      continue;
    }
    Status st = (*rec)->cloud().TagSnapshot(
        scope, engine::SnapshotArn(*s), engine::Tags{{std::string(engine::kTagAnomalyCleared), now}});
    if (!st) {
      ++failed;
      std::fprintf(ctx.err, "drsnap clear-anomaly: %s\n",
                   Error(st.error()).With("tag " + s->id.str() + " in " + scope.ToString()).ToString().c_str());
      continue;
    }
    std::fprintf(ctx.out, "cleared: tagged %s in %s with %s=%s\n", s->id.str().c_str(),
                 scope.ToString().c_str(), std::string(engine::kTagAnomalyCleared).c_str(),
                 now.c_str());
  }
  if (failed > 0) return 1;
  if (incomplete > 0) {
    std::fprintf(ctx.err,
                 "drsnap clear-anomaly: %d scope(s) could not be listed; run it again when they "
                 "can be, or the anomaly stays frozen there\n",
                 incomplete);
    return 1;
  }
  return 0;
}

DRSNAP_REGISTER_COMMAND("clear-anomaly",
                        "resume vault retention of a database after reviewing its anomaly",
                        RunClearAnomalyCommand);

}  // namespace drsnap::cli
