#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Layout is clang-format's (.clang-format at the top): every C file must be as it would format it.
. "$(dirname "$0")/lib.sh"
src=${BW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if ! command -v clang-format >/dev/null; then
        echo "1..0 # SKIP clang-format is not installed (scripts/bootstrap installs it)"
        exit 0
fi
cd "$src" || exit 1
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find src tests -name '*.[ch]')
bad=()
for f in "${files[@]}"; do
        clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} = 0 ]; then ok "clang-format: ${#files[@]} C files laid out as .clang-format says"
else not_ok "clang-format: ${#bad[@]} of ${#files[@]} files differ (run: clang-format -i FILE)" "${bad[@]}"; fi
done_testing
