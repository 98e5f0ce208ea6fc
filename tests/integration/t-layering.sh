#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every folder of src/ on its floor (scripts/check-layering): the tree obeys, and
# the check itself fails on a planted upward include, a planted cycle and a
# folder without a floor.
. "$(dirname "$0")/lib.sh"
src=${BW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
check=$src/scripts/check-layering
if ! command -v python3 >/dev/null; then
        echo "1..0 # SKIP python3 is not installed (scripts/bootstrap installs it)"
        exit 0
fi

"$check" "$src" >"$TEST_TMP/tree.out" 2>&1
rc=$?
if [ $rc = 0 ]; then ok "src/: $(tail -n 1 "$TEST_TMP/tree.out" | sed 's/^check-layering: //')"
else
        mapfile -t lines <"$TEST_TMP/tree.out"
        not_ok "src/: every include goes down a floor, no cycle between folders" "${lines[@]}"
fi

# plant FILE LINE: a copy of src/ with LINE added to FILE, checked; the output in $TEST_TMP/plant.out
plant() {
        rm -rf "$TEST_TMP/tree" && mkdir -p "$TEST_TMP/tree" && cp -r "$src/src" "$TEST_TMP/tree/" || return 1
        mkdir -p "$(dirname "$TEST_TMP/tree/$1")" && printf '%s\n' "$2" >>"$TEST_TMP/tree/$1"
        "$check" "$TEST_TMP/tree" >"$TEST_TMP/plant.out" 2>&1
}

plant src/report/html.c '#include "detect/engine.h"'
expect_eq "an upward include fails the check" 1 $?
expect_match "its line names the file, the include and the fix" \
        '^src/report/html\.c:[0-9]+: includes "detect/engine\.h": report/ and detect/ share floor 3 .*; fix: ' \
        "$(cat "$TEST_TMP/plant.out")"

plant src/basic/log.h '#include "cli/commands.h"'
expect_match "basic/ including cli/ is refused" \
        '^src/basic/log\.h:[0-9]+: includes "cli/commands\.h": basic/ \(floor 0\) is below cli/ \(floor 6\)' \
        "$(cat "$TEST_TMP/plant.out")"

plant src/finding/finding.h '#include "report/report.h"'
expect_match "a cycle between folders is named" '^include cycle between folders: .*finding -> report|report -> finding' \
        "$(cat "$TEST_TMP/plant.out")"

plant src/newfolder/x.c '#include "basic/util.h"'
expect_match "a folder without a floor fails" '^src/newfolder/: folder has no floor' "$(cat "$TEST_TMP/plant.out")"
done_testing
