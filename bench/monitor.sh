#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/monitor.sh: what watching a build costs. A real build (a Debian source
# package) inside the sandbox, interleaved round by round, under:
#
#   nomon      buildward run --no-monitor                (the baseline)
#   monitor    buildward run                             (eBPF monitor + rules)
#   protect    buildward run --policy P, P protecting a path (path policies:
#              every open of the build is resolved in the kernel and compared)
#   strace     buildward run --no-monitor -- strace -f -e trace=SYSCALLS ...
#   auditd     buildward run --no-monitor, auditd running with an execve rule
#   bpftrace   buildward run --no-monitor, bpftrace tracing the same syscalls
#
# and prints medians, ratios to the baseline, the monitor's events per second
# and lost events, and the monitor's start-up (BPF load and attach) from
# BUILDWARD_DEBUG=1 step timestamps of `run -- true`.
#
#   bench/monitor.sh [RESULT-DIR]      (default build/bench)
#
#   BUILDWARD   binary under test (default build/buildward)
#   BW_ROUNDS   rounds (default 3)
#   BW_VARIANTS only these variants, e.g. "nomon monitor protect" (default: all)
#   BW_PKG      Debian source package (default hello); BW_BUILD the command
#               (default './configure && make -j2')
set -uo pipefail

cd "$(dirname "$0")/.."
root=$PWD
buildward=${BUILDWARD:-$root/build/buildward}
resdir=${1:-$root/build/bench}
rounds=${BW_ROUNDS:-3}
pkg=${BW_PKG:-hello}
build_cmd=${BW_BUILD:-./configure && make -j2}
cache=/var/cache/buildward-tests

[ "$(id -u)" = 0 ] || { echo "bench/monitor.sh: error: needs root (the monitor loads eBPF); rerun as root" >&2; exit 1; }
[ -x "$buildward" ] || { echo "bench/monitor.sh: error: '$buildward' not built; run meson compile -C build" >&2; exit 1; }
mkdir -p "$resdir"
work=$(mktemp -d /var/tmp/bw-bench-mon.XXXXXX)
chmod 0755 "$work"
bpf_pid=
cleanup() {
        [ -n "$bpf_pid" ] && kill "$bpf_pid" 2>/dev/null
        auditctl -D >/dev/null 2>&1
        [ -n "${auditd_started:-}" ] && kill "$(cat /var/run/auditd.pid 2>/dev/null)" 2>/dev/null
        rm -rf "$work"
}
trap cleanup EXIT

if ! compgen -G "$cache/$pkg/${pkg}_*.dsc" >/dev/null; then
        mkdir -p "$cache/$pkg.tmp"
        (cd "$cache/$pkg.tmp" && apt-get source --download-only -qq "$pkg") >"$work/apt.log" 2>&1 ||
                { echo "bench/monitor.sh: error: apt-get source $pkg failed: $(tail -n 1 "$work/apt.log"); run scripts/bootstrap" >&2; exit 1; }
        rm -rf "${cache:?}/$pkg" && mv "$cache/$pkg.tmp" "$cache/$pkg"
fi
dsc=$(ls "$cache/$pkg/${pkg}"_*.dsc | head -n 1)
dpkg-source --no-check -x "$dsc" "$work/tree" >/dev/null 2>&1 || { echo "bench/monitor.sh: error: dpkg-source -x $dsc failed" >&2; exit 1; }

# The syscalls the monitor records, for strace and bpftrace to trace the same.
syscalls=open,creat,openat,openat2,unlink,unlinkat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,truncate,chmod,fchmodat,chdir,fchdir,utimensat,connect,sendto,sendmsg,bind,listen,socket,dup2,dup3,memfd_create,execve,execveat,ptrace,mount,umount2,unshare,setns,clone,clone3,bpf,setuid,setresuid,ioctl,mknodat

variants=(nomon monitor protect strace)
cat >"$work/protect.yml" <<'YML'
version: 1
protect:
  - path: /home/build/.ssh/**
    read: []
    write: []
    reason: bench/monitor.sh - nothing in a build reads it; every open is still compared
YML
if command -v auditd >/dev/null && command -v auditctl >/dev/null; then
        if pgrep -x auditd >/dev/null || { auditd >/dev/null 2>&1 && sleep 1 && pgrep -x auditd >/dev/null && auditd_started=1; }; then
                variants+=(auditd)
        else
                echo "# auditd does not start on this host: skipped"
        fi
else
        echo "# auditd not installed (scripts/bootstrap installs it): skipped"
fi
if command -v bpftrace >/dev/null; then
        # bpftrace reads tracepoint formats from tracefs: mount it when absent
        if [ ! -e /sys/kernel/tracing/events ]; then mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null; fi
        variants+=(bpftrace)
fi

bpftrace_script() {
        local probes='' s
        for s in ${syscalls//,/ }; do
                [ -e "/sys/kernel/tracing/events/syscalls/sys_enter_$s" ] && probes="$probes${probes:+,}tracepoint:syscalls:sys_enter_$s"
        done
        echo "$probes { @[probe] = count(); printf(\"%d %s %s\\n\", pid, comm, probe); }"
}

# one_run VARIANT ROUND: prints "WALL EVENTS LOST"
one_run() {
        local v=$1 n=$2 dir=$work/run-$1-$2 out=$work/out-$1-$2 t0 t1 rc=0 cmd
        rm -rf "$dir" "$out"
        cp -a "$work/tree" "$dir"
        sync
        cmd=$build_cmd
        local flags=(--no-monitor)
        case $v in
        monitor) flags=() ;;
        protect) flags=(--policy "$work/protect.yml") ;;
        strace) cmd="strace -f -qq -o /dev/null -e trace=$syscalls sh -c '$build_cmd'" ;;
        auditd) auditctl -a always,exit -F arch=b64 -S execve -k bw-bench >/dev/null ;;
        bpftrace)
                bpftrace -e "$(bpftrace_script)" >"$work/bpftrace.out" 2>&1 &
                bpf_pid=$!
                for _ in $(seq 100); do grep -q Attaching "$work/bpftrace.out" 2>/dev/null && break; sleep 0.1; done
                ;;
        esac
        t0=$(date +%s.%N)
        (cd "$dir" && "$buildward" run --quiet "${flags[@]}" --source "$dir" --out "$out" -- sh -c "$cmd") \
                </dev/null >"$resdir/monitor-$v-$n.log" 2>&1 || rc=$?
        t1=$(date +%s.%N)
        case $v in
        auditd) auditctl -D >/dev/null ;;
        bpftrace) kill -INT "$bpf_pid"; wait "$bpf_pid" 2>/dev/null; bpf_pid= ;;
        esac
        [ "$rc" = 0 ] || echo "# $v round $n: exit $rc (see $resdir/monitor-$v-$n.log)" >&2
        python3 - "$t0" "$t1" "$out/report.json" <<'PY'
import json, sys
t0, t1 = float(sys.argv[1]), float(sys.argv[2])
try:
    m = json.load(open(sys.argv[3]))["monitor"]
except Exception:
    m = {}
print("%.3f %d %d" % (t1 - t0, m.get("events", 0), m.get("lost", 0)))
PY
        rm -rf "$dir"
}

if [ -n "${BW_VARIANTS:-}" ]; then
        wanted=()
        for v in "${variants[@]}"; do
                case " $BW_VARIANTS " in *" $v "*) wanted+=("$v") ;; esac
        done
        variants=("${wanted[@]}")
        case " ${variants[*]} " in *" nomon "*) ;; *) echo "bench/monitor.sh: error: BW_VARIANTS must include nomon (the baseline)" >&2; exit 1 ;; esac
fi
echo "# $(basename "$dsc" .dsc): '$build_cmd', $rounds rounds of: ${variants[*]} (interleaved)"
declare -A walls events lost
for n in $(seq "$rounds"); do
        for v in "${variants[@]}"; do
                read -r w e l < <(one_run "$v" "$n")
                walls[$v]="${walls[$v]:-} $w"
                events[$v]="${events[$v]:-} $e"
                lost[$v]="${lost[$v]:-} $l"
                echo "# round $n $v: ${w}s events $e lost $l"
        done
done

# monitor start-up: BPF open, load (verifier) and attach, from the step log
startup=$(for _ in $(seq 10); do
        BUILDWARD_DEBUG=1 "$buildward" run --quiet --source "$work" --out "$work/su" -- true 2>&1 >/dev/null |
                awk '/monitor: open/ { a = $3 } /monitor: loaded and attached/ { b = $3 } END { if (a && b) print b - a }'
done)

python3 - "$rounds" "$startup" <<PY
import statistics, sys
walls = {$(for v in "${variants[@]}"; do printf '"%s": [%s], ' "$v" "$(echo "${walls[$v]}" | xargs | tr ' ' ',')"; done)}
events = {$(for v in "${variants[@]}"; do printf '"%s": [%s], ' "$v" "$(echo "${events[$v]}" | xargs | tr ' ' ',')"; done)}
lost = {$(for v in "${variants[@]}"; do printf '"%s": [%s], ' "$v" "$(echo "${lost[$v]}" | xargs | tr ' ' ',')"; done)}
base = statistics.median(walls["nomon"])
print("%-10s %10s %8s %10s %12s %6s" % ("variant", "median s", "ratio", "overhead", "events/s", "lost"))
for v, w in walls.items():
    m = statistics.median(w)
    ev = statistics.median(events[v]) if v in ("monitor", "protect") else 0
    print("%-10s %10.2f %8.3f %+9.1f%% %12s %6s" % (v, m, m / base, (m / base - 1) * 100,
          "%.0f" % (ev / m) if ev else "-", max(lost[v]) if v in ("monitor", "protect") else "-"))
st = [float(x) for x in sys.argv[2].split()]
if st:
    print("monitor start-up (open + load + attach), median of %d: %.0f ms (min %.0f, max %.0f)" %
          (len(st), statistics.median(st), min(st), max(st)))
PY
