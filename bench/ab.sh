#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/ab.sh OLD NEW [-- RUN-ARGS...]: is NEW's start-up faster than OLD's?
#
# Two buildward binaries, `run --quiet --no-monitor -- true` (or RUN-ARGS),
# interleaved in pairs whose order alternates (ABBA), so the load that drifts
# on a shared VM falls on both alike. Prints the medians and the median of the
# paired differences with a 95 % bootstrap interval: a change whose interval
# spans 0 is not resolved by this machine.
#
#   BW_RUNS   pairs (default 300)
#   BW_AB_CMD=1  RUN-ARGS are the whole command line after the binary, for
#             another command than `run` (`seal DIR -o FILE --no-cache`)
#
# Needs root, like buildward run.
set -euo pipefail

if [ $# -lt 2 ]; then
        echo "usage: bench/ab.sh OLD-BINARY NEW-BINARY [-- RUN-ARGS...]" >&2
        exit 2
fi
old=$1 new=$2
shift 2
[ "${1:-}" = -- ] && shift
for b in "$old" "$new"; do
        [ -x "$b" ] || { echo "bench/ab.sh: error: '$b' is not an executable; pass two buildward binaries" >&2; exit 1; }
done
if [ "$(id -u)" != 0 ]; then
        echo "bench/ab.sh: error: needs root (buildward run creates namespaces); rerun as root" >&2
        exit 1
fi
work=$(mktemp -d /var/tmp/bw-ab.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src"
args=(run --quiet --source "$work/src" --out "$work/out" --no-monitor -- true)
[ $# -gt 0 ] && args=(run --quiet --source "$work/src" --out "$work/out" "$@")
[ "${BW_AB_CMD:-0}" = 1 ] && args=("$@")

python3 - "${BW_RUNS:-300}" "$old" "$new" "${args[@]}" <<'PY'
import os, random, statistics, sys, time
runs, old, new, args = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
null = os.open(os.devnull, os.O_WRONLY)

def once(binary):
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(binary, [binary] + args, os.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, null, 1), (os.POSIX_SPAWN_DUP2, null, 2)])
    _, status = os.waitpid(pid, 0)
    t = (time.perf_counter_ns() - t0) / 1e6
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("bench/ab.sh: error: %s %s failed; run it by hand to see why" % (binary, " ".join(args)))
    return t

for b in (old, new):  # warm-up
    for _ in range(5):
        once(b)
a, b, d = [], [], []
for i in range(runs):
    if i % 2:
        tb = once(new); ta = once(old)
    else:
        ta = once(old); tb = once(new)
    a.append(ta); b.append(tb); d.append(tb - ta)
rng = random.Random(1)
boot = sorted(statistics.median(rng.choices(d, k=len(d))) for _ in range(2000))
lo, hi = boot[int(0.025 * len(boot))], boot[int(0.975 * len(boot)) - 1]
print("# %s, %d cores, load %s, %d ABBA pairs" % (time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime()),
      os.cpu_count(), " ".join("%.2f" % x for x in os.getloadavg()), runs))
print("| binary | median (ms) | p10 | p90 |")
print("|---|---:|---:|---:|")
for name, v in (("old: " + old, a), ("new: " + new, b)):
    q = statistics.quantiles(v, n=10)
    print("| %s | %.2f | %.2f | %.2f |" % (name, statistics.median(v), q[0], q[-1]))
print()
print("new - old, median of the paired differences: %+.2f ms (95 %% bootstrap interval %+.2f to %+.2f)%s" %
      (statistics.median(d), lo, hi, "" if lo > 0 or hi < 0 else ": not resolved"))
PY
