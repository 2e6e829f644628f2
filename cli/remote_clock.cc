#include "cli/remote_clock.h"

#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/log.h"
#include "core/time_util.h"
#include "core/url.h"

namespace drsnap::cli {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

constexpr milliseconds kRefreshEvery{200};

struct Reading {
  TimePoint remote;
  double rate = 1.0;
};

Result<Reading> Read(aws::HttpTransport& transport, const std::string& url) {
  aws::HttpRequest req;
  req.url = url;
  auto resp = transport.Send(req);
  if (!resp) return Fail(Error(resp.error()).With("read the clock at " + url));
  if (resp->status != 200)
    return Fail(Error::Terminal("ClockUnreadable", "the clock at " + url + " answered HTTP " +
                                                       std::to_string(resp->status)));
  auto j = nlohmann::json::parse(resp->body, nullptr, false);
  std::optional<TimePoint> now;
  if (j.is_object() && j.contains("now") && j["now"].is_string())
    now = ParseIso8601(j["now"].get<std::string>());
  if (!now)
    return Fail(Error::Terminal("ClockUnreadable",
                                "the clock at " + url +
                                    " did not answer {\"now\": \"YYYY-MM-DDTHH:MM:SSZ\"} (is it a "
                                    "drsnap-sim's /_sim/time?)"));
  Reading r{*now, 1.0};
  if (j.contains("rate") && j["rate"].is_number()) r.rate = std::max(0.0, j["rate"].get<double>());
  return r;
}

class RemoteClock final : public Clock {
 public:
  RemoteClock(RemoteClockOptions o, Reading first)
      : o_(std::move(o)), last_(first), read_at_(o_.wall->Now()) {}

  TimePoint Now() const override {
    std::lock_guard<std::mutex> lock(mu_);
    TimePoint wall = o_.wall->Now();
    if (stale_ || wall - read_at_ >= kRefreshEvery) Refresh(wall);
    auto elapsed = duration_cast<std::chrono::duration<double>>(wall - read_at_);
    return last_.remote + duration_cast<Duration>(elapsed * last_.rate);
  }

  void SleepFor(Duration d) override {
    double rate;
    {
      std::lock_guard<std::mutex> lock(mu_);
      rate = last_.rate;
    }
    Duration wall = d;
    if (rate > 1.0) wall = duration_cast<Duration>(std::chrono::duration<double>(d) / rate);
    o_.wall->SleepFor(std::max<Duration>(wall, std::chrono::microseconds(100)));
    std::lock_guard<std::mutex> lock(mu_);
    stale_ = true;
  }

 private:
  // REQUIRES: mu_ held.
  void Refresh(TimePoint wall) const {
    auto r = Read(*o_.transport, o_.url);
    stale_ = false;
    if (!r) {
      if (!warned_)
        LogWarn("cannot read the rehearsal clock; extrapolating from the last reading",
                   {{"url", o_.url}, {"error", r.error().ToString()}});
      warned_ = true;
      return;
    }
    last_ = *r;
    read_at_ = wall;
  }

  RemoteClockOptions o_;
  mutable std::mutex mu_;
  mutable Reading last_;
  mutable TimePoint read_at_;
  mutable bool stale_ = false;
  mutable bool warned_ = false;
};

}  // namespace

Result<std::shared_ptr<Clock>> MakeRemoteClock(RemoteClockOptions o) {
  if (!o.url.starts_with("http://") && !o.url.starts_with("https://"))
    return Fail(Error::Terminal("UsageError", "clock URL '" + o.url +
                                                  "' is not an http:// or https:// URL (e.g. "
                                                  "http://127.0.0.1:4566/_sim/time)"));
  if (!o.allow_remote && !IsLoopbackUrl(o.url))
    return Fail(Error::Terminal(
        "UsageError", "clock URL '" + o.url +
                          "' is not on this machine; a rehearsal clock must be loopback "
                          "(127.0.0.1, ::1, localhost) unless DRSNAP_CLOCK_URL_ALLOW_REMOTE=true"));
  if (!o.transport) {
    aws::HttpOptions h;
    h.connect_timeout = milliseconds(2000);
    h.total_timeout = milliseconds(5000);
    o.transport = aws::NewCurlTransport(h);
  }
  if (!o.wall) o.wall = DefaultClock();
  DRSNAP_ASSIGN_OR_RETURN(Reading first, Read(*o.transport, o.url));
  return std::shared_ptr<Clock>(std::make_shared<RemoteClock>(std::move(o), first));
}

}  // namespace drsnap::cli
