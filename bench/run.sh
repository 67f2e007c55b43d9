#!/usr/bin/env bash
# One command: builds consentd's benchmark in Release (build/bench) and runs it,
# then the log benchmark and the banner benchmark (bench/banner/run.js).
# It prints one table of medians next to the machine's ceilings measured in the
# same run, with the ratios to them; the table is also written to
# build/bench/results-latest.txt (build/ is git-ignored). Nothing asserts speed.
#
#   bench/run.sh                      # 3 repetitions of 2 s per measurement (~1.5 min of measuring)
#   bench/run.sh --reps=5 --seconds=3 # longer, steadier
#   bench/run.sh --only=consentd      # only consentd_bench (default: consentd, then log, then banner)
#   bench/run.sh --only=consentd --receipts-only  # ceilings and receipts only: quick rounds on the write path
#   bench/run.sh --only=consentd --checks-only    # ceilings, a 2 s fill of receipts, then checks and withdrawals: the read path
#   bench/run.sh --only=log           # only log_bench: the receipt log at 10^3/10^5/10^6 leaves (<= ~4 min of appending)
#   bench/run.sh --log-budget=120     # --log-X=V is passed to log_bench as --X=V (budget, max-leaves, threads, samples)
#   bench/run.sh --only=log --log-max-leaves=10000000 --log-budget=2400  # on to 10^7 leaves (~20 min of appending here)
#   bench/run.sh --only=log --log-max-leaves=10000000 --log-dir=/var/tmp/log10m  # the log kept in that directory:
#                                     # a second run measures its proofs again at once, without appending
#   bench/run.sh --only=banner        # only the banner bench: ours vs four peers in Chromium, three profiles (~10 min)
#   bench/run.sh --banner-loads=20    # --banner-X=V is passed to bench/banner/run.js as --X=V (loads, profiles)
#   bench/run.sh --only=clients       # only the backend clients' mirrors (C++, Python, Node) against a Release consentd
#   bench/run.sh --clients-subjects=100000  # --clients-X=V is passed to bench/clients_bench.js as --X=V (subjects, withdrawals)
#   bench/run.sh --only=pg            # only consentd on PostgreSQL: one and two replicas beside SQLite, the insert
#                                     # ceiling, the fan-out between replicas, on a throwaway cluster (tests/server/pg/pg_cluster.sh)
#   bench/run.sh --only=pg --pg-reps=5  # --pg-X=V is passed to pg_bench as --X=V (reps, seconds, clients)
# log_bench's table is written to build/bench/log-results-latest.txt, the
# banner bench's numbers to build/bench/banner.json, the clients' to build/bench/clients.json
# (--only=clients is not part of the default run).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in cmake ninja pkg-config c++; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench/run.sh: '$tool' is missing: run scripts/setup.sh first" >&2; exit 1; }
done

only=all
consentd_args=()
log_args=()
banner_args=()
clients_args=()
pg_args=()
for arg in "$@"; do
  case "$arg" in
    --only=*) only="${arg#--only=}" ;;
    --log-*) log_args+=("--${arg#--log-}") ;;
    --banner-*) banner_args+=("--${arg#--banner-}") ;;
    --clients-*) clients_args+=("--${arg#--clients-}") ;;
    --pg-*) pg_args+=("--${arg#--pg-}") ;;
    *) consentd_args+=("$arg") ;;
  esac
done
case "$only" in
  all) targets=(consentd_bench log_bench) ;;
  consentd) targets=(consentd_bench) ;;
  log) targets=(log_bench) ;;
  banner) targets=() ;;
  clients) targets=(clients_mirror_bench consentd consentctl consent_core_c) ;;
  pg) targets=(pg_bench) ;;
  *) echo "bench/run.sh: --only must be consentd, log, banner, clients or pg" >&2; exit 1 ;;
esac

# The C++ benches run consentd in-process, so they need only the libraries, which
# their own project compiles from the repository's sources (not consentd or consentctl).
if ((${#targets[@]})); then
  cmake -S bench -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build build/bench -j "$(nproc)" --target "${targets[@]}"
fi
# The banner bench drives Chromium against the Release consentd and consentctl
# and the served banner (build/web/dist, from the wasm build, which needs the
# native build's vectors tool). Every step is incremental: cheap when up to date.
if [[ "$only" == all || "$only" == banner ]]; then
  for need in node /usr/bin/chromium node_modules/playwright-core node_modules/klaro node_modules/vanilla-cookieconsent node_modules/tarteaucitronjs node_modules/cookieconsent; do
    [[ -e "$need" ]] || command -v "$need" >/dev/null 2>&1 || { echo "bench/run.sh: '$need' is missing: run scripts/setup.sh first" >&2; exit 1; }
  done
  scripts/build.sh release
  [[ -x build/native/tests/consent_vectors_tool ]] || scripts/build.sh native
  scripts/build.sh wasm
  scripts/build.sh web
fi
# The Node mirror decides with the core's wasm module (consent-mirror, clients/core_shared):
# only that module is built here (as scripts/demo.sh does).
if [[ "$only" == clients ]]; then
  export NODE_PATH=/usr/share/nodejs
  [[ -f build/wasm/CMakeCache.txt ]] || emcmake cmake -S . -B build/wasm -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel >/dev/null
  cmake --build build/wasm --target consent_mirror_wasm
fi
echo
label="commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown) plus the working tree"
if [[ "$only" == all || "$only" == consentd ]]; then
  build/bench/consentd_bench --out=build/bench/results-latest.txt --label="$label" ${consentd_args[@]+"${consentd_args[@]}"}
fi
if [[ "$only" == all || "$only" == log ]]; then
  [[ "$only" == all ]] && echo
  build/bench/log_bench --out=build/bench/log-results-latest.txt --label="$label" ${log_args[@]+"${log_args[@]}"}
fi
if [[ "$only" == all || "$only" == banner ]]; then
  [[ "$only" == all ]] && echo
  node bench/banner/run.js --out=build/bench/banner.json --label="$label" ${banner_args[@]+"${banner_args[@]}"}
fi
if [[ "$only" == clients ]]; then
  node --expose-gc bench/clients_bench.js --out=build/bench/clients.json ${clients_args[@]+"${clients_args[@]}"}
fi
if [[ "$only" == pg ]]; then
  # A throwaway cluster (127.0.0.1, a free port, /tmp, user postgres when root), stopped on exit.
  trap 'tests/server/pg/pg_cluster.sh stop build/bench/pg-cluster' EXIT
  tests/server/pg/pg_cluster.sh start build/bench/pg-cluster
  build/bench/pg_bench --url="$(cat build/bench/pg-cluster/url)" --out=build/bench/pg-results-latest.txt --label="$label" \
    ${pg_args[@]+"${pg_args[@]}"}
fi
