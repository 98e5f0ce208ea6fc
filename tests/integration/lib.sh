# SPDX-License-Identifier: GPL-2.0-or-later
# Tiny TAP library for the integration scripts. Source it, call plan-free
# ok/fail/skip helpers, end with `done_testing`.
#
#   BUILDWARD   path of the binary under test (set by the runner or meson)
#   BW_PROBE    path of tests/helpers/bw-probe
#
# Each check prints one TAP line. A script that needs root and lacks it prints
# "1..0 # SKIP needs root" and exits 0.

set -u
: "${BUILDWARD:?BUILDWARD must point at the built binary}"
_tap_n=0
_tap_failed=0
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/bw-test.XXXXXX")
chmod 0755 "$TEST_TMP"
_tap_cleanup() { rm -rf "$TEST_TMP" 2>/dev/null || true; }
trap _tap_cleanup EXIT

ok() { # ok DESCRIPTION -- records a pass
        _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
not_ok() { # not_ok DESCRIPTION [DIAG...]
        _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1))
        echo "not ok $_tap_n - $1"; shift
        for d in "$@"; do printf '#   %s\n' "$d"; done; }
skip() { # skip REASON DESCRIPTION
        _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $2 # SKIP $1"; }
diag() { printf '# %s\n' "$*"; }

# check DESCRIPTION COMMAND... : passes when COMMAND exits 0
check() {
        local desc=$1; shift
        if "$@" >"$TEST_TMP/check.out" 2>&1; then ok "$desc"
        else not_ok "$desc" "command: $*" "$(tail -n 5 "$TEST_TMP/check.out")"; fi
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
        if [ "$2" = "$3" ]; then ok "$1"
        else not_ok "$1" "expected: $2" "actual:   $3"; fi
}

# expect_ne DESCRIPTION UNEXPECTED ACTUAL
expect_ne() {
        if [ "$2" != "$3" ]; then ok "$1"
        else not_ok "$1" "value must differ from: $2"; fi
}

# expect_match DESCRIPTION EXTENDED-REGEX TEXT
expect_match() {
        if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"
        else not_ok "$1" "pattern: $2" "text: $(printf '%s' "$3" | head -c 400)"; fi
}

require_root() {
        if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root"; exit 0; fi
}

# json FILE JQ-LIKE-PYTHON-EXPR: evaluates a python expression over the parsed
# document bound to `d`, prints the result (json.dumps for non-strings).
json() {
        python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2], {"d": d})
print(v if isinstance(v, str) else json.dumps(v))
PY
}

done_testing() {
        echo "1..$_tap_n"
        [ "$_tap_failed" = 0 ]
}
