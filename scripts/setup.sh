#!/usr/bin/env bash
# Installs what building and testing the SDK needs on Debian 12 (run as root,
# or with sudo available). Safe to run again: it installs only what is missing.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config git ca-certificates
  nlohmann-json3-dev catch2          # core: JSON; tests: Catch2 v2
  libsodium-dev libsqlite3-dev sqlite3 libcpp-httplib-dev   # consentd: Ed25519, storage, HTTP
  emscripten nodejs                  # the wasm build, and node to run it
)

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
