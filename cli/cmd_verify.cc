// drsnap verify: restore drills (engine/verify.h), run to completion.
#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/output.h"
#include "cloud/decorators.h"
#include "core/time_util.h"
#include "engine/verify.h"

namespace drsnap::cli {
namespace {

using engine::verify::DrillActionKind;
using engine::verify::DrillActionResult;
using engine::verify::DrillPhase;
using engine::verify::DrillState;

const std::vector<FlagSpec> kFlags = {
    {"db", true, "ID", "only this database (its identifier in the source account)"},
    {"target", true, "ACCOUNT/REGION",
     "only this DR target region; ACCOUNT is the account's name in the policy or its id"},
    {"force", false, "", "drill now even where the last drill is newer than `every`"},
    {"no-wait", false, "",
     "take one step (start, record, clean up what is ready) and return; run again to continue"},
    {"interval", true, "DURATION", "how often to look at a running restore (default 30s)"},
    {"dry-run", false, "", "show what would be done; restore, tag and delete nothing"},
    {"output", true, "table|json", "report format (default table)"},
    ClockUrlFlag(),
};

std::string Key(const std::string& policy, engine::DbKind kind, const std::string& db,
                const engine::Scope& target) {
  return policy + "/" + db + "/" + engine::DbKindName(kind) + "/" + target.ToString();
}

// "vault/eu-west-1" or "222222222222/eu-west-1" -> the scope.
Result<engine::Scope> ParseTarget(const std::string& text, const config::Config& cfg) {
  size_t slash = text.find('/');
  auto bad = [&](const std::string& why) {
    return Fail(Error::Terminal("UsageError", "--target '" + text + "' " + why));
  };
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size())
    return bad("is not ACCOUNT/REGION, e.g. vault/eu-west-1");
  std::string account = text.substr(0, slash);
  std::string region = text.substr(slash + 1);
  const config::Account* a = cfg.FindAccount(account);
  if (a == nullptr) a = cfg.FindAccountById(account);
  if (a == nullptr) return bad("names no account of the policy file");
  return engine::Scope{a->id, region};
}

// What a drill came to in this run, for the report.
struct Row {
  const DrillState* state = nullptr;
  std::string result;  // "passed", "FAILED", "not due", "running", "no copy", "unknown"
  std::string detail;
  bool problem = false;
  std::string error;  // the last failed step of this drill, if any
};

}  // namespace

int RunVerifyCommand(CommandContext& ctx) {
  auto flags = ParseFlags(ctx.args, kFlags);
  if (!flags) return Usage(ctx, "verify", flags.error().message);
  if (flags->help) {
    std::fputs(
        FormatHelp(
            "verify",
            "[--config FILE] [--db ID] [--target ACCOUNT/REGION] [--force] [--no-wait] "
            "[--dry-run]",
            "Restore drills: proves that the DR copies restore. For every protected\n"
            "database and every DR target region with a `verify:` block (see\n"
            "docs/configuration.md), restores the newest available vault copy to a\n"
            "throw-away instance (Aurora: cluster) named drsnap-verify-<db>-<point> in\n"
            "the DR account, waits for it to become available, records the result in\n"
            "tags on the vault copy (drsnap:verified-at, drsnap:verify-result,\n"
            "drsnap:verify-detail: `drsnap status --output html` shows them), and\n"
            "deletes the instance (no final snapshot, no automated backups kept).\n"
            "A drill that is not available within the region's `timeout` (default 2h)\n"
            "failed. A drill runs when it is due: the last one is older than the\n"
            "region's `every` (without `every`: on every run); --force drills anyway.\n"
            "Only databases named drsnap-verify-* that carry drsnap's tags are ever\n"
            "deleted. Interrupting verify is safe: the next run finds the drill\n"
            "instance, finishes the drill and cleans up.\n"
            "Runs with the DR account's credentials only (the vault role needs the\n"
            "restore permissions in deploy/vault.yaml).\n"
            "Exit status: 0 every drill passed (or was not due), 1 a drill failed, no\n"
            "copy could be restored, a step failed or a target could not be listed,\n"
            "2 bad usage or config.",
            kFlags,
            "  drsnap verify --config drsnap.yaml\n"
            "  drsnap verify --db orders-prod --target vault/eu-west-1 --force\n"
            "  drsnap verify --no-wait      # from cron: start drills, finish them next time\n"
            "  drsnap verify --dry-run --output json\n")
            .c_str(),
        ctx.out);
    return 0;
  }
  if (!flags->positional.empty())
    return Usage(ctx, "verify", "unexpected argument '" + flags->positional[0] + "'; see --help");
  // First, so that every later message is in the chosen log format.
  if (auto st = ApplyLogFlags(*flags); !st) return Usage(ctx, "verify", st.error().message);
  std::string output = flags->Get("output").value_or("table");
  if (output != "table" && output != "json")
    return Usage(ctx, "verify", "--output '" + output + "' is not table or json");
  std::chrono::seconds interval(30);
  if (auto v = flags->Get("interval")) {
    auto d = ParseDuration(*v);
    if (!d || d->count() <= 0)
      return Usage(ctx, "verify", "--interval '" + *v + "' is not a duration such as 30s or 1m");
    interval = *d;
  }
  FillDefaults(ctx);
  if (auto st = ApplyClockFlag(ctx, *flags); !st) return Failure(ctx, "verify", st.error());
  auto cfg = LoadConfigFromFlags(*flags, *ctx.env);
  if (!cfg) return Failure(ctx, "verify", cfg.error());

  engine::verify::DrillRunOptions opt;
  opt.drill.force = flags->Has("force");
  opt.drill.db_id = flags->Get("db").value_or("");
  if (auto t = flags->Get("target")) {
    auto scope = ParseTarget(*t, *cfg);
    if (!scope) return Usage(ctx, "verify", scope.error().message);
    opt.drill.target = *scope;
  }
  if (engine::verify::DrillScopes(*cfg, opt.drill).empty())
    return Usage(ctx, "verify",
                 opt.drill.target
                     ? "target " + opt.drill.target->ToString() +
                           " has no `verify:` block in the policy file; see docs/configuration.md"
                     : std::string("no DR target region has a `verify:` block in the policy "
                                   "file, so there is nothing to drill; see "
                                   "docs/configuration.md"));
  const bool dry_run = flags->Has("dry-run");
  auto made = ctx.make_cloud(*cfg);
  if (!made) return Failure(ctx, "verify", made.error());
  std::shared_ptr<engine::Cloud> cloud = *made;
  std::shared_ptr<cloud::DryRunCloud> dry;
  if (dry_run) {
    dry = std::make_shared<cloud::DryRunCloud>(cloud);
    cloud = dry;
  }
  opt.wait = !dry_run && !flags->Has("no-wait");
  opt.interval = interval;
  InstallStopHandlers();
  StopNotice stop_notice;
  opt.stop = &StopFlag();
  opt.on_round = [&](const engine::verify::DrillPlan& plan,
                     const std::vector<DrillActionResult>& results) {
    for (const auto& r : results)
      Log().Log(r.ok ? LogLevel::kInfo : LogLevel::kWarn, "drill step",
                {{"step", engine::verify::DrillActionKindName(r.action.kind)},
                 {"scope", r.action.scope.ToString()},
                 {"db", r.action.db_id},
                 {"drill", r.action.drill_id},
                 {"outcome", r.ok ? "done" : "failed"},
                 {"message", r.message}});
    for (const auto& d : plan.drills)
      if (d.phase == DrillPhase::kRunning)
        LogInfo("drill running", {{"scope", d.target.ToString()},
                                  {"db", d.db_id},
                                  {"drill", d.drill_id},
                                  {"status", d.db_status}});
  };
  engine::verify::DrillRun run = engine::verify::RunDrills(*cloud, *cfg, *ctx.clock, opt);

  // The last failed step per drill, unless a later step of the same kind
  // succeeded.
  std::map<std::string, std::string> errors;
  for (const auto& r : run.results) {
    std::string key = Key(r.action.policy, r.action.db_kind, r.action.db_id, r.action.scope) + "/" +
                      engine::verify::DrillActionKindName(r.action.kind);
    if (r.ok)
      errors.erase(key);
    else
      errors[key] = r.message;
  }

  std::vector<Row> rows;
  int failed = 0, no_copy = 0, running = 0, unknown = 0, step_errors = 0;
  for (const auto& d : run.last.drills) {
    Row row;
    row.state = &d;
    std::string prefix = Key(d.policy, d.kind, d.db_id, d.target) + "/";
    for (const auto& [k, msg] : errors)
      if (k.starts_with(prefix)) row.error = msg;
    switch (d.phase) {
      case DrillPhase::kPassed:
        row.result = "passed";
        break;
      case DrillPhase::kFailed:
        row.result = "FAILED";
        row.problem = true;
        ++failed;
        break;
      case DrillPhase::kNotDue:
        row.result = "not due";
        break;
      case DrillPhase::kNoCopy:
        row.result = "no copy";
        row.problem = true;
        ++no_copy;
        break;
      case DrillPhase::kStarting:
      case DrillPhase::kRunning:
        row.result = dry_run ? "would start" : "running";
        ++running;
        break;
      case DrillPhase::kIncomplete:
        row.result = "unknown";
        row.problem = true;
        ++unknown;
        break;
    }
    row.detail = d.message;
    if (!row.error.empty()) {
      row.problem = true;
      ++step_errors;
    }
    rows.push_back(std::move(row));
  }
  if (!opt.drill.db_id.empty() && rows.empty())
    return Failure(ctx, "verify",
                   Error::Terminal("NotFound", "no vault copy of database '" + opt.drill.db_id +
                                                   "' was found in the selected DR target regions; "
                                                   "check --db (the source database id)"),
                   1);

  // The one sentence.
  std::string verdict;
  int exit_code = 0;
  if (rows.empty()) {
    verdict =
        "Nothing to drill: no protected database has a vault copy in the selected DR target "
        "regions yet.";
    exit_code = 1;
  } else if (failed > 0) {
    verdict = std::to_string(failed) + " of " + std::to_string(rows.size()) +
              " restore drill(s) FAILED: those DR copies did not restore.";
    exit_code = 1;
  } else if (no_copy > 0) {
    verdict = std::to_string(no_copy) +
              " database(s) have no available vault copy to restore: nothing proves they are "
              "recoverable there.";
    exit_code = 1;
  } else if (unknown > 0) {
    verdict = std::to_string(unknown) +
              " drill(s) could not be checked: a DR target region could not be listed.";
    exit_code = 1;
  } else if (step_errors > 0) {
    verdict = std::to_string(step_errors) +
              " drill step(s) failed (see the table); the next `drsnap verify` retries them.";
    exit_code = 1;
  } else if (run.interrupted) {
    verdict = "Interrupted: " + std::to_string(running) +
              " drill(s) still running; run `drsnap verify` again to finish them.";
    exit_code = 1;
  } else if (dry_run) {
    verdict = "Dry run: nothing was changed.";
  } else if (running > 0) {
    verdict = std::to_string(running) +
              " drill(s) started or running; run `drsnap verify` again to finish them.";
  } else {
    int passed = static_cast<int>(
        std::ranges::count_if(rows, [](const Row& r) { return r.result == "passed"; }));
    verdict = passed > 0 ? "Every restore drill passed (" + std::to_string(passed) + ")."
                         : "No drill was due; the last ones passed.";
    if (passed == 0 && std::ranges::any_of(rows, [](const Row& r) {
          return r.state->last && !r.state->last->ok;
        })) {
      verdict = "No drill was due, but the last drill of some database FAILED.";
      exit_code = 1;
    }
  }

  if (output == "json") {
    nlohmann::json j;
    j["drills"] = nlohmann::json::array();
    for (const auto& r : rows) {
      const DrillState& d = *r.state;
      nlohmann::json x = {{"policy", d.policy},
                          {"db", d.db_id},
                          {"kind", engine::DbKindName(d.kind)},
                          {"target", d.target.ToString()},
                          {"phase", engine::verify::DrillPhaseName(d.phase)},
                          {"result", r.result},
                          {"message", d.message},
                          {"drill", d.drill_id},
                          {"snapshot", d.snapshot_id}};
      if (!r.error.empty()) x["error"] = r.error;
      if (d.last)
        x["last"] = {{"at", FormatIso8601Seconds(d.last->at)},
                     {"ok", d.last->ok},
                     {"snapshot", d.last->snapshot_id},
                     {"detail", d.last->detail}};
      j["drills"].push_back(std::move(x));
    }
    if (dry) j["would_do"] = dry->Recorded();
    j["rounds"] = run.rounds;
    j["verdict"] = verdict;
    j["exit_code"] = exit_code;
    std::fputs((j.dump(2) + "\n").c_str(), ctx.out);
  } else {
    std::string text;
    if (dry) {
      text += "Dry run: nothing was changed. Would:\n";
      for (const auto& line : dry->Recorded()) text += "  " + line + "\n";
      if (dry->Recorded().empty()) text += "  (nothing)\n";
    }
    std::vector<std::vector<std::string>> table = {{"DATABASE", "TARGET", "RESULT", "DETAIL"}};
    for (const auto& r : rows) {
      std::string detail = r.detail;
      if (!r.error.empty()) detail += "; step failed: " + r.error;
      table.push_back({r.state->db_id, r.state->target.ToString(), r.result, detail});
    }
    if (!rows.empty()) text += Table(table);
    text += verdict + "\n";
    std::fputs(text.c_str(), ctx.out);
  }
  if (exit_code != 0 && output == "json") {
    if (Log().format() == LogFormat::kJson)
      LogWarn(verdict, {{"command", "verify"}, {"exit_code", exit_code}});
    else
      std::fprintf(ctx.err, "drsnap verify: %s\n", verdict.c_str());
  }
  return exit_code;
}

DRSNAP_REGISTER_COMMAND("verify", "restore drills: restore the newest DR copy, check, delete",
                        RunVerifyCommand);

}  // namespace drsnap::cli
