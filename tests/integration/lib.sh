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

# ---- helpers for scripts that run buildward and keep its output in $RUN_OUT,
# $RUN_ERR (files) and its exit code in $RC, with the report at $OUT/report.json

# why: one diagnostic line about the last run
why() {
        printf 'buildward exit %s; stderr: %s' "$RC" \
                "$(tail -n 3 "$RUN_ERR" 2>/dev/null | tr '\n' '|' | head -c 300)"
}

# assert DESC DIAG COMMAND...: passes when COMMAND exits 0, else prints DIAG
assert() {
        local desc=$1 diag=$2; shift 2
        if "$@"; then ok "$desc"; else not_ok "$desc" "$diag"; fi
}

# expect_rc DESC EXPECTED: the last run's exit code
expect_rc() {
        if [ "$RC" = "$2" ]; then ok "$1"
        else not_ok "$1" "expected exit $2" "$(why)"; fi
}

# rj EXPR: a python expression over $OUT/report.json (bound to d); on any
# error prints "<report: ERROR>" so a check fails with a readable value
rj() {
        python3 - "$OUT/report.json" "$1" <<'PY' 2>/dev/null
import json, sys
try:
    d = json.load(open(sys.argv[1]))
    v = eval(sys.argv[2], {"d": d})
except Exception as e:
    print("<report: %s: %s>" % (type(e).__name__, e))
    sys.exit(0)
print(v if isinstance(v, str) else json.dumps(v))
PY
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s, at most SECONDS
# (COMMAND is run each time: pass a function, not a "$(...)" expansion)
wait_for() {
        local i n=$(($1 * 10)); shift
        for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.1; done
        return 1
}

# pid_gone PID: no such host process (or only its zombie)
pid_gone() { [ ! -e "/proc/$1" ] || [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = Z ]; }

# tree_digest DIR: every entry's path, type, size, mode, owner and mtime, then
# the sha256 of every regular file. Any write to the tree changes this text.
tree_digest() {
        (cd "$1" && find . -printf '%P %y %s %m %U:%G %T@ %l\n' | LC_ALL=C sort &&
                find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}

# build_pids MARKER: host pids in another pid namespace than ours with MARKER
# as one of their arguments (the build's processes, seen from the host)
build_pids() {
        python3 - "$1" <<'PY'
import os, sys
mine = os.readlink("/proc/self/ns/pid")
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        ns = os.readlink("/proc/%s/ns/pid" % p)
        argv = open("/proc/%s/cmdline" % p, "rb").read().split(b"\0")
    except OSError:
        continue
    if ns != mine and sys.argv[1].encode() in argv:
        print(p)
PY
}
has_build_pid() { [ -n "$(build_pids "$1")" ]; }
no_build_pid() { [ -z "$(build_pids "$1")" ]; }

# run_build NAME [run options...] -- SCRIPT: `buildward run` of `sh -c SCRIPT` with
# the source tree $SRC, from there, into the out folder $TEST_TMP/out-NAME; sets
# OUT, RUN_OUT, RUN_ERR and RC for the checks (rj, expect_rc, why)
run_build() {
        local name=$1; shift
        local opts=()
        while [ "$1" != -- ]; do opts+=("$1"); shift; done
        shift
        OUT=$TEST_TMP/out-$name
        RUN_OUT=$OUT.stdout RUN_ERR=$OUT.stderr
        (cd "$SRC" && timeout -s KILL 120 "$BUILDWARD" run --quiet --source "$SRC" --out "$OUT" "${opts[@]}" \
                -- sh -c "$1" </dev/null >"$RUN_OUT" 2>"$RUN_ERR")
        RC=$?
}

done_testing() {
        echo "1..$_tap_n"
        [ "$_tap_failed" = 0 ]
}
