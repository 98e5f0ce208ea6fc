#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The pure cgroup v2 code path, on any host: each run happens in a private mount
# namespace where /sys/fs/cgroup is a cgroup2 mount (on a hybrid host, the same
# unified hierarchy the host shows at /sys/fs/cgroup/unified). Where the v2
# hierarchy has no memory/pids controllers (they are bound to v1 here), the
# limits must be reported as not applied, with the reason; everything else (the
# build's own cgroup, clone into it, freeze, survivors, cleanup) must work.

. "$(dirname "$0")/lib.sh"
require_root

if ! unshare -m --propagation private true 2>/dev/null; then
        echo "1..0 # SKIP cannot create a mount namespace to mount cgroup2 in"
        exit 0
fi

SRC=$TEST_TMP/src
mkdir -p "$SRC"

# v2 CMD...: runs CMD where /sys/fs/cgroup is cgroup2; the probe file records the controllers
v2() {
        unshare -m --propagation private sh -c '
                if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
                        umount -l /sys/fs/cgroup 2>/dev/null
                        mount -t cgroup2 none /sys/fs/cgroup || exit 99
                fi
                cat /sys/fs/cgroup/cgroup.controllers > "$0.controllers" 2>/dev/null
                exec "$@"' "$TEST_TMP/v2" "$@"
}

OUT=$TEST_TMP/out1
marker=61.$$$RANDOM # a unique sleep duration marks the daemon
v2 "$BUILDWARD" run --no-monitor --pids 64 --out "$OUT" --source "$SRC" -- \
        sh -c "echo CG=\$(grep '^0::' /proc/self/cgroup); setsid sleep $marker & sleep 0.3; echo started" \
        >"$TEST_TMP/run1.out" 2>"$TEST_TMP/run1.err"
rc=$?
if [ "$rc" = 99 ]; then
        echo "1..0 # SKIP cannot mount cgroup2 on this host"
        exit 0
fi
controllers=$(cat "$TEST_TMP/v2.controllers" 2>/dev/null)
diag "cgroup2 controllers available: '${controllers}'"
expect_eq "a build that leaves a daemon behind exits 123" 123 "$rc"
expect_eq "the report says cgroup v2" v2 "$(json "$OUT/report.json" 'd["sandbox"]["cgroup"]["version"]')"
expect_match "the build's cgroup is /sys/fs/cgroup/buildward/build-PID" '^/sys/fs/cgroup/buildward/build-[0-9]+$' \
        "$(json "$OUT/report.json" 'd["sandbox"]["cgroup"]["path"]')"
expect_eq "the daemon is reported as a survivor" 1 \
        "$(json "$OUT/report.json" 'len([f for f in d["findings"] if f["category"]=="process-survival" and any("'"$marker"'" in a for a in f["process"]["argv"])])')"
if pgrep -f "sleep $marker" >/dev/null; then
        not_ok "the daemon is gone from the host" "$(pgrep -af "sleep $marker")"
        pkill -9 -f "sleep $marker"
else
        ok "the daemon is gone from the host"
fi
cgpath=$(json "$OUT/report.json" 'd["sandbox"]["cgroup"]["path"]')
leftover=/sys/fs/cgroup/unified/buildward/${cgpath##*/}
[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && leftover=$cgpath
if [ -e "$leftover" ]; then not_ok "the build's cgroup is removed after the run" "$leftover exists"
else ok "the build's cgroup is removed after the run"; fi
expect_eq "inside, the cgroup namespace is rooted at the build's cgroup" "CG=0::/" "$(grep '^CG=' "$TEST_TMP/run1.out")"
expect_match "the CPU time of the build is reported" '^[0-9]+(\.[0-9]+)?$' \
        "$(json "$OUT/report.json" 'd["resource_usage"].get("cpu_s", "missing")')"

# The pids limit: enforced where the v2 hierarchy has the controller, reported as
# not applied (with the reason, on stderr and in the report) where it does not.
if printf '%s' "$controllers" | grep -qw pids; then
        OUT=$TEST_TMP/out2
        v2 "$BUILDWARD" run --no-monitor --quiet --pids 16 --out "$OUT" --source "$SRC" -- \
                sh -c 'for i in $(seq 40); do sleep 2 & done 2>/dev/null; wait' >/dev/null 2>&1
        expect_match "pids.max was hit" '^[1-9]' "$(json "$OUT/report.json" 'd["resource_usage"].get("pids_max_hits", 0)')"
        expect_eq "nothing reported as not applied" "[]" "$(json "$OUT/report.json" 'd["sandbox"]["cgroup"]["not_applied"]')"
else
        expect_eq "pids is listed as not applied" '["pids"]' "$(json "$OUT/report.json" 'd["sandbox"]["cgroup"]["not_applied"]')"
        expect_match "stderr names the limit and the reason" 'limits not applied \(pids\): the pids controller is not enabled' \
                "$(cat "$TEST_TMP/run1.err")"
fi

# A read-only cgroup filesystem (a container's, typically): the build still runs,
# isolated by its namespaces, and every limit asked for is reported as not applied,
# with the cause, on stderr and in the report.
OUT=$TEST_TMP/out3
unshare -m --propagation private sh -c '
        for m in $(awk "\$2 ~ /^\/sys\/fs\/cgroup/ {print \$2}" /proc/self/mounts); do mount -o remount,ro,bind "$m"; done
        exec "$@"' sh "$BUILDWARD" run --no-monitor --memory 100M --pids 50 --out "$OUT" --source "$SRC" -- sh -c 'echo ran' \
        >"$TEST_TMP/run3.out" 2>"$TEST_TMP/run3.err"
rc=$?
expect_eq "read-only cgroupfs: the build still runs (exit 0)" 0 "$rc"
expect_eq "read-only cgroupfs: the command's output" ran "$(cat "$TEST_TMP/run3.out")"
expect_eq "read-only cgroupfs: memory and pids reported as not applied" '["memory", "pids"]' \
        "$(json "$OUT/report.json" 'd["sandbox"]["cgroup"]["not_applied"]')"
expect_match "read-only cgroupfs: stderr names the limits and the cause" \
        'limits not applied \(memory,pids\): cannot create a cgroup under /sys/fs/cgroup.*Read-only file system' \
        "$(cat "$TEST_TMP/run3.err")"

done_testing
