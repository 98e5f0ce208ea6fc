#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/startup.sh: time to start and tear down a sandbox around `true`,
# buildward next to its peers, side by side in one hyperfine run.
#
#   bench/startup.sh [RESULT-DIR]      (default build/bench)
#
#   BUILDWARD   binary under test (default build/buildward)
#   BW_RUNS     hyperfine --runs (default 50)
#   BW_COMPARE  a second buildward binary (another build of it) for one more
#               `--no-monitor` row, e.g. the non-PIE build of docs/benchmarks.md
#
# Needs root (buildward and the peers' namespaces). Prints a markdown table:
# mean and standard deviation in ms and the ratio of each to bubblewrap.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
buildward=${BUILDWARD:-$root/build/buildward}
resdir=${1:-$root/build/bench}
runs=${BW_RUNS:-50}

if [ "$(id -u)" != 0 ]; then
        echo "bench/startup.sh: error: needs root (buildward run and the peers create namespaces); rerun as root" >&2
        exit 1
fi
for tool in hyperfine python3; do
        command -v "$tool" >/dev/null || {
                echo "bench/startup.sh: error: '$tool' not found; run scripts/bootstrap" >&2; exit 1; }
done
[ -x "$buildward" ] || {
        echo "bench/startup.sh: error: '$buildward' not built; run meson setup build && meson compile -C build" >&2; exit 1; }

mkdir -p "$resdir"
work=$(mktemp -d /var/tmp/bw-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"

names=() cmds=() notes=()
# add NAME COMMAND: adds a row when COMMAND works here, else records why not
add() {
        if $2 >"$work/try.log" 2>&1; then
                names+=("$1"); cmds+=("$2")
        else
                notes+=("$1: not measured, \`$2\` failed here: $(tail -n 1 "$work/try.log")")
        fi
}

run_args="run --quiet --source $work/src --out $work/out"
bw="$buildward $run_args"
add "buildward --no-monitor" "$bw --no-monitor -- true"
add "buildward (default)" "$bw -- true"
if [ -n "${BW_COMPARE:-}" ]; then
        [ -x "$BW_COMPARE" ] || {
                echo "bench/startup.sh: error: BW_COMPARE='$BW_COMPARE' is not an executable; pass a buildward binary" >&2; exit 1; }
        add "buildward --no-monitor, BW_COMPARE" "$BW_COMPARE $run_args --no-monitor -- true"
        notes+=("BW_COMPARE: $BW_COMPARE")
fi
add "bwrap" "bwrap --unshare-all --die-with-parent --ro-bind / / --tmpfs /tmp --proc /proc --dev /dev true"
add "firejail" "firejail --quiet --noprofile true"
add "unshare" "unshare -Urpf --mount-proc true"
add "true" "true"

args=(--warmup 5 --runs "$runs" -N --export-json "$resdir/startup.json")
for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done

echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, kernel $(uname -r), $(hyperfine --version)"
hyperfine "${args[@]}" >"$resdir/startup.txt" 2>&1 || {
        cat "$resdir/startup.txt"; exit 1; }

echo
echo "Commands (hyperfine -N: no shell in between):"
for i in "${!names[@]}"; do echo "- ${names[$i]}: \`${cmds[$i]}\`"; done
echo
python3 - "$resdir/startup.json" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
ref = next((r["mean"] for r in res if r["command"] == "bwrap"), None)
print("| command | mean (ms) | stddev (ms) | min (ms) | vs bwrap |")
print("|---|---:|---:|---:|---:|")
for r in res:
    ratio = "%.2fx" % (r["mean"] / ref) if ref else "n/a"
    print("| %s | %.2f | %.2f | %.2f | %s |" % (r["command"], r["mean"] * 1e3,
          r["stddev"] * 1e3, r["min"] * 1e3, ratio))
PY

# A second, interleaved pass: on a shared VM the load drifts during a long
# hyperfine series, so here every round runs each command once, in turn, and
# the medians are compared. posix_spawn keeps the harness's own cost small and
# equal for every command.
echo
echo "Interleaved: $runs rounds, each command once per round (median and 10th-90th percentile, ms):"
echo
python3 - "$runs" "${names[@]}" -- "${cmds[@]}" <<'PY'
import os, shlex, statistics, sys, time
runs = int(sys.argv[1]); rest = sys.argv[2:]; sep = rest.index("--")
names, cmds = rest[:sep], [shlex.split(c) for c in rest[sep + 1:]]
times = {n: [] for n in names}
devnull = os.open(os.devnull, os.O_RDWR)
def run(argv):
    t0 = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ,
                          file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)])
    os.waitpid(pid, 0)
    return (time.perf_counter() - t0) * 1e3
for _ in range(5):
    for c in cmds: run(c)
for _ in range(runs):
    for n, c in zip(names, cmds): times[n].append(run(c))
ref = statistics.median(times["bwrap"]) if "bwrap" in times else None
print("| command | median (ms) | p10 | p90 | vs bwrap (median) |")
print("|---|---:|---:|---:|---:|")
for n in names:
    t = sorted(times[n]); med = statistics.median(t)
    p10, p90 = t[len(t) // 10], t[(len(t) * 9) // 10]
    print("| %s | %.2f | %.2f | %.2f | %s |" % (n, med, p10, p90, "%.2fx" % (med / ref) if ref else "n/a"))
PY
for n in "${notes[@]}"; do echo; echo "$n"; done
echo
echo "raw: $resdir/startup.json, $resdir/startup.txt"
