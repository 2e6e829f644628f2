// Copy slots go in plan order (issue 18): the planner orders the work that
// must go first (engine/schedule.h) and the executor's workers must not
// reorder it. A worker that overtakes another (here: every worker is held
// up for a different while before it reaches the slots) must not take the
// slot of a copy planned before its own.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "engine/executor.h"
#include "engine/fake_cloud.h"
#include "engine/observe.h"

namespace drsnap::engine {
namespace {

const Scope kProd{"111111111111", "us-east-1"};
const Scope kDr{"222222222222", "eu-west-1"};

// Now() holds its caller for 0-3 ms, a different while on each call (the
// executor reads it before each action when a deadline is set).
class JitteryClock final : public Clock {
 public:
  TimePoint Now() const override {
    unsigned n = calls_.fetch_add(1);
    std::this_thread::sleep_for(std::chrono::microseconds((n * 7919u) % 3000u));
    return TimePoint{};
  }
  void SleepFor(Duration) override {}

 private:
  mutable std::atomic<unsigned> calls_{0};
};

TEST(ExecutorAdmissionTest, CopySlotsGoInPlanOrderWhateverTheWorkers) {
  for (int round = 0; round < 10; ++round) {
    FakeCloud cloud;
    cloud.SetStrictSharedCopyRule(false);
    Snapshot src;
    src.scope = kProd;
    src.id = "src";
    src.db_id = "db1";
    src.type = SnapshotType::kManual;
    src.status = SnapshotStatus::kAvailable;
    src.shared_with = std::vector<std::string>{"222222222222"};
    cloud.AddSnapshot(src);
    Plan plan;
    for (int i = 0; i < 28; ++i) {
      Action a;
      a.kind = ActionKind::kCopySnapshot;
      a.stage = Stage::kVault;
      a.scope = kDr;
      a.source_arn = SnapshotArn(src.scope, src.kind, src.id);
      a.source_region = kProd.region;
      a.snapshot_id = "c-" + std::to_string(100 + i);
      a.kms_key_id = "arn:aws:kms:eu-west-1:222222222222:key/dr";
      plan.actions.push_back(a);
    }
    ObserveRequest req;
    req.scopes = {kProd, kDr};
    Inventory inv = Observe(cloud, req, TimePoint{});
    ExecutorOptions opt;
    opt.concurrency = 8;
    opt.clock = std::make_shared<JitteryClock>();
    opt.deadline = TimePoint{} + std::chrono::hours(24);
    ApplyReport r = Apply(cloud, plan, inv, opt);
    for (size_t i = 0; i < r.results.size(); ++i)
      EXPECT_EQ(r.results[i].outcome, i < 20 ? Outcome::kDone : Outcome::kDeferred)
          << "round " << round << ", copy " << i << ": " << r.results[i].reason;
  }
}

}  // namespace
}  // namespace drsnap::engine
