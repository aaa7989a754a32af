#!/usr/bin/env bash
# npm run lint:native: clang-format (.clang-format) and clang-tidy (.clang-tidy)
# over the native sources that do not include napi.h, with the flags of
# native/Makefile. Reports; exits non-zero on findings.
set -uo pipefail
cd "$(dirname "$0")/.."
FMT=$(command -v clang-format-14 || command -v clang-format)
TIDY=$(command -v clang-tidy-14 || command -v clang-tidy)
files=$(ls native/decode/*.cc native/engine/*.cc native/source/*.cc 2>/dev/null)
status=0
$FMT --dry-run -Werror $files native/decode/*.h native/engine/*.h || status=1
$TIDY --quiet $files -- -std=c++17 -Inative -Inative/decode -Inative/engine -Inative/source 2>/dev/null | grep -E "warning:|error:" && status=1
exit $status
