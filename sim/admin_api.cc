#include "sim/admin_api.h"

#include <chrono>
#include <cmath>
#include <utility>

#include "aws/encoding.h"
#include "core/log.h"
#include "core/time_util.h"

namespace drsnap::sim {
namespace {

// Names and tag values may hold any bytes a client sent (an invalid percent
// escape decodes to invalid UTF-8): replace those instead of failing.
std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

AdminResponse JsonResponse(int status, const nlohmann::json& body) {
  return AdminResponse{status, "application/json", Dump(body)};
}

AdminResponse ErrorJson(int status, std::string_view code, std::string_view message) {
  return JsonResponse(status, nlohmann::json{{"error", {{"code", code}, {"message", message}}}});
}

AdminResponse FromError(const Error& e) {
  int status = e.http_status >= 400 && e.http_status < 600 ? e.http_status : 400;
  return ErrorJson(status, e.code.empty() ? "Invalid" : e.code, e.message);
}

AdminResponse Ok(nlohmann::json extra = nlohmann::json::object()) {
  extra["ok"] = true;
  return JsonResponse(200, extra);
}

// Parses a JSON object body; "" counts as {}.
std::optional<nlohmann::json> ParseObject(const std::string& body) {
  if (body.empty()) return nlohmann::json::object();
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  return j;
}

std::optional<std::string> QueryValue(std::string_view raw_query, std::string_view name) {
  size_t start = 0;
  while (!raw_query.empty() && start <= raw_query.size()) {
    auto end = raw_query.find('&', start);
    if (end == std::string_view::npos) end = raw_query.size();
    std::string_view pair = raw_query.substr(start, end - start);
    start = end + 1;
    auto eq = pair.find('=');
    if (aws::UriDecode(pair.substr(0, eq), true) == name) {
      return eq == std::string_view::npos ? std::string()
                                          : aws::UriDecode(pair.substr(eq + 1), true);
    }
  }
  return std::nullopt;
}

Duration SecondsToDuration(double seconds) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
}

}  // namespace

// ---------------------------------------------------------------- TimeRunner

TimeRunner::TimeRunner(std::shared_ptr<Simulator> simulator)
    : simulator_(std::move(simulator)), thread_([this] { Loop(); }) {}

TimeRunner::~TimeRunner() { Stop(); }

Status TimeRunner::SetRate(double rate) {
  if (!(rate >= 0) || rate > 1e7) {
    Error e = Error::Terminal("InvalidParameterValue", "rate must be between 0 and 10000000");
    e.http_status = 400;
    return Fail(std::move(e));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    rate_ = rate;
  }
  cv_.notify_all();
  return OkStatus();
}

double TimeRunner::rate() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rate_;
}

void TimeRunner::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TimeRunner::Loop() {
  using std::chrono::steady_clock;
  std::unique_lock<std::mutex> lock(mu_);
  steady_clock::time_point last = steady_clock::now();
  double carry_seconds = 0;  // virtual seconds owed but not yet applied
  while (!stop_) {
    if (rate_ <= 0) {
      cv_.wait(lock, [this] { return stop_ || rate_ > 0; });
      last = steady_clock::now();
      carry_seconds = 0;
      continue;
    }
    cv_.wait_for(lock, std::chrono::milliseconds(50));
    if (stop_) break;
    steady_clock::time_point now = steady_clock::now();
    carry_seconds += std::chrono::duration<double>(now - last).count() * rate_;
    last = now;
    // Whole milliseconds only, so rounding never drifts.
    double whole_ms = std::floor(carry_seconds * 1000.0);
    if (whole_ms < 1) continue;
    carry_seconds -= whole_ms / 1000.0;
    lock.unlock();
    simulator_->Advance(std::chrono::milliseconds(static_cast<int64_t>(whole_ms)));
    lock.lock();
  }
}

// ------------------------------------------------------------ EventForwarder

bool IsLoopbackUrl(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else {
    return false;
  }
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) return false;
  std::string_view host = authority;
  if (host.starts_with("[")) {
    return host.starts_with("[::1]");
  }
  host = host.substr(0, host.find(':'));
  if (host == "localhost") return true;
  if (!host.starts_with("127.")) return false;
  // 127.a.b.c, digits only.
  int dots = 0;
  for (char c : host) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

EventForwarder::EventForwarder(std::shared_ptr<Simulator> simulator,
                               std::shared_ptr<aws::HttpTransport> transport)
    : simulator_(std::move(simulator)), transport_(std::move(transport)) {
  thread_ = std::thread([this] { Loop(); });
}

EventForwarder::~EventForwarder() { Stop(); }

Status EventForwarder::SetTarget(std::string url) {
  if (!url.empty() && !IsLoopbackUrl(url)) {
    Error e = Error::Terminal("InvalidParameterValue",
                              "the event target must be an http URL on 127.0.0.0/8, localhost "
                              "or [::1], not '" +
                                  url + "'");
    e.http_status = 400;
    return Fail(std::move(e));
  }
  bool attach = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) {
      Error e = Error::Terminal("Stopped", "the event forwarder is stopped");
      return Fail(std::move(e));
    }
    url_ = std::move(url);
    if (url_.empty()) queue_.clear();
    if (!url_.empty() && !attached_) attach = attached_ = true;
  }
  if (attach) {
    simulator_->SetEventSink([this](const nlohmann::json& event) { Enqueue(event); });
  }
  return OkStatus();
}

std::string EventForwarder::target() const {
  std::lock_guard<std::mutex> lock(mu_);
  return url_;
}

void EventForwarder::Enqueue(const nlohmann::json& event) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (url_.empty() || stop_) return;
    if (queue_.size() >= 10000) {
      queue_.pop_front();
      failed_.fetch_add(1);
    }
    queue_.push_back(Dump(event));
  }
  cv_.notify_one();
}

void EventForwarder::Stop() {
  bool detach = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
    detach = attached_;
    attached_ = false;
  }
  if (detach) simulator_->SetEventSink(nullptr);
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventForwarder::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    std::string body = std::move(queue_.front());
    queue_.pop_front();
    std::string url = url_;
    lock.unlock();
    if (!transport_) {
      aws::HttpOptions options;
      options.connect_timeout = std::chrono::milliseconds(1000);
      options.total_timeout = std::chrono::milliseconds(5000);
      transport_ = aws::NewCurlTransport(options);
    }
    aws::HttpRequest request;
    request.method = "POST";
    request.url = url;
    request.headers = {{"Content-Type", "application/json"}};
    request.body = std::move(body);
    Result<aws::HttpResponse> response = transport_->Send(request);
    if (response && response->status >= 200 && response->status < 300) {
      delivered_.fetch_add(1);
    } else {
      failed_.fetch_add(1);
      LogWarn("drsnap-sim: event delivery failed",
              {{"url", url},
               {"error", response ? "HTTP " + std::to_string(response->status)
                                  : response.error().ToString()}});
    }
    lock.lock();
  }
}

// ------------------------------------------------------------------ AdminApi

AdminApi::AdminApi(AdminContext context)
    : ctx_(std::move(context)), time_runner_(ctx_.simulator), forwarder_(ctx_.simulator) {
  if (!ctx_.wall_clock) ctx_.wall_clock = std::make_shared<SystemClock>();
}

AdminApi::~AdminApi() { Stop(); }

void AdminApi::Stop() {
  time_runner_.Stop();
  forwarder_.Stop();
}

AdminResponse AdminApi::Time() {
  return JsonResponse(200, nlohmann::json{{"now", FormatIso8601(ctx_.simulator->Now())},
                                          {"rate", time_runner_.rate()},
                                          {"wall", FormatIso8601(ctx_.wall_clock->Now())}});
}

AdminResponse AdminApi::Settings() {
  nlohmann::json s = ctx_.simulator->Settings();
  AuthOptions auth = ctx_.get_auth ? ctx_.get_auth() : AuthOptions{};
  s["signature_clock"] = SkewReferenceName(auth.skew_reference);
  s["max_skew_seconds"] = auth.max_skew.count();
  return JsonResponse(200, s);
}

AdminResponse AdminApi::PutSettings(const nlohmann::json& body) {
  nlohmann::json sim_part = body;
  AuthOptions auth = ctx_.get_auth ? ctx_.get_auth() : AuthOptions{};
  bool auth_changed = false;
  if (auto it = sim_part.find("signature_clock"); it != sim_part.end()) {
    std::optional<SkewReference> ref =
        it->is_string() ? ParseSkewReference(it->get<std::string>()) : std::nullopt;
    if (!ref) {
      return ErrorJson(400, "InvalidParameterValue",
                       "signature_clock must be \"wall\", \"simulator\" or \"off\"");
    }
    auth.skew_reference = *ref;
    auth_changed = true;
    sim_part.erase(it);
  }
  if (auto it = sim_part.find("max_skew_seconds"); it != sim_part.end()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0) {
      return ErrorJson(400, "InvalidParameterValue",
                       "max_skew_seconds must be a non-negative integer");
    }
    auth.max_skew = std::chrono::seconds(it->get<int64_t>());
    auth_changed = true;
    sim_part.erase(it);
  }
  if (!sim_part.empty()) {
    Status s = ctx_.simulator->UpdateSettings(sim_part);
    if (!s) return FromError(s.error());
  }
  if (auth_changed && ctx_.set_auth) ctx_.set_auth(auth);
  return Settings();
}

AdminResponse AdminApi::PostFaults(const nlohmann::json& body) {
  if (auto kind = body.find("kind"); kind != body.end()) {
    if (kind->is_string() && kind->get<std::string>() == "clear") {
      ctx_.faults->Clear();
    }
    Status s = ctx_.simulator->InjectFault(body);
    if (!s) return FromError(s.error());
    return Ok({{"faults", FaultInjector::ToJson(ctx_.faults->config())}});
  }
  Status s = ctx_.faults->Update(body);
  if (!s) return FromError(s.error());
  return Ok({{"faults", FaultInjector::ToJson(ctx_.faults->config())}});
}

AdminResponse AdminApi::Handle(std::string_view method, std::string_view path,
                               std::string_view raw_query, const std::string& body) {
  if (!path.starts_with(kAdminPrefix)) return ErrorJson(404, "NotFound", "not an admin path");
  std::string_view route = path.substr(kAdminPrefix.size());
  while (route.ends_with("/")) route.remove_suffix(1);
  const bool get = method == "GET", post = method == "POST", put = method == "PUT",
             del = method == "DELETE";
  auto wrong_method = [&] {
    return ErrorJson(405, "MethodNotAllowed",
                     std::string(method) + " is not supported on " + std::string(path));
  };
  // Endpoints whose body is not a JSON object.
  if (route == "state") {
    if (get) {
      return AdminResponse{200, "application/json", ctx_.simulator->DumpStateJson()};
    }
    if (put || post) {
      Status s = ctx_.simulator->LoadStateJson(body);
      if (!s) return FromError(s.error());
      return Ok();
    }
    return wrong_method();
  }
  if (route == "world") {
    if (!post && !put) return wrong_method();
    Status s = ctx_.simulator->LoadWorldText(body, "admin world");
    if (!s) return FromError(s.error());
    return Ok();
  }

  std::optional<nlohmann::json> json = ParseObject(body);
  if (!json) return ErrorJson(400, "InvalidJson", "the request body must be a JSON object");

  if (route == "ping") {
    if (!get) return wrong_method();
    return Ok({{"now", FormatIso8601(ctx_.simulator->Now())}});
  }
  if (route == "time") {
    if (!get) return wrong_method();
    return Time();
  }
  if (route == "time/advance") {
    if (!post) return wrong_method();
    auto it = json->find("seconds");
    if (it == json->end() || !it->is_number() || !(it->get<double>() >= 0) ||
        it->get<double>() > 1e10) {
      return ErrorJson(400, "InvalidParameterValue",
                       "expected {\"seconds\": N} with 0 <= N <= 1e10");
    }
    ctx_.simulator->Advance(SecondsToDuration(it->get<double>()));
    return Time();
  }
  if (route == "time/set") {
    if (!post) return wrong_method();
    auto it = json->find("time");
    std::optional<TimePoint> t;
    if (it != json->end() && it->is_string()) t = ParseIso8601(it->get<std::string>());
    if (!t) {
      return ErrorJson(400, "InvalidParameterValue",
                       "expected {\"time\": \"YYYY-MM-DDTHH:MM:SSZ\"}");
    }
    ctx_.simulator->SetTime(*t);
    return Time();
  }
  if (route == "time/rate") {
    if (get) return Time();
    if (!post) return wrong_method();
    auto it = json->find("rate");
    if (it == json->end() || !it->is_number()) {
      return ErrorJson(400, "InvalidParameterValue", "expected {\"rate\": N}");
    }
    Status s = time_runner_.SetRate(it->get<double>());
    if (!s) return FromError(s.error());
    return Time();
  }
  if (route == "events") {
    if (!get) return wrong_method();
    TimePoint since{};
    if (std::optional<std::string> s = QueryValue(raw_query, "since"); s && !s->empty()) {
      std::optional<TimePoint> t = ParseIso8601(*s);
      if (!t) {
        return ErrorJson(400, "InvalidParameterValue",
                         "since must be an ISO-8601 time such as 2026-11-23T04:10:00Z");
      }
      since = *t;
    }
    nlohmann::json events = nlohmann::json::array();
    for (auto& e : ctx_.simulator->Events(since)) events.push_back(std::move(e));
    return JsonResponse(200, events);
  }
  if (route == "events/target") {
    if (get) {
      return JsonResponse(200, nlohmann::json{{"url", forwarder_.target()},
                                              {"delivered", forwarder_.delivered()},
                                              {"failed", forwarder_.failed()}});
    }
    if (!post && !put) return wrong_method();
    auto it = json->find("url");
    std::string url;
    if (it != json->end() && it->is_string()) {
      url = it->get<std::string>();
    } else if (it != json->end() && !it->is_null()) {
      return ErrorJson(400, "InvalidParameterValue", "expected {\"url\": \"http://127.0.0.1:N/\"}");
    }
    Status s = forwarder_.SetTarget(url);
    if (!s) return FromError(s.error());
    return Ok({{"url", url}});
  }
  if (route == "snapshots") {
    if (!get) return wrong_method();
    std::string account = QueryValue(raw_query, "account").value_or("");
    std::string region = QueryValue(raw_query, "region").value_or("");
    if (!account.empty() &&
        (account.size() != 12 || account.find_first_not_of("0123456789") != std::string::npos))
      return ErrorJson(400, "InvalidParameterValue", "account must be a 12-digit account id");
    return JsonResponse(200, ctx_.simulator->Snapshots(account, region));
  }
  if (route == "stats") {
    if (get) return JsonResponse(200, ctx_.stats->ToJson());
    if (del) {
      ctx_.stats->Reset();
      return Ok();
    }
    return wrong_method();
  }
  if (route == "faults") {
    if (get) return JsonResponse(200, FaultInjector::ToJson(ctx_.faults->config()));
    if (post || put) return PostFaults(*json);
    if (del) {
      ctx_.faults->Clear();
      Status s = ctx_.simulator->InjectFault({{"kind", "clear"}});
      if (!s) return FromError(s.error());
      return Ok();
    }
    return wrong_method();
  }
  if (route == "settings") {
    if (get) return Settings();
    if (put || post) return PutSettings(*json);
    return wrong_method();
  }
  return ErrorJson(404, "NotFound",
                   "no admin endpoint " + std::string(path) + " (see docs/sim.md)");
}

}  // namespace drsnap::sim
