#!/usr/bin/env bash
# One command: builds consentd's benchmark in Release (build/bench) and runs it.
# It prints one table of medians next to the machine's ceilings measured in the
# same run, with the ratios to them; the table is also written to
# build/bench/results-latest.txt (build/ is git-ignored). Nothing asserts speed.
#
#   bench/run.sh                      # 3 repetitions of 2 s per measurement (~1.5 min of measuring)
#   bench/run.sh --reps=5 --seconds=3 # longer, steadier
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in cmake ninja pkg-config c++; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench/run.sh: '$tool' is missing: run scripts/setup.sh first" >&2; exit 1; }
done

# The bench runs consentd in-process, so it needs only the libraries, which its
# own project compiles from the repository's sources (not consentd or consentctl).
cmake -S bench -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/bench -j "$(nproc)" --target consentd_bench
echo
label="commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown) plus the working tree"
exec build/bench/consentd_bench --out=build/bench/results-latest.txt --label="$label" "$@"
