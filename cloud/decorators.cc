#include "cloud/decorators.h"

#include <chrono>

namespace drsnap::cloud {

using engine::Database;
using engine::DbKind;
using engine::Scope;
using engine::Snapshot;

// ---------------------------------------------------------------- logging

namespace {

class Timer {
 public:
  Timer() : start_(std::chrono::steady_clock::now()) {}
  int64_t Ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 start_)
        .count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

template <class R>
void LogResult(Logger& log, bool mutating, const char* op, const R& r, LogFields f,
               const Timer& t) {
  f.emplace_back("ms", t.Ms());
  // The executor reports each action's outcome itself; this is the API
  // trace beneath it: debug, except failed reads (they make a scope
  // incomplete) at info.
  (void)mutating;
  if (r) {
    log.Log(LogLevel::kDebug, op, f);
  } else {
    f.emplace_back("error", r.error().ToString());
    log.Log(mutating ? LogLevel::kDebug : LogLevel::kInfo, std::string(op) + " failed", f);
  }
}

}  // namespace

LoggingCloud::LoggingCloud(std::shared_ptr<engine::Cloud> inner, Logger* logger)
    : CloudWrapper(std::move(inner)), log_(logger != nullptr ? logger : &Log()) {}

Result<std::vector<Database>> LoggingCloud::ListDatabases(const Scope& scope) {
  Timer t;
  auto r = CloudWrapper::ListDatabases(scope);
  LogFields f{{"scope", scope.ToString()}};
  if (r) f.emplace_back("count", r->size());
  LogResult(*log_, false, "list databases", r, f, t);
  return r;
}

Result<std::vector<Snapshot>> LoggingCloud::ListSnapshots(const Scope& scope) {
  Timer t;
  auto r = CloudWrapper::ListSnapshots(scope);
  LogFields f{{"scope", scope.ToString()}};
  if (r) f.emplace_back("count", r->size());
  LogResult(*log_, false, "list snapshots", r, f, t);
  return r;
}

Result<std::vector<std::string>> LoggingCloud::ListSharedAccounts(const Scope& scope, DbKind kind,
                                                                  const std::string& id) {
  Timer t;
  auto r = CloudWrapper::ListSharedAccounts(scope, kind, id);
  LogResult(*log_, false, "read restore attribute", r,
            {{"scope", scope.ToString()}, {"snapshot", id}}, t);
  return r;
}

Result<std::string> LoggingCloud::DefaultRdsKeyArn(const Scope& scope) {
  Timer t;
  auto r = CloudWrapper::DefaultRdsKeyArn(scope);
  LogResult(*log_, false, "describe default key", r, {{"scope", scope.ToString()}}, t);
  return r;
}

Result<Snapshot> LoggingCloud::DescribeSnapshot(const Scope& scope, DbKind kind,
                                                const std::string& id) {
  Timer t;
  auto r = CloudWrapper::DescribeSnapshot(scope, kind, id);
  LogResult(*log_, false, "describe snapshot", r, {{"scope", scope.ToString()}, {"snapshot", id}},
            t);
  return r;
}

Result<Snapshot> LoggingCloud::CreateSnapshot(const Scope& scope, DbKind kind,
                                              const std::string& db_id, const std::string& id,
                                              const engine::Tags& tags) {
  Timer t;
  auto r = CloudWrapper::CreateSnapshot(scope, kind, db_id, id, tags);
  LogResult(*log_, true, "create snapshot", r,
            {{"scope", scope.ToString()},
             {"kind", engine::DbKindName(kind)},
             {"db", db_id},
             {"snapshot", id}},
            t);
  return r;
}

Result<Snapshot> LoggingCloud::CopySnapshot(const Scope& destination,
                                            const engine::CopyRequest& request) {
  Timer t;
  auto r = CloudWrapper::CopySnapshot(destination, request);
  LogResult(*log_, true, "copy snapshot", r,
            {{"scope", destination.ToString()},
             {"kind", engine::DbKindName(request.kind)},
             {"source", request.source},
             {"snapshot", request.target_id},
             {"kms_key", request.kms_key_id}},
            t);
  return r;
}

Status LoggingCloud::ShareSnapshot(const Scope& scope, DbKind kind, const std::string& id,
                                   const std::vector<std::string>& accounts) {
  Timer t;
  auto r = CloudWrapper::ShareSnapshot(scope, kind, id, accounts);
  std::string with;
  for (const auto& a : accounts) with += (with.empty() ? "" : ",") + a;
  LogResult(*log_, true, "share snapshot", r,
            {{"scope", scope.ToString()}, {"snapshot", id}, {"with", with}}, t);
  return r;
}

Status LoggingCloud::DeleteSnapshot(const Scope& scope, DbKind kind, const std::string& id) {
  Timer t;
  auto r = CloudWrapper::DeleteSnapshot(scope, kind, id);
  LogResult(*log_, true, "delete snapshot", r, {{"scope", scope.ToString()}, {"snapshot", id}}, t);
  return r;
}

Result<Database> LoggingCloud::RestoreFromSnapshot(const Scope& scope,
                                                   const engine::RestoreRequest& request) {
  Timer t;
  auto r = CloudWrapper::RestoreFromSnapshot(scope, request);
  LogResult(*log_, true, "restore snapshot", r,
            {{"scope", scope.ToString()},
             {"kind", engine::DbKindName(request.kind)},
             {"snapshot", request.snapshot_id},
             {"db", request.db_id}},
            t);
  return r;
}

Result<Database> LoggingCloud::DescribeDatabase(const Scope& scope, DbKind kind,
                                                const std::string& db_id) {
  Timer t;
  auto r = CloudWrapper::DescribeDatabase(scope, kind, db_id);
  LogResult(*log_, false, "describe database", r,
            {{"scope", scope.ToString()}, {"kind", engine::DbKindName(kind)}, {"db", db_id}}, t);
  return r;
}

Status LoggingCloud::DeleteDatabase(const Scope& scope, DbKind kind, const std::string& db_id) {
  Timer t;
  auto r = CloudWrapper::DeleteDatabase(scope, kind, db_id);
  LogResult(*log_, true, "delete database", r,
            {{"scope", scope.ToString()}, {"kind", engine::DbKindName(kind)}, {"db", db_id}}, t);
  return r;
}

Status LoggingCloud::WriteLedger(const Scope& scope, const engine::Tags& put,
                                 const std::vector<std::string>& remove) {
  Timer t;
  auto r = CloudWrapper::WriteLedger(scope, put, remove);
  LogResult(*log_, true, "write ledger", r,
            {{"scope", scope.ToString()}, {"put", put.size()}, {"remove", remove.size()}}, t);
  return r;
}

Status LoggingCloud::TagSnapshot(const Scope& scope, const std::string& snapshot_arn,
                                 const engine::Tags& tags) {
  Timer t;
  auto r = CloudWrapper::TagSnapshot(scope, snapshot_arn, tags);
  LogResult(*log_, true, "tag snapshot", r,
            {{"scope", scope.ToString()},
             {"snapshot", snapshot_arn},
             {"tags", tags.size()}},
            t);
  return r;
}

// ---------------------------------------------------------------- dry run

DryRunCloud::DryRunCloud(std::shared_ptr<engine::Cloud> inner) : CloudWrapper(std::move(inner)) {}

void DryRunCloud::Record(std::string line) {
  std::lock_guard l(mu_);
  recorded_.push_back(std::move(line));
}

std::vector<std::string> DryRunCloud::Recorded() const {
  std::lock_guard l(mu_);
  return recorded_;
}

Result<Snapshot> DryRunCloud::CreateSnapshot(const Scope& scope, DbKind kind,
                                             const std::string& db_id, const std::string& id,
                                             const engine::Tags& tags) {
  Record("create " + scope.ToString() + " " + id + " of " + db_id);
  Snapshot s;
  s.kind = kind;
  s.id = id;
  s.scope = scope;
  s.seen_from = scope;
  s.db_id = db_id;
  s.status = engine::SnapshotStatus::kCreating;
  s.status_text = "creating";
  s.tags = tags;
  return s;
}

Result<Snapshot> DryRunCloud::CopySnapshot(const Scope& destination,
                                           const engine::CopyRequest& request) {
  Record("copy " + destination.ToString() + " " + request.target_id + " <- " + request.source);
  Snapshot s;
  s.kind = request.kind;
  s.id = request.target_id;
  s.scope = destination;
  s.seen_from = destination;
  s.status = engine::SnapshotStatus::kCopying;
  s.status_text = "copying";
  s.source_arn = request.source;
  s.kms_key_id = request.kms_key_id;
  s.tags = request.tags;
  return s;
}

Status DryRunCloud::ShareSnapshot(const Scope& scope, DbKind, const std::string& id,
                                  const std::vector<std::string>& accounts) {
  std::string with;
  for (const auto& a : accounts) with += " " + a;
  Record("share " + scope.ToString() + " " + id + " with" + with);
  return OkStatus();
}

Status DryRunCloud::DeleteSnapshot(const Scope& scope, DbKind, const std::string& id) {
  Record("delete " + scope.ToString() + " " + id);
  return OkStatus();
}

Result<Database> DryRunCloud::RestoreFromSnapshot(const Scope& scope,
                                                  const engine::RestoreRequest& request) {
  Record("restore " + scope.ToString() + " " + request.db_id + " <- " + request.snapshot_id);
  Database d;
  d.kind = request.kind;
  d.id = request.db_id;
  d.scope = scope;
  d.engine = request.engine;
  d.status = "creating";
  d.tags = request.tags;
  return d;
}

Status DryRunCloud::DeleteDatabase(const Scope& scope, DbKind, const std::string& db_id) {
  Record("delete-db " + scope.ToString() + " " + db_id);
  return OkStatus();
}

Status DryRunCloud::TagSnapshot(const Scope& scope, const std::string& snapshot_arn,
                                const engine::Tags& tags) {
  std::string kv;
  for (const auto& [k, v] : tags) kv += (kv.empty() ? "" : ",") + k + "=" + v;
  Record("tag " + scope.ToString() + " " + snapshot_arn + " " + kv);
  return OkStatus();
}

Status DryRunCloud::WriteLedger(const Scope& scope, const engine::Tags& put,
                                const std::vector<std::string>& remove) {
  std::string line = "ledger " + scope.ToString();
  for (const auto& [k, v] : put) line += " +" + k + "=" + v;
  for (const auto& k : remove) line += " -" + k;
  Record(std::move(line));
  return OkStatus();
}

// ---------------------------------------------------------------- counting

CountingCloud::CountingCloud(std::shared_ptr<engine::Cloud> inner)
    : CloudWrapper(std::move(inner)) {}

void CountingCloud::Count(const char* method) {
  std::lock_guard l(mu_);
  ++counts_[method];
}

std::map<std::string, int64_t> CountingCloud::Counts() const {
  std::lock_guard l(mu_);
  return counts_;
}

int64_t CountingCloud::Total() const {
  std::lock_guard l(mu_);
  int64_t n = 0;
  for (const auto& [k, v] : counts_) n += v;
  return n;
}

void CountingCloud::Reset() {
  std::lock_guard l(mu_);
  counts_.clear();
}

Result<std::vector<Database>> CountingCloud::ListDatabases(const Scope& s) {
  Count("ListDatabases");
  return CloudWrapper::ListDatabases(s);
}
Result<std::vector<Snapshot>> CountingCloud::ListSnapshots(const Scope& s) {
  Count("ListSnapshots");
  return CloudWrapper::ListSnapshots(s);
}
Result<std::vector<std::string>> CountingCloud::ListSharedAccounts(const Scope& s, DbKind k,
                                                                   const std::string& id) {
  Count("ListSharedAccounts");
  return CloudWrapper::ListSharedAccounts(s, k, id);
}
Result<std::string> CountingCloud::DefaultRdsKeyArn(const Scope& s) {
  Count("DefaultRdsKeyArn");
  return CloudWrapper::DefaultRdsKeyArn(s);
}
Result<Snapshot> CountingCloud::DescribeSnapshot(const Scope& s, DbKind k, const std::string& id) {
  Count("DescribeSnapshot");
  return CloudWrapper::DescribeSnapshot(s, k, id);
}
Result<Snapshot> CountingCloud::CreateSnapshot(const Scope& s, DbKind k, const std::string& db,
                                               const std::string& id, const engine::Tags& t) {
  Count("CreateSnapshot");
  return CloudWrapper::CreateSnapshot(s, k, db, id, t);
}
Result<Snapshot> CountingCloud::CopySnapshot(const Scope& d, const engine::CopyRequest& r) {
  Count("CopySnapshot");
  return CloudWrapper::CopySnapshot(d, r);
}
Status CountingCloud::ShareSnapshot(const Scope& s, DbKind k, const std::string& id,
                                    const std::vector<std::string>& a) {
  Count("ShareSnapshot");
  return CloudWrapper::ShareSnapshot(s, k, id, a);
}
Status CountingCloud::DeleteSnapshot(const Scope& s, DbKind k, const std::string& id) {
  Count("DeleteSnapshot");
  return CloudWrapper::DeleteSnapshot(s, k, id);
}

Result<Database> CountingCloud::RestoreFromSnapshot(const Scope& s,
                                                    const engine::RestoreRequest& r) {
  Count("RestoreFromSnapshot");
  return CloudWrapper::RestoreFromSnapshot(s, r);
}
Result<Database> CountingCloud::DescribeDatabase(const Scope& s, DbKind k, const std::string& id) {
  Count("DescribeDatabase");
  return CloudWrapper::DescribeDatabase(s, k, id);
}
Status CountingCloud::DeleteDatabase(const Scope& s, DbKind k, const std::string& id) {
  Count("DeleteDatabase");
  return CloudWrapper::DeleteDatabase(s, k, id);
}
Status CountingCloud::TagSnapshot(const Scope& s, const std::string& arn, const engine::Tags& t) {
  Count("TagSnapshot");
  return CloudWrapper::TagSnapshot(s, arn, t);
}

// ---------------------------------------------------------------- transport

CountingTransport::CountingTransport(std::shared_ptr<aws::HttpTransport> inner)
    : inner_(std::move(inner)) {}

Result<aws::HttpResponse> CountingTransport::Send(const aws::HttpRequest& request) {
  std::string op = "unknown";
  for (const auto& [k, v] : request.headers)
    if (k == "X-Amz-Target" || k == "x-amz-target") op = v.substr(v.find('.') + 1);
  if (op == "unknown") {
    size_t pos = request.body.find("Action=");
    if (pos != std::string::npos && (pos == 0 || request.body[pos - 1] == '&')) {
      size_t end = request.body.find('&', pos);
      op = request.body.substr(pos + 7,
                               end == std::string::npos ? std::string::npos : end - pos - 7);
    }
  }
  {
    std::lock_guard l(mu_);
    ++counts_[op];
  }
  return inner_->Send(request);
}

std::map<std::string, int64_t> CountingTransport::Counts() const {
  std::lock_guard l(mu_);
  return counts_;
}

int64_t CountingTransport::Total() const {
  std::lock_guard l(mu_);
  int64_t n = 0;
  for (const auto& [k, v] : counts_) n += v;
  return n;
}

void CountingTransport::Reset() {
  std::lock_guard l(mu_);
  counts_.clear();
}

}  // namespace drsnap::cloud
