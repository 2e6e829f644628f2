#!/usr/bin/env bash
# Rehearse a drsnap pipeline over simulated weeks against drsnap-sim:
# `drsnap apply` every 10 simulated minutes on the simulator's clock, a region
# outage in the middle, and the HTML status report at the end.
#
#   docs/rehearse/rehearse.sh                  # 30 days in ./rehearsal/ (a few minutes)
#   DAYS=3 OUT=/tmp/r docs/rehearse/rehearse.sh
#
# Environment: DAYS (30), STEP_MINUTES (10), OUTAGE_DAY (DAYS/2; 0: none),
# OUT (./rehearsal), DRSNAP (build/cli/drsnap), DRSNAP_SIM (build/sim/drsnap-sim),
# WORLD and POLICY (the files next to this script).
# Exit status: that of the final `drsnap status` (0 every pair ok).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
DAYS="${DAYS:-30}"
STEP_MINUTES="${STEP_MINUTES:-10}"
OUTAGE_DAY="${OUTAGE_DAY:-$((DAYS / 2))}"
OUT="${OUT:-$PWD/rehearsal}"
DRSNAP="${DRSNAP:-$root/build/cli/drsnap}"
DRSNAP_SIM="${DRSNAP_SIM:-$root/build/sim/drsnap-sim}"
WORLD="${WORLD:-$here/world.yaml}"
POLICY="${POLICY:-$here/drsnap.yaml}"
export AWS_EC2_METADATA_DISABLED=true
mkdir -p "$OUT"

# 1. The simulator, on a free loopback port.
"$DRSNAP_SIM" --port 0 --world "$WORLD" > "$OUT/sim.out" 2> "$OUT/sim.err" &
sim_pid=$!
trap 'kill $sim_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$OUT/sim.out" ] && break; sleep 0.1; done
S="$(head -1 "$OUT/sim.out" | awk '{print $4}')"
echo "drsnap-sim at $S"

# 2. Credentials for the world's accounts, and the policy pointed at it.
cat > "$OUT/aws-credentials" <<CREDS
[rehearse-prod]
aws_access_key_id = AKIAPROD000000000001
aws_secret_access_key = prod-secret-key-0000000000000000000001
[rehearse-vault]
aws_access_key_id = AKIAVAULT00000000001
aws_secret_access_key = vault-secret-key-000000000000000000001
CREDS
printf '[profile rehearse-prod]\nregion = us-east-1\n[profile rehearse-vault]\nregion = us-east-1\n' \
  > "$OUT/aws-config"
export AWS_SHARED_CREDENTIALS_FILE="$OUT/aws-credentials" AWS_CONFIG_FILE="$OUT/aws-config"
sed "s|ENDPOINT|$S|g" "$POLICY" > "$OUT/drsnap.yaml"
export DRSNAP_CONFIG="$OUT/drsnap.yaml"
# drsnap plans on the simulator's clock, not the wall clock.
export DRSNAP_CLOCK_URL="$S/_sim/time"

# 3. Simulated time: advance one step, reconcile, repeat.
steps=$((DAYS * 24 * 60 / STEP_MINUTES))
outage_step=$((OUTAGE_DAY * 24 * 60 / STEP_MINUTES))
failed_runs=0
for step in $(seq 1 "$steps"); do
  if [ "$OUTAGE_DAY" -gt 0 ] && [ "$step" -eq "$outage_step" ]; then
    # A region outage: the next 6 copies into eu-west-1 fail.
    curl -sf -X POST "$S/_sim/faults" \
      -d '{"kind":"fail_copies","account":"222222222222","region":"eu-west-1","count":6}' >/dev/null
    echo "step $step: eu-west-1 fails the next 6 copies"
  fi
  curl -sf -X POST "$S/_sim/time/advance" -d "{\"seconds\":$((STEP_MINUTES * 60))}" >/dev/null
  if [ "$OUTAGE_DAY" -gt 0 ] && [ "$step" -ge "$outage_step" ] &&
     [ "$step" -le $((outage_step + 12 * 60 / STEP_MINUTES)) ]; then
    # The copies that failed in eu-west-1, as the simulator records them
    # (before drsnap deletes them).
    curl -sf "$S/_sim/snapshots?account=222222222222&region=eu-west-1" |
      python3 -c 'import json,sys; [print(s["id"]) for s in json.load(sys.stdin) if s["status"] == "failed"]' \
      >> "$OUT/failed-copies.txt"
  fi
  "$DRSNAP" apply >> "$OUT/apply.log" 2>&1 || failed_runs=$((failed_runs + 1))
done
if [ "$OUTAGE_DAY" -gt 0 ]; then
  echo "$(sort -u "$OUT/failed-copies.txt" | wc -l) copies into eu-west-1 failed during the outage"
fi
echo "$steps reconciles, $failed_runs with a failure or an error finding (apply.log)"

# 4. Where it stands: the plan's findings, a table, and the HTML report.
"$DRSNAP" plan > "$OUT/plan.txt" || echo "plan: findings to read in $OUT/plan.txt"
"$DRSNAP" status --output html > "$OUT/report.html" || true
set +e
"$DRSNAP" status
code=$?
echo "report: $OUT/report.html"
exit $code
