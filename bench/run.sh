#!/usr/bin/env bash
# One command: builds consentd's benchmark in Release (build/bench) and runs it.
# It prints one table of medians next to the machine's ceilings measured in the
# same run, with the ratios to them; the table is also written to
# build/bench/results-latest.txt (build/ is git-ignored). Nothing asserts speed.
#
#   bench/run.sh                      # 3 repetitions of 2 s per measurement (~1.5 min of measuring)
#   bench/run.sh --reps=5 --seconds=3 # longer, steadier
#   bench/run.sh --only=consentd      # only consentd_bench (default: consentd, then log)
#   bench/run.sh --only=log           # only log_bench: the receipt log at 10^3/10^5/10^6 leaves (<= ~4 min of appending)
#   bench/run.sh --log-budget=120     # --log-X=V is passed to log_bench as --X=V (budget, max-leaves, threads, samples)
# log_bench's table is written to build/bench/log-results-latest.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in cmake ninja pkg-config c++; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench/run.sh: '$tool' is missing: run scripts/setup.sh first" >&2; exit 1; }
done

# The bench runs consentd in-process, so it needs only the libraries, which its
# own project compiles from the repository's sources (not consentd or consentctl).
cmake -S bench -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
only=all
consentd_args=()
log_args=()
for arg in "$@"; do
  case "$arg" in
    --only=*) only="${arg#--only=}" ;;
    --log-*) log_args+=("--${arg#--log-}") ;;
    *) consentd_args+=("$arg") ;;
  esac
done
case "$only" in
  all) targets=(consentd_bench log_bench) ;;
  consentd) targets=(consentd_bench) ;;
  log) targets=(log_bench) ;;
  *) echo "bench/run.sh: --only must be consentd or log" >&2; exit 1 ;;
esac

cmake --build build/bench -j "$(nproc)" --target "${targets[@]}"
echo
label="commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown) plus the working tree"
if [[ "$only" != log ]]; then
  build/bench/consentd_bench --out=build/bench/results-latest.txt --label="$label" ${consentd_args[@]+"${consentd_args[@]}"}
fi
if [[ "$only" != consentd ]]; then
  [[ "$only" == all ]] && echo
  build/bench/log_bench --out=build/bench/log-results-latest.txt --label="$label" ${log_args[@]+"${log_args[@]}"}
fi
