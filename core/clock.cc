#include "core/clock.h"

#include <thread>

namespace drsnap {

TimePoint SystemClock::Now() const { return std::chrono::system_clock::now(); }

void SystemClock::SleepFor(Duration d) { std::this_thread::sleep_for(d); }

FakeClock::FakeClock(TimePoint start) : now_(start) {}

TimePoint FakeClock::Now() const {
  std::lock_guard lock(mu_);
  return now_;
}

void FakeClock::SleepFor(Duration d) { Advance(d); }

void FakeClock::Set(TimePoint t) {
  std::lock_guard lock(mu_);
  now_ = t;
}

void FakeClock::Advance(Duration d) {
  std::lock_guard lock(mu_);
  now_ += d;
}

std::shared_ptr<Clock> DefaultClock() {
  static auto clock = std::make_shared<SystemClock>();
  return clock;
}

}  // namespace drsnap
