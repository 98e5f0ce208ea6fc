#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/reports.sh: what writing report.sarif, report.html and the summary
# costs at the end of a run, for the recorded small report and for a big one
# (50 000 processes, 2 005 findings, 10 000 source changes; made here,
# deterministic). Runs tests/helpers/bw-report --time BW_RUNS times per report,
# interleaved, and prints the median of each phase in ms.
#
#   bench/reports.sh            (needs build/ built; no root)
#   BW_RUNS   runs per report (default 7)
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
bw_report=$root/build/tests/bw-report
runs=${BW_RUNS:-7}
[ -x "$bw_report" ] || {
        echo "bench/reports.sh: error: '$bw_report' not built; run meson setup build && meson compile -C build" >&2
        exit 1
}
work=$(mktemp -d /var/tmp/bw-bench-reports.XXXXXX)
trap 'rm -rf "$work"' EXIT

python3 - "$root/tests/unit/data/report-findings.json" "$work/big.json" <<'PY'
import json, random, sys
random.seed(1)
base = json.load(open(sys.argv[1]))
procs = [{"pid": 1000, "ppid": 1, "exe": "/usr/bin/make", "argv": ["make", "-j2"], "cwd": "/work/src/hello",
          "start": "2026-11-25T15:00:00Z", "end": "2026-11-25T15:10:00Z", "exit_code": 0, "signal": None}]
for i in range(1, 50000):
    parent = random.choice(procs[max(0, len(procs) - 200):])["pid"]
    procs.append({"pid": 1000 + i, "ppid": parent, "exe": "/usr/bin/cc",
                  "argv": ["cc", "-c", "file%d.c" % i, "-O2", "-o", "file%d.o" % i], "cwd": "/work/src/hello",
                  "start": "2026-11-25T15:00:01Z", "end": "2026-11-25T15:00:02Z", "exit_code": 0, "signal": None})
base["processes"] = procs
for i in range(2000):
    p = random.choice(procs)
    base["findings"].append({"rule": "source-tamper.modified-source", "category": "source-tamper",
                             "severity": random.choice(["low", "medium", "high"]), "time": "2026-11-25T15:00:07Z",
                             "process": {k: p[k] for k in ("pid", "ppid", "exe", "argv", "cwd")},
                             "detail": "rewrote a source", "evidence": {"path": "/work/src/hello/src/f%d.c" % i}})
base["source_changes"] = [{"path": "obj/file%d.o" % i, "change": "created"} for i in range(10000)]
json.dump(base, open(sys.argv[2], "w"))
PY

mkdir -p "$work/out"
for ((i = 0; i < runs; i++)); do
        for r in small big; do
                f=$root/tests/unit/data/report-findings.json
                [ "$r" = big ] && f=$work/big.json
                "$bw_report" --time "$f" "$work/out" 2>>"$work/$r.times" >/dev/null
        done
done
echo "| report | runs | parse (ms) | report.sarif (ms) | report.html (ms) | summary (ms) | report.html size |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for r in small big; do
        f=$root/tests/unit/data/report-findings.json
        [ "$r" = big ] && f=$work/big.json
        "$bw_report" "$f" "$work/out" >/dev/null
        python3 - "$r" "$work/$r.times" "$(stat -c %s "$work/out/report.html")" <<'PY'
import re, statistics, sys
rows = [list(map(float, re.findall(r"([0-9.]+) ms", l))) for l in open(sys.argv[2])]
med = [statistics.median(c) for c in zip(*rows)]
print("| %s | %d | %.1f | %.1f | %.1f | %.1f | %d KiB |" % (sys.argv[1], len(rows), *med, int(sys.argv[3]) // 1024))
PY
done
