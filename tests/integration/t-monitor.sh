#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The eBPF monitor's first layer: process exec/fork/exit of the build, and only
# of the build, streamed to OUT/events.jsonl, with the counts in report.json.

. "$(dirname "$0")/lib.sh"
require_root

SRC=$TEST_TMP/src
mkdir -p "$SRC"
OUT=$TEST_TMP/out
marker=bw-mon-$$-$RANDOM

# Probe: can this host load the monitor at all?
"$BUILDWARD" run --quiet --source "$SRC" --out "$TEST_TMP/probe" -- true >/dev/null 2>&1
if [ "$(json "$TEST_TMP/probe/report.json" 'd["monitor"]["enabled"]')" != true ]; then
        echo "1..0 # SKIP the monitor does not run here: $(json "$TEST_TMP/probe/report.json" 'd["monitor"].get("reason")')"
        exit 0
fi

# A host process exec'ing while the build runs must not show up: the filter is the build's cgroup.
( for i in 1 2 3 4 5 6 7 8 9 10; do /bin/echo "host-$marker" >/dev/null; sleep 0.1; done ) &
hostloop=$!
"$BUILDWARD" run --quiet --source "$SRC" --out "$OUT" -- \
        sh -c "ls /usr >/dev/null; sleep 0.5; sh -c 'exit 3'; /bin/echo build-$marker >/dev/null" >"$TEST_TMP/run.out" 2>&1
rc=$?
wait "$hostloop"
EV=$OUT/events.jsonl
expect_eq "the build exits 0" 0 "$rc"
expect_eq "report: monitor enabled" true "$(json "$OUT/report.json" 'd["monitor"]["enabled"]')"
expect_eq "report: no lost events" 0 "$(json "$OUT/report.json" 'd["monitor"]["lost"]')"
expect_eq "report: events_file is events.jsonl" events.jsonl "$(json "$OUT/report.json" 'd["monitor"]["events_file"]')"
expect_eq "report: the event count is the number of lines" "$(wc -l <"$EV")" "$(json "$OUT/report.json" 'd["monitor"]["events"]')"
check "the first line says what was recorded; every other line is an event with time, type and pid" python3 -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
first = json.loads(lines[0])
assert first["type"] == "start" and first["source"] == sys.argv[2] and first["version"] == 1, first
for l in lines[1:]:
    e = json.loads(l)
    assert e["type"] in ("exec", "fork", "exit", "syscall", "rename", "sample") and e["pid"] > 0 and e["time"].endswith("Z"), e
    if e["type"] == "syscall":
        assert e["syscall"] and isinstance(e["args"], list) and len(e["args"]) == 6, e
' "$EV" "$(cd "$SRC" && pwd -P)"
ls_ev=$(python3 -c '
import json, sys
print(json.dumps([e for e in map(json.loads, open(sys.argv[1])) if e["type"] == "exec" and e["filename"] == "/usr/bin/ls"]))' "$EV")
expect_eq "exec of ls recorded once, with its argv" '[["ls", "/usr"]]' \
        "$(python3 -c 'import json,sys; print(json.dumps([e["argv"] for e in json.loads(sys.argv[1])]))' "$ls_ev")"
expect_eq "the build's own echo of the marker is recorded, once" 1 "$(python3 -c '
import json, sys
print(sum(1 for e in map(json.loads, open(sys.argv[1])) if e["type"] == "exec" and e["argv"] == ["/bin/echo", sys.argv[2]]))' "$EV" "build-$marker")"
expect_eq "the host's concurrent execs are not" 0 "$(grep -c "host-$marker" "$EV")"
expect_eq "the exit code of 'sh -c exit 3' is recorded" 1 \
        "$(python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
execs = {e["pid"] for e in ev if e["type"] == "exec" and e["argv"][:3] == ["sh", "-c", "exit 3"]}
print(sum(1 for e in ev if e["type"] == "exit" and e["pid"] in execs and e.get("exit_code") == 3))' "$EV")"
expect_eq "every exec'd process of the build has a fork and an exit" ok "$(python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
forked = {e["child"] for e in ev if e["type"] == "fork"}
exited = {e["pid"] for e in ev if e["type"] == "exit"}
missing = [e for e in ev if e["type"] == "exec" and (e["pid"] not in forked or e["pid"] not in exited)]
print("ok" if not missing else missing)' "$EV")"

# The loader: the kernel relocates the programs (light skeleton) where it can (Linux 5.17+),
# libbpf's CO-RE otherwise; the fallback must record the same build alike.
kmaj=$(uname -r | cut -d. -f1) kmin=$(uname -r | cut -d. -f2)
if [ "$kmaj" -gt 5 ] || { [ "$kmaj" = 5 ] && [ "$kmin" -ge 17 ]; }; then
        expect_eq "report: on Linux $kmaj.$kmin the kernel relocated the programs (monitor.loader)" kernel \
                "$(json "$OUT/report.json" 'd["monitor"]["loader"]')"
else
        expect_eq "report: before Linux 5.17 libbpf relocated the programs (monitor.loader)" libbpf \
                "$(json "$OUT/report.json" 'd["monitor"]["loader"]')"
fi
OUT=$TEST_TMP/out-libbpf
BUILDWARD_MONITOR_LOADER=libbpf "$BUILDWARD" run --quiet --source "$SRC" --out "$OUT" -- \
        sh -c "ls /usr >/dev/null; /bin/echo libbpf-$marker >/dev/null" >"$TEST_TMP/run-libbpf.out" 2>&1
expect_eq "BUILDWARD_MONITOR_LOADER=libbpf: the build exits 0" 0 "$?"
expect_eq "BUILDWARD_MONITOR_LOADER=libbpf: report says libbpf loaded the monitor, no event lost" '["libbpf", 0]' \
        "$(json "$OUT/report.json" '[d["monitor"]["loader"], d["monitor"]["lost"]]')"
expect_eq "BUILDWARD_MONITOR_LOADER=libbpf: the execs of ls and of the marker's echo are recorded" '[1, 1]' \
        "$(python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])][1:]
print(json.dumps([sum(1 for e in ev if e["type"] == "exec" and e["filename"] == "/usr/bin/ls"),
                  sum(1 for e in ev if e["type"] == "exec" and e["argv"] == ["/bin/echo", sys.argv[2]])]))' \
                "$OUT/events.jsonl" "libbpf-$marker")"

# --events-max-size: a build looping over cheap system calls (renames, each an
# event) cannot grow events.jsonl past the bound; the rules still see every
# event, the file ends with a "truncated" line, and the verdict is fail.
OUT=$TEST_TMP/out-flood
"$BUILDWARD" run --quiet --source "$SRC" --out "$OUT" --events-max-size 1M -- python3 -c '
import os
open("/tmp/f", "w").close()
for i in range(20000):
    os.rename("/tmp/f", "/tmp/g"); os.rename("/tmp/g", "/tmp/f")
' >"$TEST_TMP/flood.out" 2>"$TEST_TMP/flood.err"
rc=$?
EV=$OUT/events.jsonl
size=$(stat -c %s "$EV" 2>/dev/null || echo 0)
last=$(tail -n 1 "$EV" | head -c 4096)
expect_eq "flood: exit 123, the verdict is fail" 123 "$rc"
assert "flood: events.jsonl stays within 1M plus its last line ($size bytes)" "size $size" \
        test "$size" -gt 0 -a "$size" -le $((1048576 + ${#last} + 1))
expect_eq "flood: its last line says it was truncated" truncated \
        "$(printf '%s' "$last" | python3 -c 'import json, sys; print(json.load(sys.stdin)["type"])' 2>&1)"
expect_eq "flood: report says events_truncated, verdict fail" "true fail" \
        "$(json "$OUT/report.json" '("true" if d["monitor"]["events_truncated"] else "false") + " " + d["verdict"]')"
check "flood: the count of events not written is the events judged minus the lines kept" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["monitor"]
lines = open(sys.argv[2]).read().splitlines()
assert d["events_not_written"] > 10000, d
assert d["events"] == d["events_not_written"] + len(lines) - 1, (d, len(lines))
assert json.loads(lines[-1])["events_not_written"] == d["events_not_written"]
' "$OUT/report.json" "$EV"
expect_match "flood: stderr names the cause and the fix" "reached --events-max-size.*raise --events-max-size" \
        "$(cat "$TEST_TMP/flood.err")"
"$BUILDWARD" replay "$EV" >/dev/null 2>"$TEST_TMP/replay.err"
expect_match "flood: replay of the cut file says it judges the first events only" \
        "was cut at --events-max-size: [0-9]+ later events.*first ones only" "$(cat "$TEST_TMP/replay.err")"
expect_eq "flood: replay takes the last line for what it is, not a foreign event" "" \
        "$(grep "not an event" "$TEST_TMP/replay.err")"
"$BUILDWARD" run --quiet --source "$SRC" --out "$TEST_TMP/out-small" -- true
expect_eq "without a flood: not truncated, a default bound of at most 1G is reported" "false True" \
        "$(json "$TEST_TMP/out-small/report.json" '("true" if d["monitor"]["events_truncated"] else "false") + " " + str(0 < d["monitor"]["events_max_size"] <= 1 << 30)')"

# --no-monitor: no events file, and the report says why
OUT=$TEST_TMP/out2
"$BUILDWARD" run --quiet --no-monitor --source "$SRC" --out "$OUT" -- true
expect_eq "--no-monitor: monitor disabled" false "$(json "$OUT/report.json" 'd["monitor"]["enabled"]')"
expect_eq "--no-monitor: the reason" "disabled with --no-monitor" "$(json "$OUT/report.json" 'd["monitor"]["reason"]')"
if [ -e "$OUT/events.jsonl" ]; then not_ok "--no-monitor: no events.jsonl" "$(ls -la "$OUT")"
else ok "--no-monitor: no events.jsonl"; fi

# Unprivileged: the build still runs, the report and stderr say the monitor needs root.
USRC=$TEST_TMP/usrc
mkdir -p "$USRC" && chown 65534:65534 "$USRC"
UOUT=$TEST_TMP/uout
mkdir -p "$UOUT" && chown 65534:65534 "$UOUT"
(cd "$USRC" && setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=/usr/bin:/bin \
        "$BUILDWARD" run --quiet --source "$USRC" --out "$UOUT" -- true) 2>"$TEST_TMP/u.err"
expect_eq "unprivileged: the build runs" 0 "$?"
expect_eq "unprivileged: monitor disabled" false "$(json "$UOUT/report.json" 'd["monitor"]["enabled"]')"
expect_match "unprivileged: stderr says the monitor needs root" 'without the eBPF monitor: .*needs root' "$(cat "$TEST_TMP/u.err")"

done_testing
