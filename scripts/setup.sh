#!/usr/bin/env bash
# Installs what building and testing the SDK needs on Debian 12 (run as root,
# or with sudo available). Safe to run again: it installs only what is missing.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config git ca-certificates curl
  nlohmann-json3-dev catch2          # core: JSON; tests: Catch2 v2
  libsodium-dev libsqlite3-dev sqlite3 libcpp-httplib-dev   # consentd: Ed25519, storage, HTTP
  libjemalloc-dev                    # consentd's allocator (server/CMakeLists.txt says why)
  postgresql-15 libpq-dev            # the PostgreSQL store (issue #12); its tests start a throwaway cluster
  emscripten                         # the wasm build (brings Debian's nodejs when none is installed)
  chromium                           # the banner's browser tests and benchmark (driven by playwright-core)
  nginx openssl                      # the reverse-proxy test (deploy/nginx); openssl makes its throwaway certificate
  clang-14 libfuzzer-14-dev libclang-rt-14-dev   # the fuzz targets (libFuzzer + sanitizer runtimes)
  dpkg-dev                           # the Debian package (CPack's DEB generator reads dpkg-shlibdeps)
  clang-format                       # scripts/lint.sh: the C++ style (.clang-format; Debian 12's is clang-format-14)
  python3 faketime                   # the Python client's tests; libfaketime moves consentd's clock in the mirror tests
)
# node and npm may come from Debian or from another node distribution: look
# for the commands, not the packages.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Node packages the tests use (an independent JOSE implementation, …), exactly as
# locked. Reinstalled only when the lock file changed.
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.consent-lock-stamp; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.consent-lock-stamp
fi
