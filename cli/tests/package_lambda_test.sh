#!/usr/bin/env bash
# scripts/package-lambda, run from a temporary directory (not the
# repository): relative paths are the caller's; the policy is validated with
# `drsnap validate --for lambda` before anything is packaged; an invalid
# policy and one with `profile:` accounts are refused, and no package is
# written for them.
#
#   package_lambda_test.sh SOURCE_DIR DRSNAP_LAMBDA_BINARY
set -uo pipefail
src="$1"
binary="$2"
script="$src/scripts/package-lambda"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

good_policy='accounts:
  prod: {id: "111111111111"}
  vault: {id: "222222222222", role_arn: "arn:aws:iam::222222222222:role/drsnap-read-eu-west-1"}
policies:
  orders:
    databases: {names: ["orders-*"]}
    source: {account: prod, region: us-east-1, from: snapshot}
    rpo: 4h
    targets: [{account: vault, regions: {eu-west-1: {kms_key: alias/dr}}}]'
mkdir -p policies
printf '%s\n' "$good_policy" > policies/good.yaml
# A region that does not exist: invalid.
sed 's/eu-west-1: {kms_key/eu-wset-1: {kms_key/' policies/good.yaml > policies/bad.yaml
# Valid, but the vault account is reached through a profile: not in Lambda.
sed 's/role_arn: "[^"]*"/profile: dr-admin/' policies/good.yaml > policies/profile.yaml

# 1. A good policy, every path relative to the caller's directory.
cp "$binary" ./drsnap-lambda
if ! out="$("$script" --config policies/good.yaml --binary ./drsnap-lambda --out dist/good.zip 2>&1)"; then
  fail "good policy refused: $out"
elif [ ! -f dist/good.zip ]; then
  fail "good policy: dist/good.zip not written in the caller's directory ($out)"
elif ! unzip -p dist/good.zip drsnap.yaml | cmp -s - policies/good.yaml; then
  fail "good policy: the package does not hold the policy as drsnap.yaml"
elif ! grep -q ' bootstrap$' <<<"$(unzip -l dist/good.zip)"; then
  fail "good policy: the package has no bootstrap"
fi

# 2. An invalid policy: refused with drsnap's file:line:col message.
out="$("$script" --config policies/bad.yaml --binary ./drsnap-lambda --out dist/bad.zip 2>&1)"
rc=$?
[ "$rc" -eq 2 ] || fail "bad policy: exit $rc, want 2 ($out)"
[ ! -e dist/bad.zip ] || fail "bad policy: a package was written"
grep -q "policies/bad.yaml:9:[0-9]*: 'eu-wset-1'" <<<"$out" || fail "bad policy: no file:line:col message: $out"

# 3. profile: accounts: refused, with what to use instead.
out="$("$script" --config policies/profile.yaml --binary ./drsnap-lambda --out dist/profile.zip 2>&1)"
rc=$?
[ "$rc" -eq 2 ] || fail "profile policy: exit $rc, want 2 ($out)"
[ ! -e dist/profile.zip ] || fail "profile policy: a package was written"
grep -q "account 'vault' uses 'profile: dr-admin'" <<<"$out" || fail "profile policy: no message naming the account: $out"
grep -q "role_arn" <<<"$out" || fail "profile policy: the message does not say to use a role: $out"

# 4. A policy path that does not exist, relative to the caller.
out="$("$script" --config policies/missing.yaml --binary ./drsnap-lambda --out dist/missing.zip 2>&1)"
rc=$?
[ "$rc" -ne 0 ] || fail "missing policy: exit 0"
grep -q "policies/missing.yaml" <<<"$out" || fail "missing policy: the message does not name it: $out"
[ ! -e dist/missing.zip ] || fail "missing policy: a package was written"

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "package-lambda: all checks passed"
