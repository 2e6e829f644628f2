#!/usr/bin/env bash
# Runs docs/sim.md's "Rehearse your own pipeline" walkthrough
# (docs/rehearse/rehearse.sh) for two simulated days with the region outage
# on day one, and checks what the walkthrough promises: drsnap planned on
# the simulator's clock, the outage was seen and recovered from, and the
# status and its HTML report say every pair is ok.
#   rehearse_walkthrough_test.sh SOURCE_DIR BINARY_DIR
set -euo pipefail
src="$1"
bin="$2"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

set +e
DAYS=2 OUTAGE_DAY=1 OUT="$out" DRSNAP="$bin/cli/drsnap" DRSNAP_SIM="$bin/sim/drsnap-sim" \
  "$src/docs/rehearse/rehearse.sh" > "$out/stdout" 2>&1
code=$?
set -e
cat "$out/stdout"
[ "$code" -eq 0 ] || fail "the rehearsal ended with status $code, not every pair ok"
grep -q "eu-west-1 fails the next 6 copies" "$out/stdout" || fail "no outage was injected"
# The outage happened: the simulator failed copies into eu-west-1 (and the
# rows still end ok, checked below: drsnap got past it).
grep -qE "^[1-9][0-9]* copies into eu-west-1 failed during the outage" "$out/stdout" ||
  fail "no copy into eu-west-1 failed: the outage was not rehearsed"
# Names and ages come from the simulator's clock (the world starts on
# 2026-11-01), not from the wall clock.
grep -qE "orders +orders +instance +222222222222/eu-west-1 +ok +2026-11-0[23]T" "$out/stdout" ||
  fail "the newest point is not on the simulator's clock"
[ -s "$out/report.html" ] || fail "no HTML report"
grep -q 'id="overall" data-state="ok"' "$out/report.html" || fail "the report's overall is not ok"
echo "rehearsal walkthrough: ok"
