#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# t-security.sh: escape and abuse attempts against `buildward run`.
#
# Each attempt runs tests/helpers/bw-probe inside a fresh sandbox (a new
# source tree holding a copy of the probe: the sandbox shows only system dirs
# and the source tree). The probe prints one line, `OK ...` when the attempt
# worked or `ERR ERRNONAME ...` when it failed, and the check asserts the
# exact failure; where it matters the host side is checked too (file bytes
# unchanged, process still alive, listener accepted nothing).
#
# Rules (the project's TESTING.md): traffic only to listeners this script
# starts on the host's loopback; every loop is bounded in count and time;
# attacks run only inside the sandbox. Host files it must plant (victims in
# /etc and /usr/lib, a marker in /root, sockets in /run and /tmp) are removed
# on exit, and a /proc/sys value a broken sandbox changed is put back.
# Needs root, skips otherwise. About 30 s (two sandboxes run ~10 s at once).

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_root
: "${BW_PROBE:?BW_PROBE must point at the built bw-probe}"
if [ ! -x "$BUILDWARD" ] || [ ! -x "$BW_PROBE" ]; then
        echo "Bail out! '$BUILDWARD' or '$BW_PROBE' is not an executable; build first (meson compile -C build)"
        exit 1
fi

# ---- cleanup: host processes and host files outside TEST_TMP ---------------
_sec_pids=()
_sec_files=()
_sec_cleanup() {
        local p
        for p in "${_sec_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
        for p in "${_sec_files[@]}"; do rm -rf "$p" 2>/dev/null; done
        _tap_cleanup
}
trap _sec_cleanup EXIT

# ---- helpers ----------------------------------------------------------------
_runs=0

# new_src: a fresh source tree holding bw-probe; sets SRC and OUT
new_src() {
        _runs=$((_runs + 1))
        SRC=$TEST_TMP/src-$_runs
        OUT=$TEST_TMP/out-$_runs
        mkdir -p "$SRC" && cp "$BW_PROBE" "$SRC/bw-probe" && chmod 0755 "$SRC" "$SRC/bw-probe"
}

BW_ENV=()        # NAME=VALUE words added to buildward's environment
BW_STDIN=/dev/null
BW_TIMEOUT=120   # seconds before buildward itself is SIGKILLed (exit 137)

# bw [OPTIONS...] -- CMD...: `buildward run` on $SRC and $OUT. Sets RC, LINE
# (the first line CMD printed), RUN_OUT and RUN_ERR (files).
bw() {
        local opts=()
        while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
        shift
        RUN_OUT=$OUT.stdout RUN_ERR=$OUT.stderr
        env "${BW_ENV[@]}" timeout -s KILL "$BW_TIMEOUT" "$BUILDWARD" run --no-monitor --quiet \
                --source "$SRC" --out "$OUT" "${opts[@]}" -- "$@" \
                <"$BW_STDIN" >"$RUN_OUT" 2>"$RUN_ERR"
        RC=$?
        LINE=$(head -n 1 "$RUN_OUT")
}

# probe [OPTIONS...] -- ACTION [ARGS...]: ./bw-probe ACTION in a fresh tree
probe() {
        local opts=()
        while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
        shift
        new_src
        bw "${opts[@]}" -- ./bw-probe "$@"
}

# res LABEL: from a batch run (lines "LABEL => RESULT"), the RESULT of LABEL
res() { sed -n "s/^$1 => //p" "$RUN_OUT" | head -n 1; }

# expect_line DESC EXPECTED [ACTUAL]: ACTUAL (default $LINE) is EXPECTED exactly
expect_line() {
        local actual=${3-$LINE}
        if [ "$actual" = "$2" ]; then ok "$1"
        else not_ok "$1" "expected: $2" "actual:   $actual" "$(why)"; fi
}

# expect_re DESC ERE [ACTUAL]: ACTUAL (default $LINE) matches ERE
expect_re() {
        local actual=${3-$LINE}
        if printf '%s\n' "$actual" | grep -Eq -- "$2"; then ok "$1"
        else not_ok "$1" "expected to match: $2" "actual: $actual" "$(why)"; fi
}

hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

# fnv FILE: the FNV-1a 64 that `bw-probe read` prints
fnv() {
        python3 -c '
import sys
h = 0xcbf29ce484222325
for b in open(sys.argv[1], "rb").read():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print("%016x" % h)' "$1"
}

# host_pids TAG: host pids running bw-probe with TAG as one of its arguments
host_pids() {
        python3 - "$1" <<'PY'
import os, sys
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        argv = open("/proc/%s/cmdline" % p, "rb").read().split(b"\0")
    except OSError:
        continue
    if argv and argv[0].endswith(b"bw-probe") and sys.argv[1].encode() in argv[1:]:
        print(p)
PY
}

# same_bytes A B: files identical
same_bytes() { cmp -s -- "$1" "$2"; }

# ---- 0. the sandbox runs at all ---------------------------------------------
diag "sandbox basics"
probe -- pid
expect_re "a probe runs in the sandbox and exits 0" '^OK pid=[0-9]+ ' \
        "$LINE rc=$RC"
if [ "$RC" != 0 ] || [ -z "$LINE" ]; then
        diag "the sandbox does not run a command; the checks below will fail with it"
fi
expect_eq "report.json: sandbox uid is 1000" "1000" "$(rj 'd["sandbox"]["uid"]')"
expect_eq "report.json: all seven namespaces" '["cgroup", "ipc", "mount", "net", "pid", "user", "uts"]' \
        "$(rj 'sorted(d["sandbox"]["namespaces"])')"
expect_eq "report.json: seccomp and no_new_privs" '[true, true]' \
        "$(rj '[d["sandbox"]["seccomp"], d["sandbox"]["no_new_privs"]]')"
# Landlock, when the host has it, refuses some attempts before the kernel's
# capability check does: EACCES instead of EPERM.
landlock=$(rj 'd["sandbox"]["landlock"]["enabled"]')
diag "landlock enabled: $landlock"

# ---- 1. identity inside -------------------------------------------------------
diag "identity: uid 1000, no capabilities, no_new_privs, seccomp filter mode"
probe -- getuid
expect_re "uid/euid/gid/egid are 1000, no supplementary group" \
        '^OK uid=1000 euid=1000 gid=1000 egid=1000 groups=(1000)?$'
probe -- caps
expect_re "no capabilities (CapInh, CapPrm, CapEff, CapAmb all 0)" \
        '^OK CapInh=0{16} CapPrm=0{16} CapEff=0{16} CapBnd=[0-9a-f]{16} CapAmb=0{16}$'
probe -- nnp
expect_line "NoNewPrivs 1 and Seccomp 2 (filter)" "OK NoNewPrivs=1 Seccomp=2"
probe -- fds
expect_line "only fds 0, 1 and 2 are open in the build" "OK fds=0,1,2"

# ---- 2. host secrets ----------------------------------------------------------
diag "host secrets are not visible"
# Hidden means absent, or covered by an empty inaccessible placeholder: the
# stat tells that apart from the host's file merely being unreadable to 1000.
for f in /etc/shadow /etc/gshadow; do
        probe -- read "$f"
        expect_re "$f cannot be read ($LINE)" '^ERR (ENOENT|EACCES)$'
        if [ -s "$f" ]; then
                expect_ne "$f read inside is not the host's content" "OK bytes=$(stat -c %s "$f") fnv=$(fnv "$f")" "$LINE"
        fi
        probe -- stat "$f"
        expect_re "$f is absent or an empty mode-0000 placeholder" \
                '^(ERR ENOENT|OK type=reg mode=0000 uid=[0-9]+ gid=[0-9]+ size=0)$'
done
probe -- ls /root
expect_line "/root is absent" "ERR ENOENT"
marker=/root/.bw-sec-marker-$$
_sec_files+=("$marker")
echo "host secret $$" >"$marker" && chmod 0644 "$marker"
probe -- read "$marker"
expect_line "a world-readable file in host /root is not reachable" "ERR ENOENT"
rm -f "$marker"
probe -- ls /run
expect_line "/run is absent" "ERR ENOENT"
probe -- ls /var/run
expect_line "/var/run is absent" "ERR ENOENT"
probe -- ls /home
expect_line "/home holds only the build user's home" "OK n=1 names=build"
key=$(find /etc/ssh -maxdepth 1 -name 'ssh_host_*_key' 2>/dev/null | head -n 1)
if [ -z "$key" ]; then
        # A host without sshd: plant a stand-in (removed on exit), so the mask is
        # tested here too. Never over a real key: only when none exists.
        key=/etc/ssh/ssh_host_buildwardtest_key
        [ -d /etc/ssh ] || { mkdir /etc/ssh && _sec_files+=(/etc/ssh); }
        [ ! -e "$key" ] && _sec_files+=("$key") && (umask 077 && echo "not a real key: t-security.sh" >"$key")
fi
probe -- read "$key"
expect_line "SSH host key $key is absent" "ERR ENOENT"

# ---- 3. host system directories are read-only -------------------------------
diag "writes to host /etc and /usr"
for d in /etc /usr/lib; do
        victim=$d/bw-sec-victim-$$
        _sec_files+=("$victim")
        printf 'original %s\n' "$$" >"$victim" && chmod 0666 "$victim"
        cp "$victim" "$TEST_TMP/victim.ref"
        probe -- write "$victim"
        expect_line "overwrite of a world-writable host file in $d: EROFS" "ERR EROFS"
        assert "host $victim is byte-for-byte unchanged" "content: $(head -c 100 "$victim")" \
                same_bytes "$victim" "$TEST_TMP/victim.ref"
        rm -f "$victim"
        new=$d/bw-sec-new-$$
        _sec_files+=("$new")
        probe -- write "$new"
        expect_line "create a file in $d: EROFS" "ERR EROFS"
        assert "no $new on the host" "it exists" test ! -e "$new"
done
newdir=/usr/bw-sec-dir-$$
_sec_files+=("$newdir")
probe -- mkdir "$newdir"
expect_line "mkdir in /usr: EROFS" "ERR EROFS"
assert "no $newdir on the host" "it exists" test ! -e "$newdir"
probe -- write /bin/bw-sec-new-$$
expect_line "create a file in /bin: EROFS" "ERR EROFS"

# ---- 4. the source tree is copy-on-write -----------------------------------
diag "writes to the source tree stay in the sandbox"
new_src
printf 'host content\n' >"$SRC/keep.txt"
printf 'to be deleted\n' >"$SRC/gone.txt"
cp "$SRC/keep.txt" "$TEST_TMP/keep.ref"
mkdir -p "$TEST_TMP/outside"
printf 'outside victim\n' >"$TEST_TMP/outside/victim"
cp "$TEST_TMP/outside/victim" "$TEST_TMP/outside.ref"
ln -s "$TEST_TMP/outside/victim" "$SRC/abs-link"
ln -s ../outside/victim "$SRC/rel-link"
cat >"$SRC/run.sh" <<'EOF'
echo "write-keep => $(./bw-probe write keep.txt)"
echo "read-keep => $(./bw-probe readline keep.txt)"
echo "create => $(./bw-probe write new.txt)"
echo "delete => $(./bw-probe unlink gone.txt)"
echo "abs-link => $(./bw-probe write abs-link)"
echo "rel-link => $(./bw-probe write rel-link)"
EOF
bw -- bash run.sh
expect_line "the build may overwrite a source file" "OK" "$(res write-keep)"
expect_line "the build reads back its own write" "OK x" "$(res read-keep)"
expect_line "the build may create a file in the tree" "OK" "$(res create)"
expect_line "the build may delete a source file" "OK" "$(res delete)"
assert "host keep.txt is byte-for-byte unchanged" "content: $(head -c 100 "$SRC/keep.txt")" \
        same_bytes "$SRC/keep.txt" "$TEST_TMP/keep.ref"
assert "host has no new.txt" "it exists" test ! -e "$SRC/new.txt"
assert "host gone.txt still exists" "it was deleted" test -f "$SRC/gone.txt"
expect_eq "source_changes: keep.txt modified" '["modified"]' \
        "$(rj '[c["change"] for c in d["source_changes"] if c["path"] == "keep.txt"]')"
expect_eq "source_changes: new.txt created" '["created"]' \
        "$(rj '[c["change"] for c in d["source_changes"] if c["path"] == "new.txt"]')"
expect_eq "source_changes: gone.txt deleted" '["deleted"]' \
        "$(rj '[c["change"] for c in d["source_changes"] if c["path"] == "gone.txt"]')"
expect_eq "source_changes: bw-probe and run.sh untouched" '[]' \
        "$(rj '[c for c in d["source_changes"] if c["path"] in ("bw-probe", "run.sh")]')"
diag "through an absolute symlink: $(res abs-link); a relative one: $(res rel-link)"
assert "a host file outside the tree, behind symlinks in it, is unchanged" \
        "content: $(head -c 100 "$TEST_TMP/outside/victim")" \
        same_bytes "$TEST_TMP/outside/victim" "$TEST_TMP/outside.ref"

# ---- 5. network and sockets -------------------------------------------------
diag "host listeners on loopback, unix sockets and the abstract namespace"
cat >"$TEST_TMP/listen.py" <<'PY'
# listen.py STATUS STOPFILE SPEC...: SPEC is tcp:ADDR, unix:PATH or abstract:NAME.
# Accepts on all until STOPFILE exists (at most 170 s); after binding and after
# every accept writes {"SPEC": {"accepted": N, "port": P}} to STATUS.
import json, os, select, socket, sys, time
status, stop, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
socks, state = {}, {}
for spec in specs:
    kind, arg = spec.split(":", 1)
    if kind == "tcp":
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((arg, 0))
    else:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(arg if kind == "unix" else "\0" + arg)
        if kind == "unix":
            os.chmod(arg, 0o777)   # permission is never the reason a connect fails
    s.listen(16)
    socks[s] = spec
    state[spec] = {"accepted": 0, "port": s.getsockname()[1] if kind == "tcp" else 0}
def dump():
    with open(status + ".tmp", "w") as f:
        json.dump(state, f)
    os.rename(status + ".tmp", status)
dump()
end = time.time() + 170
while time.time() < end and not os.path.exists(stop):
    r, _, _ = select.select(list(socks), [], [], 0.2)
    for s in r:
        c, _ = s.accept()
        c.close()
        state[socks[s]]["accepted"] += 1
        dump()
PY
new_src
netsrc=$SRC
sock_src=$netsrc/host.sock
sock_tmp=/tmp/bw-sec-$$.sock
sock_run=/run/bw-sec-$$.sock
abs_name=bw-sec-abstract-$$
_sec_files+=("$sock_tmp" "$sock_run")
lstatus=$TEST_TMP/listen.json
python3 "$TEST_TMP/listen.py" "$lstatus" "$TEST_TMP/listen.stop" tcp:127.0.0.1 \
        "unix:$sock_src" "unix:$sock_tmp" "unix:$sock_run" "abstract:$abs_name" &
_sec_pids+=("$!")
lpid=$!
wait_for 10 test -s "$lstatus"
accepted() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]]["accepted"])' "$lstatus" "$1" 2>/dev/null; }
# all_counted: the controls below made one connection to each listener
all_counted() {
        python3 -c 'import json,sys; sys.exit(any(v["accepted"] != 1 for v in json.load(open(sys.argv[1])).values()))' \
                "$lstatus" 2>/dev/null
}
port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tcp:127.0.0.1"]["port"])' "$lstatus" 2>/dev/null)
if [ -z "$port" ]; then
        not_ok "the host listeners started" "$(cat "$lstatus" 2>/dev/null)"
else
        # Controls: from the host itself each listener is reachable and counted.
        ctl=$("$BW_PROBE" tcp-connect 127.0.0.1 "$port"),$("$BW_PROBE" unix-connect "$sock_src"),$("$BW_PROBE" unix-connect "$sock_tmp"),$("$BW_PROBE" unix-connect "$sock_run"),$("$BW_PROBE" abstract-connect "$abs_name")
        wait_for 5 all_counted
        expect_eq "control: the host reaches every listener" "OK,OK,OK,OK,OK" "$ctl"

        SRC=$netsrc
        OUT=$TEST_TMP/out-net
        cat >"$SRC/run.sh" <<EOF
echo "tcp => \$(./bw-probe tcp-connect 127.0.0.1 $port)"
echo "tcp-any => \$(./bw-probe tcp-connect 0.0.0.0 $port)"
echo "unix-src => \$(./bw-probe unix-connect $sock_src)"
echo "unix-tmp => \$(./bw-probe unix-connect $sock_tmp)"
echo "unix-run => \$(./bw-probe unix-connect $sock_run)"
echo "abstract => \$(./bw-probe abstract-connect $abs_name)"
EOF
        bw -- bash run.sh
        expect_line "TCP to the host's 127.0.0.1:$port: ECONNREFUSED" "ERR ECONNREFUSED" "$(res tcp)"
        expect_line "TCP to 0.0.0.0:$port: ECONNREFUSED" "ERR ECONNREFUSED" "$(res tcp-any)"
        expect_re "host unix socket inside the source tree: refused ($(res unix-src))" '^ERR (ECONNREFUSED|EACCES|EPERM)$' "$(res unix-src)"
        expect_line "host unix socket in /tmp: ENOENT (private /tmp)" "ERR ENOENT" "$(res unix-tmp)"
        expect_line "host unix socket in /run: ENOENT (no /run)" "ERR ENOENT" "$(res unix-run)"
        expect_line "host abstract socket: ECONNREFUSED (own network namespace)" "ERR ECONNREFUSED" "$(res abstract)"
        sleep 0.3
        for spec in tcp:127.0.0.1 "unix:$sock_src" "unix:$sock_tmp" "unix:$sock_run" "abstract:$abs_name"; do
                expect_eq "host listener $spec accepted nothing from the sandbox" 1 "$(accepted "$spec")"
        done
fi
touch "$TEST_TMP/listen.stop"
wait_for 5 eval '! kill -0 '"$lpid"' 2>/dev/null'
rm -f "$sock_tmp" "$sock_run"

# ---- 6. host processes ------------------------------------------------------
diag "signals and ptrace against a host process"
sleep 120 &
victim_pid=$!
disown "$victim_pid"
_sec_pids+=("$victim_pid")
new_src
cat >"$SRC/run.sh" <<EOF
echo "kill0 => \$(./bw-probe kill $victim_pid 0)"
echo "kill9 => \$(./bw-probe kill $victim_pid KILL)"
echo "ptrace => \$(./bw-probe ptrace-attach $victim_pid)"
EOF
bw -- bash run.sh
expect_line "kill -0 a host pid: ESRCH" "ERR ESRCH" "$(res kill0)"
expect_line "kill -9 a host pid: ESRCH" "ERR ESRCH" "$(res kill9)"
expect_line "ptrace-attach a host pid: ESRCH" "ERR ESRCH" "$(res ptrace)"
assert "the host process is still alive and not traced" "it died or is traced" \
        eval "kill -0 $victim_pid && grep -q '^TracerPid:[[:space:]]*0$' /proc/$victim_pid/status"
kill -9 "$victim_pid" 2>/dev/null

diag "the sandbox's own init (pid 1) holds capabilities in the user namespace"
probe -- ptrace-attach 1
expect_line "ptrace-attach pid 1 (would hand over its capabilities and fds): EPERM" "ERR EPERM"
probe -- read /proc/1/environ
expect_line "pid 1's environment (buildward's) is unreadable: EACCES" "ERR EACCES"
if [ "$landlock" = true ] && [ "$(rj 'd["sandbox"]["landlock"]["abi"] >= 6')" = true ]; then
        probe -- kill 1 0
        expect_line "signal pid 1 (outside the landlock signal scope): EPERM" "ERR EPERM"
else
        skip "landlock signal scoping needs ABI 6" "signal pid 1: EPERM"
fi

diag "IPC: /dev/shm and System V shared memory are private"
shm_marker=/dev/shm/bw-sec-$$
_sec_files+=("$shm_marker" "/dev/shm/bw-sec-in-$$")
if [ -d /dev/shm ] && echo host >"$shm_marker"; then
        new_src
        cat >"$SRC/run.sh" <<EOF
echo "host-file => \$(./bw-probe stat $shm_marker)"
echo "write => \$(./bw-probe write /dev/shm/bw-sec-in-$$)"
EOF
        bw -- bash run.sh
        expect_line "host /dev/shm file is not visible" "ERR ENOENT" "$(res host-file)"
        expect_line "the build may write its own /dev/shm" "OK" "$(res write)"
        assert "the build's /dev/shm file is not on the host" "it is" test ! -e "/dev/shm/bw-sec-in-$$"
        rm -f "$shm_marker"
else
        skip "the host has no writable /dev/shm" "/dev/shm is private"
fi
shm_key=$((0x62770000 + $$ % 65536))
if [ "$("$BW_PROBE" shm-create "$shm_key" | cut -c1-2)" = OK ]; then
        expect_re "control: the host sees its System V segment" '^OK id=' "$("$BW_PROBE" shmget "$shm_key")"
        probe -- shmget "$shm_key"
        expect_line "the host's System V shared memory segment is not visible: ENOENT" "ERR ENOENT"
        "$BW_PROBE" shm-remove "$shm_key" >/dev/null
else
        skip "cannot create a System V segment on the host" "System V shared memory is private"
fi

# ---- 7. devices, mounts, namespaces, chroot --------------------------------
diag "devices, mounts, namespaces"
[ "$landlock" = true ] && mknod_err=EACCES || mknod_err=EPERM
probe -- mknod-block ./blk
expect_line "mknod a block device (8:0): $mknod_err" "ERR $mknod_err"
probe -- mknod-char /tmp/mem
expect_line "mknod /dev/mem's char device (1:1) in /tmp: $mknod_err" "ERR $mknod_err"
for dev in /dev/mem /dev/kmem /dev/port /dev/kmsg; do
        probe -- stat "$dev"
        expect_line "$dev is absent" "ERR ENOENT"
done
hostblk=
for b in /sys/block/*; do
        case ${b##*/} in loop* | ram* | zram* | '*') ;; *) hostblk=${b##*/}; break ;; esac
done
if [ -n "$hostblk" ] && [ -e "/dev/$hostblk" ]; then
        probe -- stat "/dev/$hostblk"
        expect_line "host disk /dev/$hostblk is absent" "ERR ENOENT"
fi
probe -- mount-tmpfs .
expect_line "mount tmpfs: EPERM" "ERR EPERM"
probe -- mount-cgroup /tmp
expect_line "mount a v1 cgroup hierarchy (release_agent escape): EPERM" "ERR EPERM"
probe -- umount /
expect_line "umount /: EPERM" "ERR EPERM"
probe -- umount "$TEST_TMP/src-$((_runs + 1))"   # the tree probe is about to make
expect_line "umount the source overlay: EPERM" "ERR EPERM"
probe -- fsopen
expect_line "fsopen (new mount API): EPERM" "ERR EPERM"
probe -- open-tree /
expect_line "open_tree clone: EPERM" "ERR EPERM"
probe -- chroot-breakout
expect_line "chroot breakout stops at chroot: EPERM" "ERR EPERM step=chroot"
assert "the breakout left the host tree alone" "bw-chroot-x exists on the host" test ! -e "$SRC/bw-chroot-x"
probe -- unshare-user
expect_line "unshare(CLONE_NEWUSER): EPERM" "ERR EPERM"
probe -- unshare-ns
expect_line "unshare(CLONE_NEWNS): EPERM" "ERR EPERM"
probe -- clone3-newuser
expect_re "clone3(CLONE_NEWUSER) is refused ($LINE; ENOSYS makes libc use clone)" '^ERR (ENOSYS|EPERM)$'
probe -- setns
expect_line "setns: EPERM" "ERR EPERM"

# ---- 8. kernel knobs through /proc and /sys --------------------------------
diag "writes to /proc/sys, /proc/sysrq-trigger, /sys"
for f in /proc/sys/kernel/hostname /proc/sys/kernel/domainname /proc/sys/kernel/core_pattern \
        /proc/sys/kernel/modprobe /proc/sys/vm/drop_caches /proc/sysrq-trigger; do
        if [ ! -e "$f" ]; then
                skip "the host kernel has no $f" "write $f"
                continue
        fi
        before=$(cat "$f" 2>/dev/null)
        probe -- write "$f"
        expect_re "write $f: EROFS or EACCES" '^ERR (EROFS|EACCES)( step=write)?$'
        if [ -r "$f" ] && [ "$f" != /proc/sys/vm/drop_caches ]; then
                after=$(cat "$f" 2>/dev/null)
                expect_eq "host $f unchanged" "$before" "$after"
                # a broken sandbox must not leave the host misconfigured
                [ "$after" = "$before" ] || printf '%s\n' "$before" >"$f"
        fi
done
# cgroup.procs of a parent cgroup: moving there would shed the build's limits.
for f in /sys/kernel/uevent_helper /sys/fs/cgroup/memory/release_agent /sys/fs/cgroup/memory/cgroup.procs \
        /sys/fs/cgroup/pids/cgroup.procs /sys/fs/cgroup/unified/cgroup.procs /sys/fs/cgroup/cgroup.procs \
        /sys/kernel/mm/transparent_hugepage/enabled; do
        [ -e "$f" ] && before=$(cat "$f" 2>/dev/null) || before=
        probe -- write "$f"
        expect_re "write $f: refused" '^ERR (EROFS|EACCES|EPERM|ENOENT)( step=write)?$'
        if [ -e "$f" ] && [ "${f##*/}" != cgroup.procs ]; then
                after=$(cat "$f" 2>/dev/null)
                expect_eq "host $f unchanged" "$before" "$after"
        fi
done

# ---- 9. terminal injection --------------------------------------------------
diag "TIOCSTI/TIOCLINUX on the controlling terminal (under a pty from script(1))"
if command -v script >/dev/null; then
        new_src
        cat >"$SRC/run.sh" <<'EOF'
for a in "isatty 0" "tiocsti 0" "tiocsti-highbits 0" "tioclinux 0" "tioclinux-highbits 0" \
        "tiocsti-selfpty" "tiocsti-selfpty highbits"; do
        echo "$a => $(./bw-probe $a)"
done
EOF
        # After the build, the pty's shell reads what is pending on the
        # terminal: an injected '#' would be there.
        cat >"$TEST_TMP/tty.sh" <<EOF
timeout -s KILL 60 $(printf %q "$BUILDWARD") run --no-monitor --quiet --source $(printf %q "$SRC") \
        --out $(printf %q "$OUT") -- bash run.sh >$(printf %q "$OUT.stdout") 2>$(printf %q "$OUT.stderr")
echo \$? >$(printf %q "$OUT.rc")
IFS= read -r -s -t 1 -n 16 pending
printf %s "\$pending" >$(printf %q "$OUT.pending")
EOF
        timeout -s KILL 90 script -qec "bash $TEST_TMP/tty.sh" /dev/null </dev/null >/dev/null 2>&1
        RUN_OUT=$OUT.stdout RUN_ERR=$OUT.stderr RC=$(cat "$OUT.rc" 2>/dev/null)
        diag "fd 0 inside is a terminal: $(res 'isatty 0')"
        expect_line "TIOCSTI on the terminal: EPERM" "ERR EPERM" "$(res 'tiocsti 0')"
        expect_line "TIOCSTI with bits 32-63 set: EPERM" "ERR EPERM" "$(res 'tiocsti-highbits 0')"
        expect_line "TIOCLINUX on the terminal: EPERM" "ERR EPERM" "$(res 'tioclinux 0')"
        expect_line "TIOCLINUX with bits 32-63 set: EPERM" "ERR EPERM" "$(res 'tioclinux-highbits 0')"
        expect_line "TIOCSTI on a pty the build owns (only seccomp can refuse): EPERM" "ERR EPERM" \
                "$(res tiocsti-selfpty)"
        expect_line "same, bits 32-63 set: EPERM" "ERR EPERM" "$(res 'tiocsti-selfpty highbits')"
        assert "nothing was injected into the host terminal" "pending input: $(od -c "$OUT.pending" | head -n 2)" \
                eval "! grep -q '#' $(printf %q "$OUT.pending")"
        # Control: the harness does see an injected byte (the probe run unsandboxed
        # into the same throwaway pty).
        cat >"$TEST_TMP/tty-ctl.sh" <<EOF
$(printf %q "$BW_PROBE") tiocsti 0 >/dev/null
IFS= read -r -s -t 1 -n 16 pending
printf %s "\$pending" >$(printf %q "$TEST_TMP/ctl.pending")
EOF
        timeout -s KILL 30 script -qec "bash $TEST_TMP/tty-ctl.sh" /dev/null </dev/null >/dev/null 2>&1
        assert "control: the pty harness sees a byte injected outside the sandbox" "pending: $(od -c "$TEST_TMP/ctl.pending" 2>/dev/null | head -n 1)" \
                grep -q '#' "$TEST_TMP/ctl.pending"
else
        skip "script(1) from util-linux is missing" "TIOCSTI/TIOCLINUX under a pty"
fi

# ---- 10. setuid binaries and file capabilities -----------------------------
diag "privilege through setuid binaries and file capabilities"
sdir=$TEST_TMP/suid
mkdir -p "$sdir"
cp /usr/bin/id "$sdir/id"
cp "$BW_PROBE" "$sdir/bw-probe"
cp "$BW_PROBE" "$sdir/fcap-probe"
chown root:root "$sdir"/* && chmod 4755 "$sdir/id" "$sdir/bw-probe" && chmod 0755 "$sdir" "$sdir/fcap-probe"
fcap=no
if command -v setcap >/dev/null && setcap cap_sys_admin+ep "$sdir/fcap-probe" 2>/dev/null; then fcap=yes; fi
ctl=$(setpriv --reuid 1000 --regid 1000 --clear-groups "$sdir/bw-probe" getuid 2>&1)
expect_re "control: on the host the setuid copy gives euid 0" '^OK uid=1000 euid=0 ' "$ctl"
new_src
cat >"$SRC/run.sh" <<'EOF'
echo "mode => $(./bw-probe stat /bw-suid/bw-probe)"
echo "id => $(/bw-suid/id -u 2>&1)"
echo "probe => $(/bw-suid/bw-probe getuid)"
echo "exec => $(./bw-probe setuid-exec /bw-suid/bw-probe getuid)"
echo "fcap => $(/bw-suid/fcap-probe caps)"
EOF
bw --ro-bind "$sdir:/bw-suid" -- bash run.sh
diag "inside, the setuid copy looks like: $(res mode)"
expect_line "setuid-root id prints euid 1000, not 0" "1000" "$(res id)"
expect_re "setuid-root probe runs with euid 1000" '^OK uid=1000 euid=1000 gid=1000 egid=1000 ' "$(res probe)"
expect_re "setuid-root probe exec'd by the build: euid 1000" '^OK uid=1000 euid=1000 ' "$(res exec)"
if [ "$fcap" = yes ]; then
        expect_re "a file with cap_sys_admin+ep runs with no capability" 'CapPrm=0{16} CapEff=0{16}' "$(res fcap)"
else
        skip "setcap is missing or failed" "file capabilities are not honoured"
fi

# ---- 11. kernel-facing syscalls ---------------------------------------------
# Without the filter these answer ENOSYS (no modules or kexec in this kernel),
# EFAULT (bpf, perf_event_open, add_key, io_uring_setup: NULL arguments) or OK (keyctl,
# userfaultfd in user mode): EPERM can only come from the filter.
diag "kernel-facing syscalls are refused with EPERM"
for a in init-module finit-module kexec-load kexec-file-load bpf perf-event-open keyctl add-key userfaultfd \
        io-uring-setup; do
        probe -- "$a"
        expect_line "$a: EPERM" "ERR EPERM"
done

# ---- 12. setuid/setgid files and extended attributes ------------------------
diag "set-id bits and xattrs"
for a in chmod-setuid chmod-setgid fchmod-setuid fchmodat-setuid fchmodat2-setuid; do
        probe -- "$a" ./f
        expect_line "$a: EPERM" "ERR EPERM"
done
for a in setxattr setxattr-security fsetxattr lsetxattr setxattrat; do
        probe -- "$a" ./f
        expect_line "$a: ENOTSUP (not EFAULT/EBADF/EPERM)" "ERR ENOTSUP"
done
# open(O_CREAT) takes set-id bits too; whatever the tree holds, copy-out must
# not hand the host a set-id file (it is written by root).
new_src
cat >"$SRC/run.sh" <<'EOF'
echo "suid => $(./bw-probe create-mode suid 04755)"
echo "sgid => $(./bw-probe create-mode sgid 02755)"
EOF
bw --artifact suid --artifact sgid -- bash run.sh
diag "open(O_CREAT, 04755) inside: $(res suid); 02755: $(res sgid)"
for f in suid sgid; do
        if [ -f "$OUT/artifacts/$f" ]; then
                m=$(stat -c %a "$OUT/artifacts/$f")
                expect_eq "artifact $f copied out without set-id bits" 0 "$(( 0$m & 06000 ))"
        else
                ok "artifact $f not copied out (no set-id file on the host)"
        fi
done

# ---- 13. resource limits -----------------------------------------------------
diag "limits: pids, memory, tmpfs size"
probe --pids 64 -- fork-bomb 2000 "bw-sec-bomb-$$"
if [[ $LINE =~ ^ERR\ EAGAIN\ forked=([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -lt 64 ]; then
        ok "fork bomb under --pids 64 stops with EAGAIN after ${BASH_REMATCH[1]} forks"
else
        not_ok "fork bomb under --pids 64 stops with EAGAIN before 64 forks" "actual: $LINE" "$(why)" \
                "cgroup: $(rj 'd["sandbox"]["cgroup"]')"
fi
expect_eq "the fork-bomb build ended with exit 0" 0 "$RC"
expect_eq "no fork-bomb process left on the host" "" "$(host_pids "bw-sec-bomb-$$")"

probe --memory 128M -- balloon 1024
if [ "$RC" = 137 ] && [ -z "$LINE" ]; then
        ok "1 GiB balloon under --memory 128M is OOM-killed (exit 137)"
elif [[ $LINE =~ ^ERR\ ENOMEM\ mb=([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -le 128 ]; then
        ok "1 GiB balloon under --memory 128M fails with ENOMEM at ${BASH_REMATCH[1]} MB"
else
        not_ok "1 GiB balloon under --memory 128M does not complete" "actual: '$LINE'" "$(why)" \
                "cgroup: $(rj 'd["sandbox"]["cgroup"]')"
fi

for dir in /tmp /home/build .; do
        probe --tmp-size 64M -- fill-tmp "$dir" 512
        if [[ $LINE =~ ^ERR\ ENOSPC\ written=([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -ge 40 ] &&
                [ "${BASH_REMATCH[1]}" -le 64 ]; then
                ok "filling $dir under --tmp-size 64M: ENOSPC after ${BASH_REMATCH[1]} MB"
        else
                not_ok "filling $dir under --tmp-size 64M: ENOSPC after 40..64 MB" "actual: $LINE" "$(why)"
        fi
done

# ---- 14. nothing survives the build ------------------------------------------
diag "a setsid'd double-fork daemon"
tag=bw-sec-daemon-$$
new_src
# The build then waits in a tagged sleep (at most 30 s) that the test ends once it
# has seen the daemon: under load, one scan of /proc can take longer than a fixed pause.
( bw -- bash -c "./bw-probe daemonize 300 $tag; ./bw-probe sleep 30 $tag-main; exit 0"; echo "$RC" >"$OUT.rc" ) &
bwjob=$!
daemon_host=
find_daemon() { daemon_host=$(host_pids "$tag" | head -n 1); [ -n "$daemon_host" ]; }
wait_for 20 find_daemon || true
[ -z "$daemon_host" ] || _sec_pids+=("$daemon_host")
main_sleep=
find_main_sleep() { main_sleep=$(host_pids "$tag-main" | head -n 1); [ -n "$main_sleep" ]; }
wait_for 20 find_main_sleep && kill "$main_sleep" 2>/dev/null
wait "$bwjob"
RC=$(cat "$OUT.rc" 2>/dev/null) RUN_OUT=$OUT.stdout RUN_ERR=$OUT.stderr LINE=$(head -n 1 "$OUT.stdout")
expect_re "the daemon started inside" '^OK daemon-pid=[0-9]+$'
expect_eq "the run exits 123 (process-survival finding at high)" 123 "$RC"
expect_eq "report.json: a process-survival finding of severity high names the daemon" true \
        "$(rj 'any(f.get("category") == "process-survival" and f.get("severity") == "high" and "'"$tag"'" in (f.get("process") or {}).get("argv", []) for f in d["findings"])')"
if [ -n "$daemon_host" ]; then
        ok "the daemon was seen on the host as pid $daemon_host during the build"
        assert "the daemon (host pid $daemon_host) is dead after the build" \
                "still alive: $(tr '\0' ' ' 2>/dev/null <"/proc/$daemon_host/cmdline")" \
                wait_for 5 pid_gone "$daemon_host"
else
        not_ok "the daemon was seen on the host during the build" "no host process with argument $tag"
fi
expect_eq "no process with the daemon's tag is left on the host" "" "$(host_pids "$tag")"

# ---- 15. hostname ------------------------------------------------------------
diag "UTS namespace"
probe -- hostname
expect_line "hostname inside is 'buildward'" "OK buildward"
expect_ne "hostname inside is not the host's" "OK $(hostname)" "$LINE"
probe -- readline /etc/hostname
expect_ne "/etc/hostname inside is not the host's" "OK $(head -n 1 /etc/hostname)" "$LINE"
probe --hostname bw-sec-custom -- hostname
expect_line "--hostname sets it" "OK bw-sec-custom"

# ---- 16. descriptors smuggled in ----------------------------------------------
diag "host descriptors open in buildward do not reach the build"
mkdir -p "$TEST_TMP/hostdir" && echo "secret" >"$TEST_TMP/hostdir/secret"
for fd in 5 6 7; do
        new_src
        { bw -- ./bw-probe fd-probe "$fd"; } 5</root 6<"$TEST_TMP/hostdir" 7</etc/shadow
        case $fd in 5) what="/root (a directory)" ;; 6) what="a host directory" ;; 7) what="/etc/shadow" ;; esac
        expect_line "fd $fd on $what is closed inside: EBADF" "ERR EBADF"
done
new_src
{ bw -- ./bw-probe fds; } 5</root 6<"$TEST_TMP/hostdir" 7</etc/shadow 9>"$TEST_TMP/fd9"
expect_line "with fds 5-9 open in buildward, the build has only 0, 1, 2" "OK fds=0,1,2"

# ---- 17. environment -----------------------------------------------------------
diag "host environment secrets"
secret=leak-me-$$
BW_ENV=(AWS_SECRET_ACCESS_KEY="$secret")
probe -- getenv AWS_SECRET_ACCESS_KEY
expect_line "AWS_SECRET_ACCESS_KEY is not passed" "ERR ENOENT"
probe -- env-grep "$(hex "$secret")"
expect_line "no variable holds the secret value" "ERR ENOENT"
# run under bash (kept alive by the second command) so the scan has a process to read
new_src
bw -- bash -c "./bw-probe proc-grep $(hex "$secret"); true"
expect_re "no readable /proc/*/environ or cmdline inside holds it" '^ERR ENOENT scanned=([2-9]|[1-9][0-9]+)$'
probe --env AWS_SECRET_ACCESS_KEY -- getenv AWS_SECRET_ACCESS_KEY
expect_line "control: --env AWS_SECRET_ACCESS_KEY passes it" "OK $secret"
new_src
bw --env AWS_SECRET_ACCESS_KEY -- bash -c "./bw-probe proc-grep $(hex "$secret"); true"
expect_re "control: the /proc scan finds it when it is passed" '^OK found=/proc/[0-9]+/environ$'
BW_ENV=()

# ---- 18. artifact copy-out ---------------------------------------------------
diag "artifact copy-out cannot leak host files or write outside OUT"
# outside_listing: every path under TEST_TMP but the current OUT and SRC
outside_listing() { find "$TEST_TMP" -path "$OUT" -prune -o -path "$SRC" -prune -o -path "$OUT.*" -prune -o -print | sort; }
# no_escape: nothing under OUT/artifacts is a symlink or leads outside
no_escape() {
        local f
        [ -z "$(find "$OUT/artifacts" -type l 2>/dev/null)" ] || return 1
        while IFS= read -r -d '' f; do
                case $(realpath -m -- "$f") in "$OUT"/artifacts/*) ;; *) return 1 ;; esac
        done < <(find "$OUT/artifacts" -mindepth 1 -print0 2>/dev/null)
}
# copy_of_shadow: some artifact has /etc/shadow's bytes
copy_of_shadow() {
        local f
        while IFS= read -r -d '' f; do cmp -s "$f" /etc/shadow && return 0; done \
                < <(find "$OUT" -type f -print0 2>/dev/null)
        return 1
}

new_src
cat >"$SRC/run.sh" <<'EOF'
echo "leak => $(./bw-probe symlink /etc/shadow leak)"
echo "leakdir => $(./bw-probe symlink /etc leakdir)"
EOF
bw --artifact leak --artifact 'leakdir/shadow' --artifact 'leakdir/*' -- bash run.sh
expect_line "the build creates leak -> /etc/shadow" "OK" "$(res leak)"
expect_re "artifacts_refused lists leak as a symlink" '^symlink' \
        "$(rj '[r["reason"] for r in d["artifacts_refused"] if r["path"] == "leak"][0]')"
assert "OUT/artifacts/leak does not exist" "$(ls -l "$OUT/artifacts/leak" 2>&1)" \
        eval "[ ! -e $(printf %q "$OUT/artifacts/leak") ] && [ ! -L $(printf %q "$OUT/artifacts/leak") ]"
assert "nothing copied through a symlinked directory (leakdir -> /etc)" "$(find "$OUT/artifacts/leakdir" 2>&1 | head -n 3)" \
        test ! -e "$OUT/artifacts/leakdir"
assert "no file in OUT has /etc/shadow's bytes" "a copy of the host's /etc/shadow is in $OUT" \
        eval '! copy_of_shadow'

new_src
printf 'source bytes\n' >"$SRC/orig.txt"
before=$(outside_listing)
cat >"$SRC/run.sh" <<'EOF'
echo "hl-etc => $(./bw-probe link /etc/passwd hl-etc)"
echo "hl-src => $(./bw-probe link orig.txt hl-src)"
echo "odd-nl => $(./bw-probe write "$(printf 'odd\nname')")"
echo "odd-dots => $(./bw-probe write 'odd..')"
echo "odd-dash => $(./bw-probe write -odd)"
echo "odd-bs => $(./bw-probe write 'odd\x')"
echo "odd-tab => $(./bw-probe write "$(printf 'odd\tname')")"
EOF
bw --artifact 'hl-*' --artifact 'odd*' --artifact '-odd' -- bash run.sh
expect_re "a hard link to host /etc/passwd cannot be made ($(res hl-etc))" '^ERR (EXDEV|EPERM|EACCES)$' "$(res hl-etc)"
expect_line "a hard link inside the tree can" "OK" "$(res hl-src)"
expect_eq "hostile names: the build passes (exit 0)" 0 "$RC"
assert "the hard-linked artifact holds the tree's bytes" "$(ls -l "$OUT/artifacts" 2>&1 | head -n 5)" \
        same_bytes "$OUT/artifacts/hl-src" "$SRC/orig.txt"
assert "the host source file behind the hard link is unchanged" "$(cat "$SRC/orig.txt")" \
        test "$(cat "$SRC/orig.txt")" = "source bytes"
expect_eq "nothing was created or removed outside OUT" "$before" "$(outside_listing)"
assert "no symlink in OUT/artifacts and every path stays below it" "$(find "$OUT/artifacts" | head -n 10)" no_escape
nl_name=$(printf 'odd\nname')
expect_eq "the newline name is copied under its exact name or refused" true "$(rj '
any(a["path"] == "odd\nname" for a in d["artifacts"]) or any(r["path"] == "odd\nname" for r in d["artifacts_refused"])')"
if [ "$(rj 'any(a["path"] == "odd\nname" for a in d["artifacts"])')" = true ]; then
        assert "OUT/artifacts/odd<newline>name exists" "$(ls "$OUT/artifacts")" test -f "$OUT/artifacts/$nl_name"
fi

# Globs that point outside the tree: a clean refusal (125 and one line) or a
# run that copies nothing from outside.
for glob in '../*' '../../etc/passwd' '/etc/passwd' '**/../*' '../src-*/bw-probe'; do
        new_src
        before=$(outside_listing)
        bw --artifact "$glob" -- true
        if [ "$RC" = 125 ]; then
                expect_re "--artifact '$glob' is refused with one error line" '^buildward: error: .+; .+' \
                        "$(cat "$RUN_ERR")"
        else
                expect_eq "--artifact '$glob': the run passes" 0 "$RC"
                expect_eq "--artifact '$glob': nothing copied" '[]' "$(rj 'd["artifacts"]')"
        fi
        expect_eq "--artifact '$glob': nothing created outside OUT" "$before" "$(outside_listing)"
        found=$(find "$OUT" -name passwd -o -name bw-probe 2>/dev/null)
        assert "--artifact '$glob': no passwd or bw-probe copy in OUT" "$found" test -z "$found"
done

new_src
cat >"$SRC/run.sh" <<'EOF'
echo "fifo => $(./bw-probe mkfifo fifo)"
EOF
start=$SECONDS
BW_TIMEOUT=60
bw --artifact fifo -- bash run.sh
BW_TIMEOUT=120
expect_line "the build makes a FIFO" "OK" "$(res fifo)"
assert "a FIFO artifact does not hang buildward" "exit $RC after $((SECONDS - start)) s" test "$RC" != 137
expect_eq "artifacts_refused lists the FIFO" '["fifo"]' "$(rj '[r["path"] for r in d["artifacts_refused"]]')"
assert "OUT/artifacts/fifo does not exist" "$(ls -l "$OUT/artifacts" 2>&1)" test ! -e "$OUT/artifacts/fifo"

# ---- 19. concurrent builds ---------------------------------------------------
diag "two sandboxes at once cannot see or touch each other"
conc_a=bw-conc-a-$$ conc_b=bw-conc-b-$$
new_src
SRC_A=$SRC OUT_A=$OUT
# A: push its pid numbers past B's (so A's in-sandbox pid is absent in B),
# start a target and an abstract listener, then look for B.
cat >"$SRC_A/run.sh" <<EOF
for i in \$(seq 40); do /bin/true; done
./bw-probe write /tmp/$conc_a-marker >/dev/null
./bw-probe abstract-listen $conc_a 9 >/tmp/listen.out &
./bw-probe sleep 9 $conc_a-target >/dev/null &
sleep 0.5
echo "self-connect => \$(./bw-probe abstract-connect $conc_a)"
echo "self-find => \$(./bw-probe find-cmdline $(hex "$conc_a-target"))"
sleep 5
echo "other-marker => \$(./bw-probe stat /tmp/$conc_b-marker)"
echo "other-find => \$(./bw-probe find-cmdline $(hex "$conc_b-target"))"
echo "proc => \$(./bw-probe ls /proc)"
wait
echo "listen => \$(cat /tmp/listen.out)"
EOF
new_src
SRC_B=$SRC OUT_B=$OUT
cat >"$SRC_B/run.sh" <<EOF
./bw-probe write /tmp/$conc_b-marker >/dev/null
./bw-probe sleep 6 $conc_b-target >/dev/null &
echo "other-marker => \$(./bw-probe stat /tmp/$conc_a-marker)"
echo "kill-host => \$(./bw-probe kill \$1 KILL)"
echo "ptrace-host => \$(./bw-probe ptrace-attach \$1)"
if [ -e /proc/\$2 ]; then echo "kill-ns => own pid \$2"; else echo "kill-ns => \$(./bw-probe kill \$2 KILL)"; fi
if [ -e /proc/\$2 ]; then echo "ptrace-ns => own pid \$2"; else echo "ptrace-ns => \$(./bw-probe ptrace-attach \$2)"; fi
echo "abstract => \$(./bw-probe abstract-connect $conc_a)"
echo "other-find => \$(./bw-probe find-cmdline $(hex "$conc_a-target"))"
echo "self-find => \$(./bw-probe find-cmdline $(hex "$conc_b-target"))"
echo "proc => \$(./bw-probe ls /proc)"
wait
EOF
SRC=$SRC_A OUT=$OUT_A
( bw -- bash run.sh; echo "$RC" >"$OUT_A.rc" ) &
job_a=$!
a_host=
find_a_target() { a_host=$(host_pids "$conc_a-target" | head -n 1); [ -n "$a_host" ]; }
wait_for 20 find_a_target || true
a_ns=$(awk '/^NSpid:/ {print $NF}' "/proc/$a_host/status" 2>/dev/null)
if [ -z "$a_host" ] || [ -z "$a_ns" ]; then
        not_ok "sandbox A's target process seen on the host" "host pid '$a_host', in-sandbox pid '$a_ns'" "$(cat "$OUT_A.stderr" 2>/dev/null)"
        a_host=999999 a_ns=999999
else
        ok "sandbox A's target is host pid $a_host, pid $a_ns inside A"
fi
SRC=$SRC_B OUT=$OUT_B
bw -- bash run.sh "$a_host" "$a_ns"
expect_eq "B ran (exit 0)" 0 "$RC"
expect_line "B does not see A's /tmp file" "ERR ENOENT" "$(res other-marker)"
expect_line "B cannot kill A's target by host pid: ESRCH" "ERR ESRCH" "$(res kill-host)"
expect_line "B cannot ptrace A's target by host pid: ESRCH" "ERR ESRCH" "$(res ptrace-host)"
expect_line "B cannot kill A's target by A's pid: ESRCH" "ERR ESRCH" "$(res kill-ns)"
expect_line "B cannot ptrace A's target by A's pid: ESRCH" "ERR ESRCH" "$(res ptrace-ns)"
expect_re "B cannot reach A's abstract socket ($(res abstract))" '^ERR (ECONNREFUSED|EPERM)$' "$(res abstract)"
expect_re "B does not see A's processes in /proc" '^ERR ESRCH scanned=' "$(res other-find)"
expect_re "control: B sees its own target in /proc" '^OK pid=' "$(res self-find)"
b_proc=$(res proc)
assert "B's /proc lists no host pid of A" "B's /proc: $b_proc" \
        eval "! printf '%s\n' \"\${b_proc#*names=}\" | tr , '\n' | grep -qx '$a_host'"
assert "A's target survived B's attempts" "host pid $a_host is gone" kill -0 "$a_host"
wait "$job_a"
SRC=$SRC_A OUT=$OUT_A RUN_OUT=$OUT_A.stdout RUN_ERR=$OUT_A.stderr RC=$(cat "$OUT_A.rc" 2>/dev/null)
expect_eq "A ran (exit 0)" 0 "$RC"
expect_line "control: A reaches its own abstract socket" "OK" "$(res self-connect)"
expect_re "control: A sees its own target in /proc" '^OK pid=' "$(res self-find)"
expect_line "A does not see B's /tmp file" "ERR ENOENT" "$(res other-marker)"
expect_re "A does not see B's processes in /proc" '^ERR ESRCH scanned=' "$(res other-find)"
expect_line "A's listener accepted only A's own connection" "OK accepted=1" "$(res listen)"

# --- the build's init must not show buildward's command line (it may hold --env values)
new_src
bw --env BW_CMDLINE_SECRET=cmdline-leak-canary -- sh -c 'tr "\0" "\n" < /proc/1/cmdline; echo "env=$BW_CMDLINE_SECRET"'
expect_eq "command with --env ran (exit 0)" 0 "$RC"
assert "the named variable reached the build" "stdout: $(cat "$RUN_OUT")" grep -qx "env=cmdline-leak-canary" "$RUN_OUT"
assert "/proc/1/cmdline inside does not carry buildward's arguments" "stdout: $(cat "$RUN_OUT")" \
        eval "[ \"\$(grep -c 'cmdline-leak-canary' '$RUN_OUT')\" = 1 ]"

done_testing
