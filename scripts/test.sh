#!/usr/bin/env bash
# The one command that sets up a machine and runs every test: the core suite
# natively (under ASan/UBSan) and as wasm under node, the differential test,
# the JS API tests, the banner's tests in a real Chromium against a real
# consentd, the [concurrency] tests again under ThreadSanitizer, and the
# demo's story against the programs as shipped (Release, jemalloc); before
# them scripts/lint.sh (clang-format, ESLint). Prints
# CTest's results for each target, then a total.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

# Formatting and ESLint first (seconds); a finding fails the run, the tests still run.
mkdir -p build
lint_status=0
scripts/lint.sh || lint_status=1

scripts/build.sh native
scripts/build.sh wasm
scripts/build.sh web
scripts/build.sh tsan
scripts/build.sh fuzz
scripts/build.sh release

run_ctest() {
  local dir=$1 log=$2
  set +e
  ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  return "$rc"
}

status=$lint_status
echo "== native tests (ASan + UBSan) =="
run_ctest build/native build/native-ctest.log || status=1
echo "== wasm tests (node) =="
run_ctest build/wasm build/wasm-ctest.log || status=1
# Only the [concurrency] cases are registered there; the first report fails its test.
echo "== concurrency tests (ThreadSanitizer) =="
run_ctest build/tsan build/tsan-ctest.log || status=1
# Each libFuzzer target briefly from its committed corpus (about 4 minutes in all).
echo "== fuzz targets (libFuzzer, ${CONSENT_FUZZ_SECONDS:=25} s each) =="
CONSENT_FUZZ_SECONDS=$CONSENT_FUZZ_SECONDS tests/fuzz/run_targets.sh | tee build/fuzz-run.log || status=1
# Every suite above runs a sanitizer build; the Release programs differ (optimised, and
# linked with jemalloc: server/CMakeLists.txt), so the demo's story runs once more on them.
echo "== the shipped programs (Release, jemalloc): the demo's story =="
set +e
CONSENTD="$PWD/build/release/server/consentd" CONSENTCTL="$PWD/build/release/server/consentctl" \
  CONSENT_TEST_DATA_DIR="$PWD/tests/data" CONSENT_WEB_DIST="$PWD/build/web/dist" \
  node --test tests/demo/demo.test.js 2>&1 | tee build/release-demo.log
release_rc=${PIPESTATUS[0]}
set -e
[ "$release_rc" -eq 0 ] || status=1

# The same core suite must have run on both targets: equal counts of test cases.
count() { { grep -hcE "$1" "${@:2}" || true; } | awk '{ n += $1 } END { print n + 0 }'; }
native_core=$(count 'Test +#[0-9]+: native/' build/native-ctest.log)
wasm_core=$(count 'Test +#[0-9]+: wasm/' build/wasm-ctest.log)
if [ "$native_core" -eq 0 ] || [ "$native_core" -ne "$wasm_core" ]; then
  echo "test.sh: the core suite ran $native_core cases natively but $wasm_core in wasm" >&2
  status=1
fi

logs=(build/native-ctest.log build/wasm-ctest.log build/tsan-ctest.log)
passed=$(count 'Test +#[0-9]+: .* Passed' "${logs[@]}")
failed=$(count 'Test +#[0-9]+: .*(Failed|Exception|Timeout|Not Run)' "${logs[@]}")
tsan=$(count 'Test +#[0-9]+: tsan/' build/tsan-ctest.log)
fuzz_passed=$(count '^fuzz [a-z_]+: [0-9]+ executions' build/fuzz-run.log)
fuzz_failed=$(count '^fuzz [a-z_]+: FINDING' build/fuzz-run.log)
[ "$fuzz_passed" -gt 0 ] || status=1
passed=$((passed + fuzz_passed))
failed=$((failed + fuzz_failed))
if [ "$release_rc" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
echo
echo "core suite: $native_core cases natively, $wasm_core as wasm under node"
echo "concurrency: $tsan cases under ThreadSanitizer"
echo "fuzz targets: $fuzz_passed ran without a finding, $fuzz_failed found something (build/fuzz-findings/)"
[ "$release_rc" -eq 0 ] && echo "release programs: the demo's story passed" ||
  echo "release programs: the demo's story FAILED (build/release-demo.log)"
if [ "$tsan" -eq 0 ]; then
  echo "test.sh: no concurrency test ran under ThreadSanitizer" >&2
  status=1
fi
[ "$lint_status" -eq 0 ] && echo "lint: clang-format and ESLint clean" || echo "lint: FAILED (scripts/lint.sh)"
echo "all targets: $passed passed, $failed failed"
exit "$status"
