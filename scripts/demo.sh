#!/usr/bin/env bash
# The demo in one command: set up the machine, build what the demo needs
# (consentd and consentctl, the wasm core, the banner), then run the Velo bike
# shop: consentd on its embedded SQLite file, the shop's site and the newsletter
# sender that asks consentd before every email. Prints the URLs and runs until
# Ctrl-C, then stops everything it started.
#
#   ./scripts/demo.sh           run until Ctrl-C
#   ./scripts/demo.sh --check   start, check every part answers, stop (CI)
#
# Ports and the workspace come from the environment: DEMO_SITE_PORT (8080),
# DEMO_CONSENTD_PORT (8700), DEMO_DIR (build/demo: database, keys, API key,
# subscribers; made on the first run, reused later). See demo/start.js.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  --check) export DEMO_EXIT_AFTER_START=1 ;;
  "") ;;
  *) echo "usage: scripts/demo.sh [--check]" >&2; exit 64 ;;
esac

scripts/setup.sh
mkdir -p build
log=build/demo-build.log
step() { printf 'demo: %s\n' "$1"; }
build() { # what, command…
  step "building $1 (log: $log)"
  if ! "${@:2}" >>"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "demo: building $1 failed; the whole log is in $log" >&2
    exit 1
  fi
}
: >"$log"
build "consentd and consentctl" scripts/build.sh release
# Only the two wasm modules the pages load and the sender's mirror module: the full wasm test build is for
# scripts/test.sh. The configuration is build.sh's (it adds the differential
# tool later; an existing configuration is kept as it is).
export NODE_PATH=/usr/share/nodejs
if [ ! -f build/wasm/CMakeCache.txt ]; then
  build "the wasm configuration" emcmake cmake -S . -B build/wasm -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel
fi
build "the wasm core" cmake --build build/wasm --target consent_core_wasm consent_banner_wasm consent_mirror_wasm
build "the banner" scripts/build.sh web

exec node demo/start.js
