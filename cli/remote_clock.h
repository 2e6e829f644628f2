// The rehearsal clock: drsnap's reconcile clock read from a drsnap-sim's
// admin API (GET <endpoint>/_sim/time), so that a pipeline rehearsed against
// the simulator's virtual clock plans with the simulator's "now" (names,
// RPO ages, retention, backoff) instead of the wall clock.
//
// Only the reconcile clock moves: request signing, HTTP timeouts and retry
// backoff keep the wall clock (they talk to a real HTTP server).
//
// Thread safety: Now() and SleepFor() may be called from any thread.
#pragma once

#include <memory>
#include <string>

#include "aws/http.h"
#include "core/clock.h"
#include "core/env.h"
#include "core/error.h"

namespace drsnap::cli {

struct RemoteClockOptions {
  std::string url;  // e.g. http://127.0.0.1:4566/_sim/time
  // A URL that is not loopback (core/url.h IsLoopbackUrl: 127.0.0.0/8, ::1,
  // localhost) is refused unless this is set: a clock anyone on the network can move would move
  // drsnap's retention decisions with it.
  bool allow_remote = false;
  std::shared_ptr<aws::HttpTransport> transport;  // null: libcurl
  std::shared_ptr<Clock> wall;                    // null: the system clock
};

// Reads the time once (an error if the URL is refused, unreachable or does
// not answer {"now": ISO-8601, "rate": R}) and returns a clock that
// extrapolates from the last reading at the server's rate, re-reading it at
// most every 200 ms of wall time and after every sleep. If a later reading
// fails, the clock keeps extrapolating from the last good one and warns once.
// SleepFor(d) sleeps d of the server's time: d / rate of wall time (at most
// d, so a stopped server clock still lets the caller poll).
Result<std::shared_ptr<Clock>> MakeRemoteClock(RemoteClockOptions options);

}  // namespace drsnap::cli
