#!/usr/bin/env bash
# Runs every fuzz target of build/fuzz (scripts/build.sh fuzz) for a short
# time from its committed corpus, which stays read-only: new inputs go to a
# temporary directory. Prints one line per target with its executions, then
# "fuzz targets: N passed, M failed". A crash, a failed property, a leak or an
# input slower than the timeout is a finding: its input is kept in
# build/fuzz-findings/ (commit it to tests/fuzz/crashers/<target>/ once fixed)
# and the exit status is 1.
#   CONSENT_FUZZ_SECONDS (default 25) per target; targets as arguments (default all).
set -uo pipefail
cd "$(dirname "$0")/../.."
seconds=${CONSENT_FUZZ_SECONDS:-25}
if [ $# -gt 0 ]; then targets=("$@"); else
  targets=(canonical_json small_json notice decision json_api receipt checkpoint merkle subject_token bundle http)
fi
findings=build/fuzz-findings
mkdir -p "$findings"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
for t in "${targets[@]}"; do
  mkdir -p "$work/$t"
  build/fuzz/tests/fuzz/${t}_fuzz -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$findings/$t-" "$work/$t" "tests/fuzz/corpus/$t" >"$work/$t.log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$work/$t.log" | awk '{ print $2 }')
  if [ "$rc" -eq 0 ]; then
    echo "fuzz $t: ${execs:-0} executions in ${seconds} s, no finding"
    passed=$((passed + 1))
  else
    echo "fuzz $t: FINDING after ${execs:-?} executions (exit $rc), input in $findings/:"
    grep -E 'property failed|ERROR:|SUMMARY:|Test unit written' -A1 "$work/$t.log" | head -20
    failed=$((failed + 1))
  fi
done
echo "fuzz targets: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
