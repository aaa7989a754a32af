#!/usr/bin/env bash
# npm run lint:native: clang-format (.clang-format) over every C and C++ file
# of native/, and clang-tidy (.clang-tidy) over the native sources that do not
# include napi.h, with the flags of native/Makefile. Reports; exits non-zero on
# findings.
set -uo pipefail
cd "$(dirname "$0")/.."
FMT=$(command -v clang-format-14 || command -v clang-format)
TIDY=$(command -v clang-tidy-14 || command -v clang-tidy)
files=$(ls native/decode/*.cc native/engine/*.cc native/source/*.cc 2>/dev/null)
status=0
$FMT --dry-run -Werror $(find native \( -name '*.c' -o -name '*.cc' -o -name '*.h' \) | sort) || status=1
$TIDY --quiet $files -- -std=c++17 -Inative -Inative/decode -Inative/engine -Inative/source 2>/dev/null | grep -E "warning:|error:" && status=1
exit $status
