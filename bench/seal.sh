#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/seal.sh: hashing a real toolchain tree, buildward next to its peers.
#
#   bench/seal.sh [RESULT-DIR]      (default build/bench)
#
#   BUILDWARD   binary under test (default build/buildward)
#   BW_ROUNDS   interleaved rounds (default 5)
#   BW_TREES    trees to hash (default "/usr/bin /usr/lib/gcc /usr/lib/x86_64-linux-gnu")
#
# Every tool hashes the same regular files (symlinks are not followed), hot in
# the page cache (read once before timing):
#   buildward seal (all CPUs, and --jobs 1), `fsverity digest` (fsverity-utils,
#   one thread), sha256sum (one thread), b3sum (BLAKE3, its own threads).
# Rounds are interleaved (each tool once per round, order rotated) and medians
# compared, which is fairer on a shared, noisy VM than one long series per tool.
# Every round also runs `openssl speed -evp sha256 -bytes 4096` (one thread,
# 1 s), the per-core reference measured under the same load as the tools.
# Then: the warm re-check (`buildward check`, digest cache hot) with hyperfine.
# Needs root (the digest cache is root's). Prints markdown tables.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
buildward=${BUILDWARD:-$root/build/buildward}
resdir=${1:-$root/build/bench}
rounds=${BW_ROUNDS:-5}
read -r -a trees <<<"${BW_TREES:-/usr/bin /usr/lib/gcc /usr/lib/x86_64-linux-gnu}"

if [ "$(id -u)" != 0 ]; then
        echo "bench/seal.sh: error: needs root (the digest cache is root's); rerun as root" >&2
        exit 1
fi
for tool in fsverity sha256sum b3sum hyperfine openssl python3; do
        command -v "$tool" >/dev/null || {
                echo "bench/seal.sh: error: '$tool' not found; run scripts/bootstrap" >&2; exit 1; }
done
[ -x "$buildward" ] || {
        echo "bench/seal.sh: error: '$buildward' not built; run meson setup build && meson compile -C build" >&2; exit 1; }

mkdir -p "$resdir"
work=$(mktemp -d /var/tmp/bw-bench-seal.XXXXXX)
trap 'rm -rf "$work"' EXIT
export BUILDWARD_CACHE_DIR=$work/cache # a cache of its own, never the host's

find "${trees[@]}" -type f -print0 >"$work/files"
nfiles=$(tr -cd '\0' <"$work/files" | wc -c)
bytes=$(xargs -0 -r stat -c %s <"$work/files" | awk '{ s += $1 } END { printf "%d", s }')
# Hot page cache: every tool reads from memory.
xargs -0 -r cat <"$work/files" >/dev/null

names=("buildward seal" "buildward seal --jobs 1" "fsverity digest" "sha256sum" "b3sum")
cmds=(
        "$buildward seal ${trees[*]} -o $work/m.manifest --no-cache"
        "$buildward seal ${trees[*]} -o $work/m1.manifest --no-cache --jobs 1"
        "xargs -0 -r fsverity digest <$work/files >$work/fsverity.out"
        "xargs -0 -r sha256sum <$work/files >/dev/null"
        "xargs -0 -r b3sum <$work/files >/dev/null"
)

echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $nfiles files, $(awk -v b="$bytes" 'BEGIN { printf "%.2f GB", b / 1e9 }') in ${trees[*]}"
echo

python3 - "$rounds" "$bytes" "$resdir/seal.tsv" "${names[@]}" -- "${cmds[@]}" <<'PY'
import os, statistics, subprocess, sys, time
rounds, nbytes, tsv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rest = sys.argv[4:]; sep = rest.index("--")
names, cmds = rest[:sep], rest[sep + 1:]
times = {n: [] for n in names}
cpu = {n: [] for n in names}
def run(c):
    """Wall time, and CPU time (user + system) of the command and everything it waited for."""
    t0 = time.perf_counter()
    p = subprocess.Popen(c, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    if status != 0:
        sys.exit("bench/seal.sh: error: `%s` failed" % c)
    return time.perf_counter() - t0, ru.ru_utime + ru.ru_stime
def openssl_speed():
    """GB/s of `openssl speed -evp sha256` on 4096-byte messages: bytes per second of user CPU time."""
    out = subprocess.run(["openssl", "speed", "-seconds", "1", "-bytes", "4096", "-evp", "sha256"],
                         capture_output=True, text=True, check=True).stdout
    return float([l for l in out.splitlines() if l.startswith("sha256")][0].split()[1].rstrip("k")) * 1e3 / 1e9
ossl = []
for c in cmds:  # warm-up round
    run(c)
for r in range(rounds):
    order = list(range(len(names) + 1))
    order = order[r % len(order):] + order[:r % len(order)]
    for i in order:
        if i == len(names):
            ossl.append(openssl_speed())
            continue
        w, c = run(cmds[i])
        times[names[i]].append(w)
        cpu[names[i]].append(c)
with open(tsv, "w") as f:
    for n in names:
        f.write(n + "\twall\t" + "\t".join("%.4f" % t for t in times[n]) + "\n")
        f.write(n + "\tcpu\t" + "\t".join("%.4f" % t for t in cpu[n]) + "\n")
    f.write("openssl speed 4096\tGB/s\t" + "\t".join("%.4f" % g for g in ossl) + "\n")
ref = statistics.median(times["fsverity digest"])
print("Interleaved, %d rounds, hot page cache. Wall time: median (min-max); CPU time: median user+system;"
      % rounds)
print("GB/s per CPU-second is the per-core throughput.")
print()
print("| tool | wall median (s) | min | max | GB/s (wall) | vs fsverity digest (wall) | CPU (s) | GB/s per CPU-s |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for n in names:
    t = times[n]; med = statistics.median(t); c = statistics.median(cpu[n])
    print("| %s | %.3f | %.3f | %.3f | %.2f | %.2fx | %.2f | %.2f |" % (n, med, min(t), max(t), nbytes / med / 1e9,
          ref / med, c, nbytes / c / 1e9))
o = statistics.median(ossl)
print()
print("Per-core reference in the same rounds, `openssl speed -evp sha256 -bytes 4096` (one thread, bytes per"
      " user CPU-second): median %.2f GB/s (%.2f-%.2f)." % (o, min(ossl), max(ossl)))
for n in ("buildward seal", "buildward seal --jobs 1"):
    print("- %s: %.2f GB/s per CPU-second, %.0f %% of it." % (n, nbytes / statistics.median(cpu[n]) / 1e9,
          100 * nbytes / statistics.median(cpu[n]) / 1e9 / o))
PY

# The same digests as fsverity-utils, on the very files just timed (files
# installed or removed by others meanwhile are left out and counted).
python3 - "$work/m.manifest" "$work/fsverity.out" <<'PY'
import sys
mine = {l.split(" ")[6].rstrip("\n"): l.split(" ")[4] for l in open(sys.argv[1]) if l.startswith("f ")}
theirs = {}
for l in open(sys.argv[2]):
    d, p = l.rstrip("\n").split(" ", 1)
    theirs[p] = d
common = mine.keys() & theirs.keys()
bad = [p for p in common if mine[p] != theirs[p]]
print()
print("Digests: buildward and `fsverity digest` %s on %d files (%d only in one list: changed during the run)."
      % ("agree" if not bad else "DISAGREE (%d: %s)" % (len(bad), bad[:3]), len(common),
         len(mine.keys() ^ theirs.keys())))
PY

# Warm re-check: the digest cache holds every file (the files are old: none is
# "racily" recent), so a check is one statx per entry plus a hash lookup.
"$buildward" seal "${trees[@]}" -o "$work/m.manifest" 2>/dev/null
"$buildward" check --json "$work/m.manifest" >"$work/check.json"
echo
hyperfine -N --warmup 3 --runs 20 --export-json "$resdir/seal-check.json" \
        -n "check, warm cache" "$buildward check $work/m.manifest" >"$resdir/seal-check.txt" 2>&1 || {
        cat "$resdir/seal-check.txt"; exit 1; }
python3 - "$resdir/seal-check.json" "$work/check.json" <<'PY'
import json, statistics, sys
r = json.load(open(sys.argv[1]))["results"][0]
c = json.load(open(sys.argv[2]))
print("Warm re-check (`buildward check MANIFEST`, %d entries, %d files: %d from the cache, %d hashed):"
      % (c["entries"], c["stats"]["files"], c["stats"]["cached"], c["stats"]["hashed"]))
print()
print("| command | mean (ms) | stddev | median | min | CPU user+system (ms) |")
print("|---|---:|---:|---:|---:|---:|")
print("| buildward check (warm cache) | %.1f | %.1f | %.1f | %.1f | %.1f |" % (r["mean"] * 1e3, r["stddev"] * 1e3,
      statistics.median(r["times"]) * 1e3, r["min"] * 1e3, (r["user"] + r["system"]) * 1e3))
PY

# OpenSSL's SHA-256 (SHA-NI when the CPU has it) on 16 KiB blocks too, after
# the rounds: how much of the 4 KiB figure is openssl speed's own per-message cost.
echo
echo "\`openssl speed -evp sha256\` after the rounds (one thread):"
echo
openssl speed -seconds 3 -bytes 4096 -evp sha256 2>/dev/null | awk '/^sha256/ { printf "- 4 KiB blocks: %.2f GB/s\n", $2 / 1e6 }'
openssl speed -seconds 3 -bytes 16384 -evp sha256 2>/dev/null | awk '/^sha256/ { printf "- 16 KiB blocks: %.2f GB/s\n", $2 / 1e6 }'
grep -q sha_ni /proc/cpuinfo && echo "- the CPU has SHA-NI"
echo
echo "raw: $resdir/seal.tsv, $resdir/seal-check.json"
