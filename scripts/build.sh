#!/usr/bin/env bash
# Configures and builds one flavour of the project into build/<flavour>:
#   native  - debug, with AddressSanitizer + UndefinedBehaviorSanitizer (tests)
#   release - optimized native programs (demo, benchmarks)
#   tsan    - ThreadSanitizer, optimized with debug info: only the server tests (and PostgreSQL store tests),
#             of which test.sh runs the [concurrency] ones (ASan cannot join it)
#   wasm    - Emscripten: the core, its bindings, and the same core tests
#   web     - the banner's served files (consent.js, consent.css, the wasm) into
#             build/web/dist; needs 'wasm' first
#   fuzz    - clang++-14: the libFuzzer targets of tests/fuzz (libraries with
#             -fsanitize=fuzzer-no-link,address,undefined) into build/fuzz
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:?usage: scripts/build.sh native|release|tsan|wasm|web|fuzz}
jobs=$(nproc)
# Debian's emcc runs acorn from Debian's node modules (TOOLCHAIN.md).
export NODE_PATH=/usr/share/nodejs
targets=()

case "$flavour" in
  native)
    cmake -S . -B build/native -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCONSENT_SANITIZE=ON >/dev/null ;;
  release)
    cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release -DCONSENT_BUILD_TESTS=OFF >/dev/null ;;
  tsan)
    cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONSENT_SANITIZE_THREAD=ON >/dev/null
    targets=(--target consent_server_tests consent_pg_tests) ;;
  wasm)
    [ -x build/native/tests/consent_vectors_tool ] || { echo "build.sh: build 'native' first (the differential test needs it)" >&2; exit 1; }
    emcmake cmake -S . -B build/wasm -G Ninja -DCMAKE_BUILD_TYPE=MinSizeRel \
      -DCONSENT_NATIVE_VECTORS_TOOL="$PWD/build/native/tests/consent_vectors_tool" >/dev/null ;;
  web)
    exec node web/build.mjs ;;
  fuzz)
    # g++ stays the main compiler; libFuzzer is clang's (TOOLCHAIN.md).
    cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
      -DCMAKE_CXX_COMPILER=clang++-14 -DCONSENT_FUZZ=ON -DCONSENT_BUILD_TESTS=OFF >/dev/null
    exec cmake --build build/fuzz -j "$jobs" --target consent_fuzz_targets ;;
  *) echo "build.sh: unknown flavour '$flavour'" >&2; exit 64 ;;
esac
cmake --build "build/$flavour" -j "$jobs" "${targets[@]}"
