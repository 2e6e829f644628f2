// The clock is a side effect: everything that reads the time or sleeps does it
// through a Clock, so tests and the simulator can control time.
//
// Thread safety: implementations are safe for concurrent use.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>

namespace drsnap {

using TimePoint = std::chrono::system_clock::time_point;
using Duration = std::chrono::system_clock::duration;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  // Blocks the calling thread for d (a fake clock advances instead).
  virtual void SleepFor(Duration d) = 0;
};

// The wall clock.
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
  void SleepFor(Duration d) override;
};

// A manual clock for tests: Now() returns the set time; SleepFor advances it.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start);
  TimePoint Now() const override;
  void SleepFor(Duration d) override;
  void Set(TimePoint t);
  void Advance(Duration d);

 private:
  mutable std::mutex mu_;
  TimePoint now_;
};

std::shared_ptr<Clock> DefaultClock();

}  // namespace drsnap
