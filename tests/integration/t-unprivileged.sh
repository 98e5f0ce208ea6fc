#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t-unprivileged.sh: buildward started by a normal user.
#
#   (a) It still isolates: uid 1000 inside, no capabilities, no_new_privs,
#       seccomp, its own pid and network namespaces, host /root and /home
#       hidden, in-tree writes copy-on-write, a surviving daemon reported and
#       killed. cgroup limits cannot be applied: the report (privileged_setup
#       false, cgroup.not_applied) and a stderr warning say so.
#   (b) Where user namespaces are blocked (tests/helpers/deny-userns: a seccomp
#       filter like Docker's default profile), it stops with exit 125 and one
#       line naming user namespaces as the cause and a fix, and writes no report.
#
# Root sets up a tree owned by uid 65534 (nobody) and then runs buildward as
# that user with `setpriv --reuid=65534 --regid=65534 --clear-groups` and a
# clean environment. No network traffic; every wait is bounded. Needs root
# (to set up), skips otherwise. About 10 s.

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_root
if [ ! -x "$BUILDWARD" ]; then
        echo "Bail out! '$BUILDWARD' is not an executable; build first (meson compile -C build)"
        exit 1
fi
if ! command -v setpriv >/dev/null; then
        echo "1..0 # SKIP setpriv (util-linux) is missing: cannot drop to an unprivileged user"
        exit 0
fi

UID_U=65534 GID_U=65534
U=$TEST_TMP/u
mkdir -p "$U/home" "$U/bin"
chown -R "$UID_U:$GID_U" "$U"
chmod 0755 "$U" "$U/home" "$U/bin"

# as_user CMD...: CMD as uid/gid 65534 with no supplementary groups and a
# clean environment (no root HOME, no XDG_RUNTIME_DIR of root's)
as_user() {
        setpriv --reuid="$UID_U" --regid="$GID_U" --clear-groups \
                env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$U/home" LANG=C.UTF-8 "$@"
}

# user_path EXE: EXE itself when the user can run it from where it is, else a
# copy in $U/bin (a build tree under /root is not reachable by nobody)
user_path() {
        if as_user test -x "$1" 2>/dev/null; then printf '%s' "$1"; return; fi
        cp "$1" "$U/bin/" && chmod 0755 "$U/bin/${1##*/}" && printf '%s' "$U/bin/${1##*/}"
}
BW=$(user_path "$BUILDWARD")
if [ -n "${BW_BUILDDIR:-}" ]; then deny_built=$BW_BUILDDIR/tests/deny-userns
else deny_built=$(dirname "$BUILDWARD")/tests/deny-userns; fi
DENY=
[ -x "$deny_built" ] && DENY=$(user_path "$deny_built")

# ---- helpers ---------------------------------------------------------------------
_runs=0

# new_src: a fresh source tree owned by the user; sets SRC and OUT
new_src() {
        _runs=$((_runs + 1))
        SRC=$U/src-$_runs
        OUT=$U/out-$_runs
        mkdir -p "$SRC" && chmod 0755 "$SRC" && chown "$UID_U:$GID_U" "$SRC"
}
# own_src: after the test wrote files into SRC, hand them all to the user
own_src() { chown -R "$UID_U:$GID_U" "$SRC"; }

# ubw [OPTIONS...] -- CMD...: `buildward run --no-monitor` as the user, from
# inside $SRC, with PREFIX... (an array, e.g. the deny-userns helper) before
# it. Sets RC, RUN_OUT and RUN_ERR.
PREFIX=()
ubw() {
        local opts=()
        while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
        shift
        RUN_OUT=$OUT.stdout RUN_ERR=$OUT.stderr
        (cd "$SRC" && as_user timeout -s KILL 120 "${PREFIX[@]}" "$BW" run --no-monitor --source "$SRC" --out "$OUT" \
                "${opts[@]}" -- "$@" </dev/null >"$RUN_OUT" 2>"$RUN_ERR")
        RC=$?
}

res() { sed -n "s/^$1=//p" "$RUN_OUT" | head -n 1; }
# user_stage_dirs: the unprivileged stage directories of our user in /tmp, with
# their mode and entry count. buildward keeps one empty 0700 directory per user
# (each run mounts its tmpfs over it in a private mount namespace).
user_stage_dirs() {
        find /tmp -maxdepth 1 -name 'buildward-stage-*' -uid "$UID_U" 2>/dev/null | sort | while read -r d; do
                printf '%s %s %s\n' "$d" "$(stat -c %a "$d")" "$(find "$d" -mindepth 1 | wc -l)"
        done
}

# ---- (a) isolation as a normal user ------------------------------------------------
diag "buildward as uid $UID_U: the sandbox still isolates"
userns_ok=no
if as_user unshare --user true 2>/dev/null; then userns_ok=yes
else
        why_userns="this host refuses unprivileged user namespaces (user.max_user_namespaces=$(cat /proc/sys/user/max_user_namespaces 2>/dev/null)"
        [ -r /proc/sys/kernel/apparmor_restrict_unprivileged_userns ] &&
                why_userns="$why_userns, apparmor_restrict_unprivileged_userns=$(cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns)"
        why_userns="$why_userns)"
fi
if [ "$userns_ok" = yes ]; then
        new_src
        printf 'host content\n' >"$SRC/f"
        printf 'keep me\n' >"$SRC/keep"
        printf 'delete me\n' >"$SRC/gone"
        own_src
        tree_digest "$SRC" >"$TEST_TMP/tree.before"
        hostns=$(readlink /proc/self/ns/pid)
        ubw --memory 100M -- sh -c '
echo "uid=$(id -u) gid=$(id -g)"
echo "capeff=$(sed -n "s/^CapEff:[[:space:]]*//p" /proc/self/status)"
echo "nnp=$(sed -n "s/^NoNewPrivs:[[:space:]]*//p" /proc/self/status)"
echo "seccomp=$(sed -n "s/^Seccomp:[[:space:]]*//p" /proc/self/status)"
echo "pid=$$"
echo "pidns=$(readlink /proc/self/ns/pid)"
echo "net=$(ls /sys/class/net | tr "\n" " ")"
echo "root=$(ls -d /root 2>&1 >/dev/null | grep -c "No such file")"
echo "home=$(ls -A /home | tr "\n" " ")"
echo appended >>f && echo created >g && rm gone
echo "f=$(tail -n 1 f)"
exit 0'
        expect_rc "the unprivileged build exits 0" 0
        expect_eq "uid and gid 1000 inside" "uid=1000 gid=1000" "uid=$(res uid)"
        expect_eq "CapEff is 0" 0000000000000000 "$(res capeff)"
        expect_eq "NoNewPrivs is 1" 1 "$(res nnp)"
        expect_eq "Seccomp is 2 (filter)" 2 "$(res seccomp)"
        expect_eq "CMD is pid 2 of its own pid namespace" 2 "$(res pid)"
        pidns=$(res pidns)
        if [ -n "$pidns" ] && [ "$pidns" != "$hostns" ]; then ok "the pid namespace is not the host's ($pidns)"
        else not_ok "the pid namespace is not the host's" "inside: '$pidns', host: $hostns"; fi
        expect_eq "the only network interface is lo" "lo " "$(res net)"
        expect_eq "host /root is absent" 1 "$(res root)"
        expect_eq "/home holds only the build user's home" "build " "$(res home)"
        expect_eq "inside, the build reads back its write to f" appended "$(res f)"
        tree_digest "$SRC" >"$TEST_TMP/tree.after"
        assert "the real tree is byte-for-byte unchanged" "$(diff "$TEST_TMP/tree.before" "$TEST_TMP/tree.after" | head -n 6)" \
                cmp -s "$TEST_TMP/tree.before" "$TEST_TMP/tree.after"
        expect_eq "source_changes: f modified, g created, gone deleted" \
                '[["f", "modified"], ["g", "created"], ["gone", "deleted"]]' \
                "$(rj 'sorted([c["path"], c["change"]] for c in d["source_changes"])')"
        expect_eq "report: sandbox.privileged_setup is false" false "$(rj 'd["sandbox"]["privileged_setup"]')"
        expect_eq "report: sandbox.uid 1000, host_uid $UID_U" "[1000, $UID_U]" \
                "$(rj '[d["sandbox"]["uid"], d["sandbox"]["host_uid"]]')"
        expect_eq "report: all seven namespaces" '["cgroup", "ipc", "mount", "net", "pid", "user", "uts"]' \
                "$(rj 'sorted(d["sandbox"]["namespaces"])')"
        expect_eq "report: seccomp and no_new_privs" '[true, true]' \
                "$(rj '[d["sandbox"]["seccomp"], d["sandbox"]["no_new_privs"]]')"
        expect_eq "report: --memory 100M is in sandbox.cgroup.not_applied" true \
                "$(rj '"memory" in d["sandbox"]["cgroup"]["not_applied"]')"
        expect_eq "report: a sandbox warning names the memory limit" true \
                "$(rj 'any("memory" in w for w in d["sandbox"]["warnings"])')"
        expect_match "stderr: a warning line names the memory limit and the reason" \
                '^buildward: warning: .*memory.*(root|delegat)' "$(grep '^buildward: warning:' "$RUN_ERR")"
        assert "the report and out folder belong to the user" "$(ls -ln "$OUT" 2>&1 | head -n 3)" \
                test "$(stat -c %u "$OUT/report.json" 2>/dev/null)" = "$UID_U"

        diag "nothing survives an unprivileged build (no cgroup: the pid namespace does it)"
        new_src
        tag=300.$$21
        ubw --quiet -- sh -c "setsid sleep $tag & while ! pgrep -xf 'sleep $tag' >/dev/null && [ \$((i+=1)) -le 50 ]; do sleep 0.1; done; exit 0"
        expect_rc "a surviving daemon: exit 123" 123
        expect_eq "a process-survival finding names it" true \
                "$(rj 'any(f["category"] == "process-survival" and "'"$tag"'" in ((f.get("process") or {}).get("argv") or []) for f in d["findings"])')"
        assert "the daemon is gone from the host" "left: $(build_pids "$tag" | tr '\n' ' ')" wait_for 10 no_build_pid "$tag"

        new_src
        tag=300.$$22
        ubw --quiet --timeout 1 -- sleep "$tag"
        expect_rc "--timeout 1 unprivileged: exit 124" 124
        assert "the timed-out sleep is gone from the host" "left: $(build_pids "$tag" | tr '\n' ' ')" wait_for 10 no_build_pid "$tag"
else
        for d in "uid 1000, CapEff 0, NoNewPrivs 1, Seccomp 2" "own pid and network namespaces" "host /root and /home hidden" \
                "in-tree writes copy-on-write" "privileged_setup false, not_applied memory, warning line" \
                "nothing survives an unprivileged build"; do
                skip "$why_userns" "unprivileged: $d"
        done
fi

# ---- (b) user namespaces blocked ------------------------------------------------------
diag "user namespaces blocked by a Docker-like seccomp filter (tests/helpers/deny-userns)"
if [ -z "$DENY" ]; then
        not_ok "the deny-userns helper is built" "not found at $deny_built; build first (meson compile -C build)"
else
        ctl_rc=0
        as_user "$DENY" unshare --user true 2>/dev/null || ctl_rc=$?
        if [ "$ctl_rc" != 0 ] && [ "$ctl_rc" != 99 ]; then ok "control: under deny-userns, unshare --user fails"
        else not_ok "control: under deny-userns, unshare --user fails" "exit $ctl_rc"; fi
        ctl_rc=0
        as_user "$DENY" sh -c 'exit 0' || ctl_rc=$?
        expect_eq "control: under deny-userns, other commands run" 0 "$ctl_rc"

        new_src
        printf 'tree\n' >"$SRC/file"
        own_src
        tree_digest "$SRC" >"$TEST_TMP/deny.before"
        PREFIX=("$DENY")
        ubw --quiet -- sh -c 'echo ran'
        PREFIX=()
        err=$(cat "$RUN_ERR")
        expect_rc "buildward under a userns-blocking filter: exit 125" 125
        expect_eq "exactly one stderr line" 1 "$(wc -l <"$RUN_ERR")"
        expect_match "the line is 'buildward: error: CAUSE; FIX'" '^buildward: error: .+; .+' "$err"
        expect_match "the cause named is user namespaces" '[Uu]ser namespace' "$err"
        expect_match "a fix is named (sysctl, apparmor or the docker seccomp profile)" \
                'sysctl|apparmor|seccomp=|--security-opt' "$err"
        assert "the build command did not run" "stdout: $(head -c 100 "$RUN_OUT")" test ! -s "$RUN_OUT"
        assert "no report.json" "$(ls -A "$OUT" 2>&1 | head -n 3)" test ! -e "$OUT/report.json"
        tree_digest "$SRC" >"$TEST_TMP/deny.after"
        assert "the source tree is unchanged" "$(diff "$TEST_TMP/deny.before" "$TEST_TMP/deny.after" | head -n 4)" \
                cmp -s "$TEST_TMP/deny.before" "$TEST_TMP/deny.after"

        # doctor is where the error line sends a user who wants details
        dout=$(as_user "$DENY" "$BW" doctor 2>&1)
        expect_match "doctor under the filter: user namespaces no" '^user namespaces +no' "$dout"
        root_doc=$("$BUILDWARD" doctor 2>&1)
        if printf '%s\n' "$root_doc" | grep -Eq '^pid namespaces +yes'; then
                expect_eq "doctor under the filter does not tell to rebuild a kernel that has the namespaces (CONFIG_*_NS)" "" \
                        "$(printf '%s\n' "$dout" | grep -n 'CONFIG_' | head -n 3)"
        else
                skip "this kernel lacks pid namespaces even for root" "doctor under the filter blames only user namespaces"
        fi
        djson=$(as_user "$DENY" "$BW" doctor --json 2>/dev/null)
        expect_eq "doctor --json under the filter: user namespaces available false" false \
                "$(python3 -c 'import json,sys; print(json.dumps([e["available"] for e in json.loads(sys.argv[1]) if e["feature"] == "user namespaces"][0]))' "$djson" 2>&1 | tail -n 1)"
fi

# ---- host side effects -------------------------------------------------------------
expect_eq "only the user's one empty, private stage directory is left in /tmp" \
        "/tmp/buildward-stage-$UID_U 700 0" "$(user_stage_dirs)"

done_testing
