// drsnap's ledger: what AWS refused that leaves nothing to observe.
//
// A refused CopyDBSnapshot, CreateDBSnapshot or share creates no snapshot, so
// the next observation cannot tell that the call was made, and a new process
// (the CLI's next run, a Lambda cold start) would make it again on every run.
// AWS is drsnap's only state store, so the refusal is written where the call
// was made: as tags on one RDS DB parameter group per account-region,
// `drsnap-ledger` (created on the first refusal there; a parameter group is
// free, holds up to 50 tags, is read with one ListTagsForResource, and is
// within the RDS permissions drsnap's roles already have). Nothing else in it
// is used: no database is ever attached to it.
//
// Entries (tag key -> value; tag keys at most 128 characters, values 256, in
// the characters AWS allows in tags; not "drsnap:" keys, which the DR
// account's guard policy lets nobody remove):
//   drsnap-ledger/refused/<kind>:<snapshot id>  "<count> <first> <last> <code> <message>"
//       a permanent refusal (IsPermanentRefusal) of the action with that
//       RefusalKey; times ISO-8601 UTC; the message cut to fit. At most
//       kMaxRefusals entries: the oldest `last` goes first.
//   drsnap-ledger/one-step-copy-refused  "<time>"
//       AWS refused a one-step cross-region copy of a shared encrypted
//       snapshot into this scope (vault through a same-region hop); trusted
//       for kOneStepFactLifetime, then a one-step copy is tried again.
//
// The planner holds an action back while its refusal's RetryAfter is in the
// future (an error finding says what AWS refused, how often, since when and
// when drsnap tries again); the executor writes an entry when AWS refuses
// and removes it when the action succeeds. Losing the ledger (someone deletes
// the parameter group) costs refused calls again, never a wrong action.
//
// Pure (no I/O, no clock). Thread safety: none needed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "engine/model.h"

namespace drsnap::engine {

inline constexpr std::string_view kLedgerName = "drsnap-ledger";
// The parameter group's family: any RDS accepts in every region will do.
inline constexpr std::string_view kLedgerFamily = "postgres16";
inline constexpr std::string_view kRefusalTagPrefix = "drsnap-ledger/refused/";
inline constexpr std::string_view kOneStepRefusedTag = "drsnap-ledger/one-step-copy-refused";
inline constexpr int kMaxRefusals = 40;
inline constexpr Duration kOneStepFactLifetime = std::chrono::hours(24 * 30);

// Refusal and Ledger (engine/model.h): a scope's ledger is part of its
// ScopeInventory.

// "<kind>:<snapshot id>" ("copy:drsnap-...", "create:...", "share:..."):
// the same for every retry of the same action (names are deterministic).
// Deletes are never recorded ("" for them).
std::string RefusalKey(const Action& action);

// The ledger in a parameter group's tags, as observed at `now`. Entries
// that do not parse are ignored (a person's edit loses that entry, nothing
// else), and so are entries dated after `now` + kLedgerClockSkew or whose
// first refusal is after their last: whoever may tag the group (in the
// production account, an attacker too) must not hold an action back for
// ever; a real refusal is recorded afresh at the next attempt.
inline constexpr Duration kLedgerClockSkew = std::chrono::minutes(5);
Ledger DecodeLedger(const Tags& tags, TimePoint now);
// The tag (key, value) that records `refusal`.
std::pair<std::string, std::string> EncodeRefusal(const Refusal& refusal);
// The tag key of the refusal of action key `action`.
std::string RefusalTagKey(std::string_view action);

// The refusal after one more: `prior` (may be null) counted once more, at `now`.
Refusal NextRefusal(const Refusal* prior, std::string action, const Error& error, TimePoint now);
// When the action may be issued again: last + 30 min * 2^(count-1), at most
// a day later.
TimePoint RetryAfter(const Refusal& refusal);
// The keys to remove so that, with one more entry, the ledger holds at most
// kMaxRefusals (the oldest last).
std::vector<std::string> KeysToEvict(const Ledger& ledger, std::string_view adding);

// AWS refused the call for a reason a retry in the same state cannot change:
// a terminal error that is not "already exists" or "not found" (those the
// next observation shows) and not a refusal of drsnap's own (a delete guard).
bool IsPermanentRefusal(const Error& error);

// One sentence for findings and status: "AWS refused copy drsnap-... 3 times
// since <first> (<code>: <message>)".
std::string DescribeRefusal(const Refusal& refusal);

}  // namespace drsnap::engine
