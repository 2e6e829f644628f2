// The rehearsal clock (cli/remote_clock.h): reads a drsnap-sim's time,
// extrapolates at its rate, sleeps in its time, and refuses clocks that are
// not on this machine.
#include "cli/remote_clock.h"

#include <gtest/gtest.h>

#include <functional>
#include <mutex>

#include "core/time_util.h"

namespace drsnap::cli {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TimePoint T(const char* iso) { return *ParseIso8601(iso); }

// Answers like GET /_sim/time: {"now": ..., "rate": ...}.
class FakeSimTime final : public aws::HttpTransport {
 public:
  Result<aws::HttpResponse> Send(const aws::HttpRequest& req) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++reads;
    last_url = req.url;
    if (down) return Fail(Error::Transient("ConnectionRefused", "connection refused"));
    aws::HttpResponse r;
    r.status = status;
    r.body = body.empty() ? nlohmann_like() : body;
    return r;
  }
  std::string nlohmann_like() const {
    return "{\"now\":\"" + FormatIso8601(now) + "\",\"rate\":" + std::to_string(rate) + "}";
  }
  std::mutex mu_;
  TimePoint now = T("2026-12-03T00:00:00Z");
  double rate = 1.0;
  int status = 200;
  std::string body;
  bool down = false;
  int reads = 0;
  std::string last_url;
};

struct Rig {
  std::shared_ptr<FakeSimTime> sim = std::make_shared<FakeSimTime>();
  std::shared_ptr<FakeClock> wall = std::make_shared<FakeClock>(T("2026-12-07T10:00:00Z"));
  Result<std::shared_ptr<Clock>> Make(std::string url = "http://127.0.0.1:4566/_sim/time",
                                      bool allow_remote = false) {
    return MakeRemoteClock({.url = std::move(url),
                            .allow_remote = allow_remote,
                            .transport = sim,
                            .wall = wall});
  }
};

TEST(RemoteClockTest, NowIsTheSimulatorsTimeNotTheWallClock) {
  Rig r;
  auto clock = r.Make();
  ASSERT_TRUE(clock.has_value()) << clock.error().ToString();
  EXPECT_EQ((*clock)->Now(), T("2026-12-03T00:00:00Z"));
  EXPECT_EQ(r.sim->last_url, "http://127.0.0.1:4566/_sim/time");
}

TEST(RemoteClockTest, ExtrapolatesAtTheSimulatorsRateBetweenReadings) {
  Rig r;
  r.sim->rate = 3600;
  auto clock = r.Make();
  ASSERT_TRUE(clock.has_value());
  int reads = r.sim->reads;
  r.wall->Advance(milliseconds(100));  // within the refresh period: no new reading
  EXPECT_EQ((*clock)->Now(), T("2026-12-03T00:06:00Z"));
  EXPECT_EQ(r.sim->reads, reads);
}

TEST(RemoteClockTest, ReReadsSoAnAdvanceThroughTheAdminApiIsSeen) {
  Rig r;
  auto clock = r.Make();
  ASSERT_TRUE(clock.has_value());
  r.sim->now += hours(24);  // POST /_sim/time/advance
  r.wall->Advance(seconds(1));
  EXPECT_EQ((*clock)->Now(), T("2026-12-04T00:00:00Z"));
}

TEST(RemoteClockTest, SleepsInTheSimulatorsTime) {
  Rig r;
  r.sim->rate = 60;
  auto clock = r.Make();
  ASSERT_TRUE(clock.has_value());
  TimePoint wall_before = r.wall->Now();
  (*clock)->SleepFor(minutes(1));  // one simulated minute is one wall second at rate 60
  EXPECT_EQ(r.wall->Now() - wall_before, seconds(1));
  // A stopped simulator clock: the wall sleep is the whole duration, so a
  // caller polling for a wake-up time does not spin.
  r.sim->rate = 0;
  r.sim->now += hours(1);
  (void)(*clock)->Now();
  wall_before = r.wall->Now();
  (*clock)->SleepFor(milliseconds(200));
  EXPECT_EQ(r.wall->Now() - wall_before, milliseconds(200));
}

TEST(RemoteClockTest, KeepsExtrapolatingWhenALaterReadingFails) {
  Rig r;
  auto clock = r.Make();
  ASSERT_TRUE(clock.has_value());
  r.sim->down = true;
  r.wall->Advance(seconds(10));
  EXPECT_EQ((*clock)->Now(), T("2026-12-03T00:00:10Z"));
}

TEST(RemoteClockTest, RefusesAClockThatIsNotOnThisMachine) {
  Rig r;
  auto clock = r.Make("http://10.0.0.5:4566/_sim/time");
  ASSERT_FALSE(clock.has_value());
  EXPECT_EQ(clock.error().code, "UsageError");
  EXPECT_NE(clock.error().message.find("DRSNAP_CLOCK_URL_ALLOW_REMOTE"), std::string::npos);
  EXPECT_EQ(r.sim->reads, 0);  // not even asked
  EXPECT_TRUE(r.Make("http://10.0.0.5:4566/_sim/time", /*allow_remote=*/true).has_value());
}

TEST(RemoteClockTest, AnUnreachableOrWrongClockIsAnErrorAtStart) {
  Rig r;
  r.sim->down = true;
  EXPECT_FALSE(r.Make().has_value());
  r.sim->down = false;
  r.sim->body = "<html>not a clock</html>";
  auto wrong = r.Make();
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code, "ClockUnreadable");
  r.sim->body.clear();
  r.sim->status = 404;
  EXPECT_FALSE(r.Make().has_value());
  EXPECT_FALSE(r.Make("ftp://127.0.0.1/_sim/time").has_value());
}

}  // namespace
}  // namespace drsnap::cli
