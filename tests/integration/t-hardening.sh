#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t-hardening.sh: a hostile source tree and a killed supervisor against the host.
#
#   - the out folder: a `buildward-out` symlink shipped in the tree, a symlink
#     further up the --out path, a folder of another user or writable by
#     everyone: each refused (exit 125) with the victim directory untouched;
#     a rerun leaves exactly what its report lists (no stale artifacts/);
#   - the supervisor: SIGKILL of `buildward run` takes the whole build with it,
#     a setsid'd daemon that ignores SIGTERM and calls itself kworker included;
#     report.json then says "aborted", and the next run (or `doctor --cleanup`)
#     removes the build's cgroups; SIGTERM, SIGINT and SIGHUP end the build and
#     still write the report, even when they come during the set-up.
#
# Needs root, skips otherwise. About 30 s.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_root
if [ ! -x "$BUILDWARD" ]; then
        echo "Bail out! '$BUILDWARD' is not an executable; build first (meson compile -C build)"
        exit 1
fi

_hard_pids=()
_hard_cleanup() {
        local p
        [ -z "${SECRET:-}" ] || rm -f "$SECRET"
        for p in "${_hard_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
        _tap_cleanup
}
trap _hard_cleanup EXIT

SRC=$TEST_TMP/src
VICTIM=$TEST_TMP/victim
mkdir -p "$SRC" "$VICTIM/artifacts"
echo precious >"$VICTIM/artifacts/keep"
echo precious >"$VICTIM/report.json"
victim_before=$(tree_digest "$VICTIM")

# bw SUBDIR ARGS...: `buildward run` from $SRC/SUBDIR ("." for the tree); sets RC, RUN_ERR
bw() {
        local dir=$1; shift
        RUN_ERR=$TEST_TMP/bw.stderr
        (cd "$SRC/$dir" && timeout -s KILL 60 "$BUILDWARD" run --quiet --no-monitor --source "$SRC" "$@" \
                </dev/null >/dev/null 2>"$RUN_ERR")
        RC=$?
}

# ---- the out folder ---------------------------------------------------------
ln -s "$VICTIM" "$SRC/buildward-out"
bw . -- sh -c 'echo hi >a.bin'
expect_rc "a buildward-out symlink shipped in the tree is refused" 125
expect_match "the error names the symlink and the fix" "symbolic link 'buildward-out'.*remove it" \
        "$(cat "$RUN_ERR")"
expect_eq "nothing was written or deleted where the symlink points" "$victim_before" "$(tree_digest "$VICTIM")"
bw . --artifact a.bin -- sh -c 'echo hi >a.bin'
expect_rc "the same with --artifact: refused" 125
expect_eq "the victim's artifacts/ was not emptied" "$victim_before" "$(tree_digest "$VICTIM")"
rm "$SRC/buildward-out"

mkdir -p "$SRC/sub"
ln -s "$VICTIM" "$SRC/sub/link"
bw . --out sub/link/out -- true
expect_rc "a symlink further up a relative --out is refused" 125
expect_match "the error names that component" "symbolic link 'sub/link'" "$(cat "$RUN_ERR")"
bw . --out "$SRC/sub/link" -- true
expect_rc "an absolute --out ending in a symlink is refused" 125
assert "no out folder was made through the symlink" "$(ls -A "$VICTIM")" [ ! -e "$VICTIM/out" ]
expect_eq "the victim is still untouched" "$victim_before" "$(tree_digest "$VICTIM")"

touch "$SRC/afile"
bw . --out afile -- true
expect_rc "an --out that is a file is refused" 125
expect_match "the error says it is not a directory" "is not a directory" "$(cat "$RUN_ERR")"

mkdir "$SRC/theirs"
chown 65534:65534 "$SRC/theirs"
bw . --out theirs -- true
expect_rc "an out folder of another user is refused" 125
expect_match "the error names its owner" "belongs to uid 65534" "$(cat "$RUN_ERR")"
mkdir -m 0777 "$SRC/open"
chmod 0777 "$SRC/open"
bw . --out open -- true
expect_rc "an out folder writable by everyone is refused" 125
expect_match "the error says why and how to fix it" "writable by everyone.*chmod o-w" "$(cat "$RUN_ERR")"

# a rerun leaves exactly what its report lists
bw . --out fresh --artifact 'a.bin' -- sh -c 'echo one >a.bin'
expect_rc "a build with an artifact passes" 0
assert "its artifact is in the out folder" "" [ -f "$SRC/fresh/artifacts/a.bin" ]
bw . --out fresh -- true
expect_rc "a rerun without --artifact passes" 0
assert "the previous build's artifacts/ is gone" "$(ls -R "$SRC/fresh")" [ ! -e "$SRC/fresh/artifacts" ]
bw . --out fresh --artifact 'b.bin' -- sh -c 'echo two >b.bin'
assert "a rerun with other artifacts holds only its own" "$(ls "$SRC/fresh/artifacts")" \
        [ "$(ls "$SRC/fresh/artifacts")" = b.bin ]
mkdir -p "$SRC/fresh/artifacts/deep/er"
ln -s "$VICTIM" "$SRC/fresh/artifacts/deep/er/escape"
bw . --out fresh -- true
assert "a symlink left in artifacts/ is removed, not followed" "$(ls -A "$SRC/fresh")" \
        [ ! -e "$SRC/fresh/artifacts" ]
expect_eq "the victim is still untouched at the end" "$victim_before" "$(tree_digest "$VICTIM")"

# a real buildward-out shipped in the tree, whose entries point at the host
mkdir -p "$SRC/shipped"
ln -s "$VICTIM/artifacts" "$SRC/shipped/artifacts"
ln -s "$VICTIM/report.json" "$SRC/shipped/report.json"
ln -s "$VICTIM/events" "$SRC/shipped/events.jsonl"
ln "$VICTIM/artifacts/keep" "$SRC/shipped/report.html"
mkfifo "$SRC/shipped/report.sarif"
(cd "$SRC" && timeout -s KILL 60 "$BUILDWARD" run --quiet --source "$SRC" --out shipped --artifact a.bin \
        -- sh -c 'echo hi >a.bin' </dev/null >/dev/null 2>"$TEST_TMP/shipped.err")
RC=$? RUN_ERR=$TEST_TMP/shipped.err
expect_rc "an out folder whose entries are planted links and a FIFO: the build runs" 0
expect_eq "nothing was written through them" "$victim_before" "$(tree_digest "$VICTIM")"
assert "report.json, events.jsonl and artifacts/ are buildward's own" "$(ls -la "$SRC/shipped")" \
        [ -f "$SRC/shipped/report.json" ] && [ ! -L "$SRC/shipped/report.json" ] &&
        [ ! -L "$SRC/shipped/artifacts" ] && [ -f "$SRC/shipped/artifacts/a.bin" ] &&
        [ ! -p "$SRC/shipped/report.sarif" ]
assert "the hard-linked report.html is a new file, the victim's link count is back to 1" \
        "$(stat -c '%h' "$VICTIM/artifacts/keep")" [ "$(stat -c '%h' "$VICTIM/artifacts/keep")" = 1 ]

# ---- the supervisor -----------------------------------------------------------
marker=bw-hard-$$-$RANDOM
# The build: a setsid'd daemon that ignores SIGTERM and SIGHUP and calls itself
# a kernel thread, then the build itself waits.
daemon_script="setsid bash -c 'trap \"\" TERM HUP; exec -a \"kworker/0:1 $marker\" sleep 300' </dev/null >/dev/null 2>&1 & sleep 300 # $marker"
cg_dirs() { find /sys/fs/cgroup -maxdepth 5 -type d -name "build-$1" 2>/dev/null; }
daemon_up() { pgrep -f "kworker/0:1 $marker" >/dev/null; }
daemon_gone() { ! pgrep -f "kworker/0:1 $marker" >/dev/null; }
marker_gone() { ! pgrep -f "$marker" >/dev/null; }

OUT=$TEST_TMP/out-kill
(cd "$SRC" && exec "$BUILDWARD" run --quiet --source "$SRC" --out "$OUT" -- bash -c "$daemon_script" \
        </dev/null >/dev/null 2>"$TEST_TMP/kill.stderr") &
bwpid=$!
_hard_pids+=("$bwpid")
if wait_for 30 daemon_up; then
        ok "the build's daemon runs (setsid, TERM ignored, named kworker)"
else
        not_ok "the build's daemon runs (setsid, TERM ignored, named kworker)" "$(cat "$TEST_TMP/kill.stderr")"
fi
expect_eq "report.json says aborted while the build runs" "aborted" "$(rj 'd["verdict"]')"
reg=$(ls /run/buildward/builds 2>/dev/null | grep "^build-$bwpid-" || true)
expect_ne "the build is registered under /run/buildward/builds" "" "$reg"
expect_ne "it has a cgroup" "" "$(cg_dirs "$bwpid")"
kill -9 "$bwpid"
wait "$bwpid" 2>/dev/null
if wait_for 10 daemon_gone; then ok "SIGKILL of buildward kills the whole build, the daemon included"
else not_ok "SIGKILL of buildward kills the whole build, the daemon included" "$(pgrep -af "$marker")"; fi
assert "no process of the build is left" "$(pgrep -af "$marker")" wait_for 10 marker_gone
expect_eq "report.json still says aborted" "aborted" "$(rj 'd["verdict"]')"
expect_match "with the reason" "killed" "$(rj 'd["reason"]')"
# Any privileged buildward that starts now reaps it (another test run on this
# host may): then the registration must be gone with the cgroup.
if [ -n "$(cg_dirs "$bwpid")" ]; then
        ok "the cgroup stayed behind"
        "$BUILDWARD" doctor --cleanup >"$TEST_TMP/doctor.out" 2>&1
        expect_match "doctor --cleanup removes it" "[1-9][0-9]* cleaned up" "$(cat "$TEST_TMP/doctor.out")"
else
        ok "the cgroup stayed behind # SKIP a concurrent buildward reaped it first"
        ok "doctor --cleanup removes it # SKIP a concurrent buildward reaped it first"
fi
expect_eq "the cgroup is gone" "" "$(cg_dirs "$bwpid")"
assert "and its registration" "$reg" [ ! -e "/run/buildward/builds/$reg" ]

# the same, cleaned up by the next run
(cd "$SRC" && exec "$BUILDWARD" run --quiet --no-monitor --source "$SRC" --out "$OUT" -- bash -c "$daemon_script" \
        </dev/null >/dev/null 2>&1) &
bwpid=$!
_hard_pids+=("$bwpid")
wait_for 30 daemon_up
kill -9 "$bwpid"
wait "$bwpid" 2>/dev/null
assert "without the monitor too, the build dies with buildward" "$(pgrep -af "$marker")" wait_for 10 daemon_gone
if [ -n "$(cg_dirs "$bwpid")" ]; then
        ok "its cgroup stayed behind"
        bw . --out next -- true
        expect_rc "the next run passes" 0
        expect_match "and says what it cleaned up" "removed the cgroups of build build-$bwpid-" "$(cat "$RUN_ERR")"
else
        ok "its cgroup stayed behind # SKIP a concurrent buildward reaped it first"
        ok "the next run passes # SKIP a concurrent buildward reaped it first"
        ok "and says what it cleaned up # SKIP a concurrent buildward reaped it first"
fi
expect_eq "the killed build's cgroup is gone" "" "$(cg_dirs "$bwpid")"
assert "no registration of it is left" "$(ls /run/buildward/builds 2>/dev/null)" \
        bash -c "! ls /run/buildward/builds 2>/dev/null | grep -q '^build-$bwpid-'"

# signals end the build and still write the report
for sig in TERM INT HUP; do
        OUT=$TEST_TMP/out-$sig
        (cd "$SRC" && exec "$BUILDWARD" run --quiet --source "$SRC" --out "$OUT" -- bash -c "$daemon_script" \
                </dev/null >/dev/null 2>&1) &
        bwpid=$!
        _hard_pids+=("$bwpid")
        wait_for 30 daemon_up
        kill -s "$sig" "$bwpid"
        wait "$bwpid"
        RC=$?
        signo=$(kill -l "$sig")
        expect_eq "SIG$sig: buildward exits 128+$signo" "$((128 + signo))" "$RC"
        expect_eq "SIG$sig: the report is written, verdict fail" "fail $sig" \
                "$(rj 'd["verdict"] + " " + d.get("interrupted_by", "-")')"
        assert "SIG$sig: nothing of the build is left" "$(pgrep -af "$marker")" wait_for 10 marker_gone
done

# during the set-up (the monitor loading): the same, whatever the moment
for delay in 0.02 0.1; do
        OUT=$TEST_TMP/out-early-$delay
        (cd "$SRC" && exec "$BUILDWARD" run --quiet --source "$SRC" --out "$OUT" -- sleep 300 \
                </dev/null >/dev/null 2>&1) &
        bwpid=$!
        sleep "$delay"
        kill -TERM "$bwpid"
        wait "$bwpid"
        RC=$?
        expect_eq "SIGTERM after ${delay}s, during the set-up: exit 143" 143 "$RC"
        expect_eq "SIGTERM after ${delay}s: a report that says so" "fail TERM" \
                "$(rj 'd["verdict"] + " " + d.get("interrupted_by", "-")')"
done

# ---- binds ------------------------------------------------------------------
# a writable --bind of a unix socket: the build talks to the host's listener
# (landlock takes only file rights on a non-directory; the rest was EINVAL)
SOCK=$TEST_TMP/host.sock
python3 - "$SOCK" >"$TEST_TMP/sock.out" 2>&1 <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666); s.listen(1); s.settimeout(20)
c, _ = s.accept(); c.sendall(b"pong-from-host\n"); c.close()
PY
_hard_pids+=("$!")
wait_for 10 test -S "$SOCK"
run_build bind-socket --no-monitor --bind "$SOCK:/tmp/host.sock" -- \
        'python3 -c "import socket; s = socket.socket(socket.AF_UNIX); s.connect(\"/tmp/host.sock\"); print(s.recv(64).decode().strip())"'
expect_rc "--bind of a unix socket: the build runs" 0
expect_eq "and reaches the host's listener through it" "pong-from-host" "$(cat "$RUN_OUT")"
run_build ro-bind-socket --no-monitor --ro-bind "$SOCK:/tmp/host.sock" -- 'test -S /tmp/host.sock'
expect_rc "--ro-bind of the same socket still works" 0

# a bind onto the source tree, or onto a directory above it, would hide the tree
mkdir -p "$TEST_TMP/bind-src"
echo from-host >"$TEST_TMP/bind-src/h.txt"
echo in-tree >"$SRC/tree.txt"
for dst in "$SRC" "$(dirname "$SRC")" "$SRC/"; do
        run_build bind-over --no-monitor --bind "$TEST_TMP/bind-src:$dst" -- 'true'
        expect_rc "--bind onto '$dst' (the tree or above it) is refused" 125
        expect_match "the error names the source tree and the fix" \
                "would hide the source tree '$SRC'.*choose a destination" "$(cat "$RUN_ERR")"
done
run_build bind-over-ro --no-monitor --ro-bind "$TEST_TMP/bind-src:$SRC" -- 'true'
expect_rc "--ro-bind onto the tree: refused too" 125
run_build bind-inside --no-monitor --ro-bind "$TEST_TMP/bind-src:$SRC/sub/hostdir" -- \
        'cat tree.txt sub/hostdir/h.txt'
expect_rc "a bind inside the tree is allowed" 0
expect_eq "the rest of the tree stays visible beside it" "in-tree
from-host" "$(cat "$RUN_OUT")"
rm -f "$SRC/tree.txt"

# ---- hard links in the source tree ------------------------------------------
# a link to root's 0600 file: through the idmapped tree it would be the build
# user's; it is masked (empty, unreadable, cannot be moved) and reported
HSRC=$TEST_TMP/hsrc
mkdir -p "$HSRC/sub"
SECRET=$(mktemp /root/bw-secret-XXXXXX)
secret_text=root-only-$RANDOM$RANDOM
echo "$secret_text" >"$SECRET"
chmod 0600 "$SECRET"
echo shared >"$HSRC/a.txt"
ln "$HSRC/a.txt" "$HSRC/sub/a-again.txt" # an ordinary link: the owner's, world-readable
if ln "$SECRET" "$HSRC/x" 2>/dev/null; then
        SRC_SAVED=$SRC SRC=$HSRC
        run_build hardlink --no-monitor -- 'cat x; echo "cat=$?"; rm -f x; echo "rm=$?"; mv x y; echo "mv=$?"; cat sub/a-again.txt'
        SRC=$SRC_SAVED
        expect_rc "a tree with a hard link to a root-only file: the build runs" 0
        expect_eq "the linked secret does not reach the build" "" \
                "$(grep -rF "$secret_text" "$RUN_OUT" "$OUT" 2>/dev/null)"
        expect_match "reading it fails" "cat=1" "$(cat "$RUN_OUT")"
        expect_match "it can be neither removed nor moved aside" "rm=1.*mv=1" "$(tr '\n' ' ' <"$RUN_OUT")"
        expect_match "an ordinary link of the tree's owner stays readable" "shared" "$(cat "$RUN_OUT")"
        expect_eq "report.json names the masked link, and only it" '["x"]' "$(rj 'd["sandbox"]["masked_hardlinks"]')"
        expect_match "a warning names it and the fix" "masked 1 hard-linked file.*'x'.*remove the links" \
                "$(cat "$RUN_ERR")"
        expect_eq "the host file is untouched" "$secret_text 2" "$(cat "$SECRET") $(stat -c %h "$SECRET")"
else
        skip "/root and $TEST_TMP are on different filesystems" "hard link to a root-only file"
fi
rm -f "$SECRET"

# a tree of another owner (a CI user's checkout) with a link to a root-owned file:
# masked even though the file is world-readable
USRC=$TEST_TMP/usrc
mkdir -p "$USRC"
echo "root-owned-$RANDOM" >"$TEST_TMP/root-file"
ln "$TEST_TMP/root-file" "$USRC/linked"
echo mine >"$USRC/mine.txt"
chown 1000:1000 "$USRC" "$USRC/mine.txt"
SRC_SAVED=$SRC SRC=$USRC
run_build hardlink-owner --no-monitor -- 'cat mine.txt; cat linked; echo "cat=$?"'
SRC=$SRC_SAVED
expect_rc "a user's tree with a link to a root-owned file: the build runs" 0
expect_match "the tree's own file is read, the linked one is not" "^mine cat=1" "$(tr '\n' ' ' <"$RUN_OUT")"
expect_eq "report.json names it" '["linked"]' "$(rj 'd["sandbox"]["masked_hardlinks"]')"

done_testing
