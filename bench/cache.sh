#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/cache.sh: a warm `check` of the toolchain against the size and history
# of the digest cache (issue 23), side by side in one hyperfine run.
#
#   bench/cache.sh [RESULT-DIR]      (default build/bench)
#
#   BUILDWARD   binary under test (default build/buildward)
#   BW_RUNS     hyperfine runs per command (default 20)
#   BW_TREES    the toolchain (default "/usr/bin /usr/lib/gcc")
#   BW_BIG      the big tree sealed into one cache (default /usr)
#
# One manifest of the toolchain, checked warm (every digest from the cache)
# with caches that hold:
#   - the toolchain alone (the floor);
#   - the toolchain plus synthetic rows up to 10k, 100k and 1M entries. The
#     synthetic rows are written straight into DIR/digests.db with their HMAC
#     made under DIR/key by the recipe of src/integrity/cache.c, row_mac()
#     (inodes on a device number no file has, no path: never swept): the
#     cheap way to a 1M cache, and exactly what a lookup meets in a real one;
#   - the toolchain plus BW_BIG sealed (real rows);
#   - the toolchain plus 200 sealed-and-deleted trees of 50 files each
#     (10 000 dead rows, none swept: the trees are sealed first, deleted after).
# References in the same hyperfine run: `fsverity digest` and sha256sum of
# the toolchain's files (what a check without the cache costs, hot page cache).
# Every cache is a copy in a scratch directory: never the host's.
# Needs root (the digest cache is root's). Prints markdown tables.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
buildward=${BUILDWARD:-$root/build/buildward}
resdir=${1:-$root/build/bench}
runs=${BW_RUNS:-20}
read -r -a trees <<<"${BW_TREES:-/usr/bin /usr/lib/gcc}"
big=${BW_BIG:-/usr}

if [ "$(id -u)" != 0 ]; then
        echo "bench/cache.sh: error: needs root (the digest cache is root's); rerun as root" >&2
        exit 1
fi
for tool in fsverity sha256sum hyperfine python3; do
        command -v "$tool" >/dev/null || {
                echo "bench/cache.sh: error: '$tool' not found; run scripts/bootstrap" >&2; exit 1; }
done
[ -x "$buildward" ] || {
        echo "bench/cache.sh: error: '$buildward' not built; run meson setup build && meson compile -C build" >&2; exit 1; }

mkdir -p "$resdir"
work=$(mktemp -d /var/tmp/bw-bench-cache.XXXXXX)
trap 'rm -rf "$work"' EXIT

find "${trees[@]}" -type f -print0 >"$work/files"
xargs -0 -r cat <"$work/files" >/dev/null # hot page cache

# cache NAME: a directory of its own for the cache called NAME
cache() { echo "$work/cache-$1"; }
BUILDWARD_CACHE_DIR=$(cache base) "$buildward" seal "${trees[@]}" -o "$work/tc.manifest" 2>/dev/null
copy() { cp -a "$(cache base)" "$(cache "$1")"; }

# synthetic DIR N: adds rows until DIR's cache holds N entries
synthetic() {
        python3 - "$1" "$2" <<'PY'
import hashlib, hmac, os, sqlite3, struct, sys
d, want = sys.argv[1], int(sys.argv[2])
key = open(d + "/key", "rb").read()
db = sqlite3.connect(d + "/digests.db")
have = db.execute("SELECT v FROM meta WHERE k = 'entries'").fetchone()[0]
t = 1600000000 * 10**9
def rows():
    for ino in range(1, want - have + 1):
        digest = hashlib.sha256(struct.pack("<Q", ino)).digest()
        f = (0x7fff0000, ino, ino * 7, t, t, t)  # a device number no filesystem here has
        mac = hmac.new(key, struct.pack("<QQQQQQ", *f) + digest, hashlib.sha256).digest()
        yield f + (digest, None, mac, 1600000000)
db.executemany("INSERT INTO entry(dev, ino, size, mtime, ctime, btime, digest, path, mac, used) "
               "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows())
db.commit()
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
PY
}
for n in 10000 100000 1000000; do
        copy "$n" && synthetic "$(cache "$n")" "$n"
done
copy big
BUILDWARD_CACHE_DIR=$(cache big) "$buildward" seal "$big" -o "$work/big.manifest" 2>/dev/null || true
copy dead
for i in $(seq 1 200); do
        mkdir -p "$work/t/$i"
        for j in $(seq 1 50); do printf '%s %s' "$i" "$j" >"$work/t/$i/$j"; done
done
sleep 1.2 # files changed less than a second ago are never cached
for i in $(seq 1 200); do
        BUILDWARD_CACHE_DIR=$(cache dead) "$buildward" seal "$work/t/$i" -o "$work/t.manifest" 2>/dev/null
done
rm -rf "$work/t"

names=() cmds=() caches=(base 10000 100000 1000000 big dead)
labels=("toolchain only" "10k entries" "100k entries" "1M entries" "$big sealed" "200 dead trees")
for i in "${!caches[@]}"; do
        d=$(cache "${caches[$i]}")
        BUILDWARD_CACHE_DIR=$d "$buildward" check --json "$work/tc.manifest" >"$work/check-${caches[$i]}.json"
        BUILDWARD_CACHE_DIR=$d "$buildward" doctor --json >"$work/doctor-${caches[$i]}.json"
        names+=("check, cache: ${labels[$i]}")
        cmds+=("env BUILDWARD_CACHE_DIR=$d $buildward check $work/tc.manifest")
done
names+=("fsverity digest" "sha256sum")
cmds+=("sh -c 'xargs -0 -r fsverity digest <$work/files >/dev/null'" "sh -c 'xargs -0 -r sha256sum <$work/files >/dev/null'")

echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
args=()
for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine -N --warmup 3 --runs "$runs" --export-json "$resdir/cache.json" "${args[@]}" >"$resdir/cache.txt" 2>&1 || {
        cat "$resdir/cache.txt"; exit 1; }

python3 - "$resdir/cache.json" "$work" "${caches[@]}" <<'PY'
import json, re, statistics, sys
res = json.load(open(sys.argv[1]))["results"]
work, caches = sys.argv[2], sys.argv[3:]
med = {r["command"]: statistics.median(r["times"]) * 1e3 for r in res}
base = med[res[0]["command"]]
print()
print("| command | entries in cache | live | rows read | median (ms) | min | vs toolchain-only cache |")
print("|---|---:|---:|---:|---:|---:|---:|")
for i, r in enumerate(res):
    ent = live = rows = ""
    if i < len(caches):
        c = json.load(open("%s/check-%s.json" % (work, caches[i])))
        assert c["stats"]["hashed"] == 0, "a check hashed: the cache was not warm"
        rows = "%d of %d files" % (c["stats"]["cache_rows_read"], c["stats"]["files"])
        f = next(x for x in json.load(open("%s/doctor-%s.json" % (work, caches[i]))) if x["feature"] == "digest cache")
        m = re.search(r"(\d+) entries, ([\d.]+)% live", f["detail"])
        ent, live = m.group(1), m.group(2) + " %"
    print("| %s | %s | %s | %s | %.1f | %.1f | %.2fx |" % (r["command"], ent, live, rows, med[r["command"]],
          r["min"] * 1e3, med[r["command"]] / base))
PY
echo
echo "raw: $resdir/cache.json"
