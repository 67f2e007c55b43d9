#!/usr/bin/env bash
# The habits the test command checks: every C++ file as .clang-format wants it
# (clang-format --dry-run changes nothing; run scripts/lint.sh --fix to apply),
# and ESLint clean over the JavaScript (eslint.config.js). A few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

fix=0
[ "${1:-}" = "--fix" ] && fix=1

# Debian's clang-format-14 is what the style was written against (setup.sh installs it).
clang_format=$(command -v clang-format-14 || command -v clang-format || true)
[ -n "$clang_format" ] || { echo "lint.sh: clang-format is missing (scripts/setup.sh installs it)" >&2; exit 1; }

mapfile -t cpp < <(git ls-files '*.cpp' '*.hpp' '*.h')
status=0
if [ "$fix" -eq 1 ]; then
  "$clang_format" -i "${cpp[@]}"
  npx --no-install eslint --fix . || status=1
else
  "$clang_format" --dry-run --Werror "${cpp[@]}" || {
    echo "lint.sh: C++ not formatted as .clang-format says (scripts/lint.sh --fix applies it)" >&2
    status=1
  }
  npx --no-install eslint . || { echo "lint.sh: ESLint found problems (see above)" >&2; status=1; }
fi
[ "$status" -eq 0 ] && echo "lint: ${#cpp[@]} C++ files formatted, JavaScript ESLint-clean"
exit "$status"
