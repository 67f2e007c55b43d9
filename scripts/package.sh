#!/usr/bin/env bash
# Builds the release flavour and its Debian package: build/release/consentd_<version>_<arch>.deb
# (cmake/ConsentPackaging.cmake; install it with `apt-get install ./build/release/consentd_*.deb`,
# then follow docs/deployment.md). tests/server/package.test.js packages the test build the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh release
cpack --config build/release/CPackConfig.cmake -G DEB -B build/release >/dev/null
rm -rf build/release/_CPack_Packages
ls build/release/consentd_*.deb
