// The simulator's virtual clock as a drsnap Clock: Now() is simulated time
// and SleepFor() advances it, so a reconciler (the demo's, the tests') plans
// and waits in simulated time. Request signing keeps the wall clock: the
// server checks signatures against real time.
//
// Thread safety: as the Simulator's (every call takes its lock).
#pragma once

#include <memory>
#include <utility>

#include "core/clock.h"
#include "sim/simulator.h"

namespace drsnap::sim {

class SimulatorClock final : public Clock {
 public:
  explicit SimulatorClock(std::shared_ptr<Simulator> sim) : sim_(std::move(sim)) {}
  TimePoint Now() const override { return sim_->Now(); }
  void SleepFor(Duration d) override { sim_->Advance(d); }

 private:
  std::shared_ptr<Simulator> sim_;
};

}  // namespace drsnap::sim
