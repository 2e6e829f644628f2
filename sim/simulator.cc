#include "sim/simulator.h"

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/time_util.h"
#include "sim/rds_common.h"
#include "sim/state_io.h"
#include "sim/world.h"
#include "sim/world_file.h"
#include "sim/xml_writer.h"

namespace drsnap::sim {

SimResponse MakeErrorResponse(std::string_view service, int status, std::string_view code,
                              std::string_view message, std::string_view type) {
  SimResponse r;
  r.status = status;
  // Request ids of server-detected errors need no determinism.
  static std::atomic<uint64_t> counter{0};
  char buf[48];
  std::snprintf(buf, sizeof buf, "e0000000-0000-4000-8000-%012llx",
                static_cast<unsigned long long>(++counter));
  r.request_id = buf;
  if (service == "kms") {
    r.content_type = "application/x-amz-json-1.1";
    r.body =
        nlohmann::json{{"__type", std::string(code)}, {"message", std::string(message)}}.dump();
    return r;
  }
  r.content_type = "text/xml";
  r.body = QueryError(service == "sts" ? kStsXmlns : kRdsXmlns, type, code, message, r.request_id);
  return r;
}

Simulator::Simulator(std::unique_ptr<World> world) : world_(std::move(world)) {}
Simulator::~Simulator() = default;

Result<std::unique_ptr<Simulator>> Simulator::FromWorldFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Error::Terminal("WorldFileNotFound", "cannot read world file " + path));
  std::stringstream ss;
  ss << in.rdbuf();
  return FromWorldText(ss.str(), path);
}

Result<std::unique_ptr<Simulator>> Simulator::FromWorldText(std::string_view text,
                                                            std::string_view name_for_errors) {
  auto w = LoadWorld(text, name_for_errors);
  if (!w) return Fail(std::move(w).error().With("loading world"));
  return std::unique_ptr<Simulator>(new Simulator(std::move(*w)));
}

std::unique_ptr<Simulator> Simulator::Empty(std::optional<TimePoint> start) {
  auto w = std::make_unique<World>();
  if (start) w->now = *start;
  return std::unique_ptr<Simulator>(new Simulator(std::move(w)));
}

SimResponse Simulator::Handle(const SimRequest& request) {
  SimResponse resp;
  std::vector<nlohmann::json> events;
  {
    std::lock_guard<std::mutex> lock(mu_);
    try {
      if (request.service == "rds")
        resp = world_->HandleRds(request);
      else if (request.service == "sts")
        resp = world_->HandleSts(request);
      else if (request.service == "kms")
        resp = world_->HandleKms(request);
      else
        resp = MakeErrorResponse("rds", 400, "InvalidAction", "Unknown service " + request.service);
    } catch (const std::exception& e) {
      resp = MakeErrorResponse(request.service, 500, "InternalFailure",
                               std::string("internal error: ") + e.what(), "Receiver");
    }
    events = world_->TakeNewEvents(has_sink_.load());
  }
  Emit(std::move(events));
  return resp;
}

std::optional<AccessKey> Simulator::LookupAccessKey(std::string_view access_key_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = world_->access_keys.find(access_key_id);
  if (it == world_->access_keys.end()) return std::nullopt;
  return it->second;
}

TimePoint Simulator::Now() const {
  std::lock_guard<std::mutex> lock(mu_);
  return world_->now;
}

void Simulator::Advance(Duration d) {
  std::vector<nlohmann::json> events;
  {
    std::lock_guard<std::mutex> lock(mu_);
    world_->AdvanceTo(world_->now + d);
    events = world_->TakeNewEvents(has_sink_.load());
  }
  Emit(std::move(events));
}

void Simulator::SetTime(TimePoint t) {
  std::vector<nlohmann::json> events;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (t >= world_->now)
      world_->AdvanceTo(t);
    else
      world_->now = t;
    events = world_->TakeNewEvents(has_sink_.load());
  }
  Emit(std::move(events));
}

Status Simulator::LoadWorldText(std::string_view text, std::string_view name_for_errors) {
  auto w = LoadWorld(text, name_for_errors);
  if (!w) return Fail(std::move(w).error().With("loading world"));
  std::lock_guard<std::mutex> lock(mu_);
  world_ = std::move(*w);
  return OkStatus();
}

std::string Simulator::DumpStateJson() const {
  std::lock_guard<std::mutex> lock(mu_);
  return DumpState(*world_);
}

Status Simulator::LoadStateJson(std::string_view json) {
  auto w = LoadState(json);
  if (!w) return Fail(std::move(w).error().With("loading simulator state"));
  std::lock_guard<std::mutex> lock(mu_);
  world_ = std::move(*w);
  return OkStatus();
}

std::vector<nlohmann::json> Simulator::Events(TimePoint since) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<nlohmann::json> out;
  for (const EventRec& e : world_->events)
    if (e.time >= since) out.push_back(EventJson(e));
  return out;
}

nlohmann::json Simulator::Snapshots(std::string_view account, std::string_view region) const {
  std::lock_guard<std::mutex> lock(mu_);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [key, sp] : world_->scopes) {
    const Scope& s = *sp;
    if (!account.empty() && s.account != account) continue;
    if (!region.empty() && s.region != region) continue;
    for (int k = 0; k < 2; ++k) {
      for (const auto& [id, snap] : s.snaps[k]) {
        nlohmann::json by = {{"source", "unknown"}};
        if (const Creator* c = snap->creator.get()) {
          by = {{"source", c->source}};
          if (c->source == "api") {
            by["account"] = c->account;
            by["principal_arn"] = c->principal_arn;
            by["user_agent"] = c->user_agent;
            by["action"] = c->action;
          }
        }
        nlohmann::json e = {{"account", s.account},
                            {"region", s.region},
                            {"id", snap->id},
                            {"arn", SnapshotArn(*snap)},
                            {"cluster", snap->cluster},
                            {"type", snap->automated ? "automated" : "manual"},
                            {"status", std::string(ShownStatus(*snap, *world_))},
                            {"created", FormatIso8601(snap->create_time)},
                            {"created_by", std::move(by)}};
        if (!snap->source_arn.empty()) e["source_arn"] = snap->source_arn;
        out.push_back(std::move(e));
      }
    }
  }
  return out;
}

void Simulator::SetEventSink(std::function<void(const nlohmann::json&)> sink) {
  std::lock_guard<std::mutex> lock(sink_mu_);
  has_sink_ = static_cast<bool>(sink);
  sink_ = std::move(sink);
}

void Simulator::Emit(std::vector<nlohmann::json> events) {
  if (events.empty()) return;
  std::function<void(const nlohmann::json&)> sink;
  {
    std::lock_guard<std::mutex> lock(sink_mu_);
    sink = sink_;
  }
  if (!sink) return;
  for (const auto& e : events) sink(e);
}

Status Simulator::InjectFault(const nlohmann::json& spec) {
  if (!spec.is_object() || !spec.contains("kind") || !spec["kind"].is_string())
    return Fail(Error::Terminal("InvalidFault", "a fault needs a string \"kind\""));
  std::string kind = spec["kind"];
  std::lock_guard<std::mutex> lock(mu_);
  if (kind == "clear") {
    world_->faults.clear();
    return OkStatus();
  }
  if (kind != "fail_copies" && kind != "fail_snapshots" && kind != "fail_restores")
    return Fail(Error::Terminal("UnknownFault", "not a world fault: " + kind));
  WorldFault f;
  f.kind = kind;
  f.account = spec.value("account", "");
  f.region = spec.value("region", "");
  f.remaining = spec.value("count", 1);
  if (f.remaining <= 0) return Fail(Error::Terminal("InvalidFault", "\"count\" must be positive"));
  world_->faults.push_back(f);
  return OkStatus();
}

nlohmann::json Simulator::Settings() const {
  std::lock_guard<std::mutex> lock(mu_);
  return world_->settings.ToJson();
}

Status Simulator::UpdateSettings(const nlohmann::json& settings) {
  std::lock_guard<std::mutex> lock(mu_);
  return world_->settings.Update(settings);
}

}  // namespace drsnap::sim
