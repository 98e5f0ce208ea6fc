#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/realbuild.sh: wall time of a real build (./configure && make -j2)
# outside the sandbox and inside it (--no-monitor and default flags),
# interleaved round by round, each run on a fresh copy of the tree.
#
# Outside runs get the sandbox's environment (same PATH, LANG, TERM), and run
# twice: on the disk under /var/tmp, and on a tmpfs, because inside the sandbox
# every write lands in its tmpfs, which alone can make a build faster.
#
#   bench/realbuild.sh [RESULT-DIR]    (default build/bench)
#
#   BUILDWARD   binary under test (default build/buildward)
#   BW_ROUNDS   rounds (default 5): each round runs every variant once
#   BW_VARIANTS which of host host-tmpfs buildward-nomon buildward to run
#               (default all four); host-tmpfs is the baseline of the paired
#               ratios, so keep it (e.g. "host-tmpfs buildward-nomon" for more
#               rounds of the sandbox's own cost in the same time)
#   BW_TREE     source tree to build (default: GNU hello from its Debian source
#               package, cached in /var/cache/buildward-tests; examples/hello
#               when that cannot be had)
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
buildward=${BUILDWARD:-$root/build/buildward}
resdir=${1:-$root/build/bench}
rounds=${BW_ROUNDS:-5}
cache=/var/cache/buildward-tests

if [ "$(id -u)" != 0 ]; then
        echo "bench/realbuild.sh: error: needs root (buildward run creates namespaces); rerun as root" >&2
        exit 1
fi
[ -x "$buildward" ] || {
        echo "bench/realbuild.sh: error: '$buildward' not built; run meson setup build && meson compile -C build" >&2; exit 1; }

mkdir -p "$resdir"
# Under /var/tmp, not /tmp: the sandbox gives the build a private /tmp.
work=$(mktemp -d /var/tmp/bw-bench.XXXXXX)
chmod 0755 "$work"
mkdir "$work/tmpfs"
mount -t tmpfs -o size=4g,mode=0755 bw-bench "$work/tmpfs"
trap 'umount "$work/tmpfs" 2>/dev/null; rm -rf "$work"' EXIT

tree=${BW_TREE:-}
label=
if [ -z "$tree" ]; then
        if ! compgen -G "$cache/hello/hello_*.dsc" >/dev/null; then
                mkdir -p "$cache/hello.tmp"
                if (cd "$cache/hello.tmp" && apt-get source --download-only -qq hello) >"$work/apt.log" 2>&1; then
                        rm -rf "$cache/hello" && mv "$cache/hello.tmp" "$cache/hello"
                else
                        rm -rf "$cache/hello.tmp"
                        echo "# apt-get source hello failed ($(tail -n 1 "$work/apt.log")); using examples/hello"
                fi
        fi
        if dsc=$(ls "$cache"/hello/hello_*.dsc 2>/dev/null | head -n 1) && [ -n "$dsc" ] &&
                dpkg-source --no-check -x "$dsc" "$work/tree" >"$work/dpkg-source.log" 2>&1; then
                tree=$work/tree
                label="GNU hello $(basename "$dsc" .dsc | sed 's/^hello_//') (Debian source package)"
        else
                tree=$root/examples/hello
                label="examples/hello"
        fi
fi
label=${label:-$tree}
build_cmd='./configure && make -j2'
sandbox_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# one_run VARIANT ROUND: builds a fresh copy, prints the wall time in seconds
one_run() {
        local variant=$1 n=$2 dir=$work/run-$1-$2 t0 t1 rc=0
        [ "$variant" = host-tmpfs ] && dir=$work/tmpfs/run-$n
        rm -rf "$dir"
        cp -a "$tree" "$dir"
        sync
        t0=$(date +%s.%N)
        case $variant in
        host|host-tmpfs)
                (cd "$dir" && env -i PATH="$sandbox_path" HOME="$HOME" LANG="${LANG:-}" TERM="${TERM:-}" \
                        TMPDIR=/tmp sh -c "$build_cmd") </dev/null >"$resdir/realbuild-$variant-$n.log" 2>&1 || rc=$? ;;
        buildward-nomon)
                "$buildward" run --quiet --no-monitor --source "$dir" --out "$work/out-$variant-$n" \
                        -- sh -c "$build_cmd" </dev/null >"$resdir/realbuild-$variant-$n.log" 2>&1 || rc=$? ;;
        buildward)
                "$buildward" run --quiet --source "$dir" --out "$work/out-$variant-$n" \
                        -- sh -c "$build_cmd" </dev/null >"$resdir/realbuild-$variant-$n.log" 2>&1 || rc=$? ;;
        esac
        t1=$(date +%s.%N)
        rm -rf "$dir"
        if [ "$rc" != 0 ]; then
                echo "bench/realbuild.sh: error: $variant build $n failed (exit $rc); see $resdir/realbuild-$variant-$n.log" >&2
                return 1
        fi
        echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }'
}

read -r -a variants <<<"${BW_VARIANTS:-host host-tmpfs buildward-nomon buildward}"
for v in "${variants[@]}"; do
        case $v in
        host|host-tmpfs|buildward-nomon|buildward) ;;
        *) echo "bench/realbuild.sh: error: unknown variant '$v' in BW_VARIANTS; use host, host-tmpfs, buildward-nomon or buildward" >&2
           exit 1 ;;
        esac
done
echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, kernel $(uname -r)"
echo "# tree: $label; command: $build_cmd; $rounds rounds, order rotated each round"
: >"$resdir/realbuild.tsv"
for ((r = 1; r <= rounds; r++)); do
        for ((k = 0; k < ${#variants[@]}; k++)); do
                v=${variants[$(((k + r - 1) % ${#variants[@]}))]}
                s=$(one_run "$v" "$r")
                printf '%s\t%s\t%s\n' "$v" "$r" "$s" | tee -a "$resdir/realbuild.tsv"
        done
done

echo
python3 - "$resdir/realbuild.tsv" <<'PY'
import random, statistics, sys
runs, by_round = {}, {}
for line in open(sys.argv[1]):
    v, n, s = line.split("\t")
    runs.setdefault(v, []).append(float(s))
    by_round.setdefault(n, {})[v] = float(s)
base = statistics.mean(runs["host"]) if runs.get("host") else None
tmpfs = statistics.mean(runs["host-tmpfs"]) if runs.get("host-tmpfs") else None
print("| variant | runs | mean (s) | stddev (s) | min (s) | vs outside on disk | vs outside on tmpfs |")
print("|---|---:|---:|---:|---:|---:|---:|")
names = {"host": "outside, tree on disk", "host-tmpfs": "outside, tree on tmpfs", "buildward-nomon": "buildward --no-monitor",
         "buildward": "buildward (default flags)"}
for v in ("host", "host-tmpfs", "buildward-nomon", "buildward"):
    xs = runs.get(v)
    if not xs:
        continue
    m = statistics.mean(xs)
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    print("| %s | %d | %.2f | %.2f | %.2f | %s | %s |" % (names[v], len(xs), m, sd, min(xs),
          "%+.1f%%" % ((m / base - 1) * 100) if base else "n/a",
          "%+.1f%%" % ((m / tmpfs - 1) * 100) if tmpfs else "n/a"))

# The load on a shared VM drifts over minutes; a build and the baseline of the
# same round share it. The median of the per-round ratios, with a bootstrap
# interval, says whether a difference is resolved at all.
print()
print("Paired, each run against the outside build on tmpfs of its own round:")
print()
print("| variant | rounds | median overhead | 95 % bootstrap interval | resolved |")
print("|---|---:|---:|---|---|")
rng = random.Random(1)
for v in ("host", "buildward-nomon", "buildward"):
    ratios = [r[v] / r["host-tmpfs"] - 1 for r in by_round.values() if v in r and "host-tmpfs" in r]
    if len(ratios) < 2:
        continue
    boot = sorted(statistics.median(rng.choices(ratios, k=len(ratios))) for _ in range(2000))
    lo, hi = boot[int(0.025 * len(boot))], boot[int(0.975 * len(boot)) - 1]
    print("| %s | %d | %+.1f%% | %+.1f%% to %+.1f%% | %s |" % (names[v], len(ratios), statistics.median(ratios) * 100,
          lo * 100, hi * 100, "yes" if lo > 0 or hi < 0 else "no: within the noise"))
PY
echo
echo "raw: $resdir/realbuild.tsv, logs: $resdir/realbuild-*.log"
