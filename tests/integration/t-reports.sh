#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The three reports beside report.json, made by tests/helpers/bw-report from
# recorded reports (no build runs, no root needed):
#  - report.sarif against the OASIS SARIF 2.1.0 JSON schema (vendored in
#    tests/unit/data, from the npm package @microsoft/jest-sarif, MIT) with
#    python3's jsonschema, and against the rules GitHub code scanning applies
#    on upload;
#  - report.html parsed by python's html.parser: only the page's own tags and
#    attributes, whatever the build put in argv and paths;
#  - the summary: no terminal control byte.

. "$(dirname "$0")/lib.sh"

src=${BW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
data=$src/tests/unit/data
schema=$data/sarif-2.1.0-rtm.5.json
bw_report=$(dirname "$BUILDWARD")/tests/bw-report
if [ ! -x "$bw_report" ]; then
        not_ok "bw-report is built" "missing: $bw_report (meson compile -C build)"
        done_testing
        exit 1
fi

# A python3 that has jsonschema: the one on PATH, else Debian's (python3-jsonschema).
py=
for p in python3 /usr/bin/python3; do
        if command -v "$p" >/dev/null && "$p" -c 'import jsonschema' 2>/dev/null; then
                py=$p
                break
        fi
done

# render NAME REPORT: writes $TEST_TMP/NAME/{report.sarif,report.html,summary}
render() {
        mkdir -p "$TEST_TMP/$1" &&
                "$bw_report" "$2" "$TEST_TMP/$1" >"$TEST_TMP/$1/summary" 2>"$TEST_TMP/$1/stderr"
}

# schema_valid SARIF: exit 0 when the log validates, else prints the first errors
schema_valid() {
        "$py" - "$schema" "$1" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
for e in errors[:5]:
    print("/".join(map(str, e.path)), e.message[:200])
sys.exit(1 if errors else 0)
PY
}

# github_rules SARIF: what code scanning checks on upload, and what makes alerts useful
github_rules() {
        python3 - "$1" <<'PY'
import json, sys
log = json.load(open(sys.argv[1], encoding="utf-8", errors="strict"))
problems = []
def need(cond, what):
    if not cond:
        problems.append(what)
need(log.get("version") == "2.1.0", "version 2.1.0")
for r_i, run in enumerate(log["runs"]):
    driver = run["tool"]["driver"]
    need(driver.get("name"), "tool.driver.name")
    rules = driver.get("rules", [])
    ids = [r["id"] for r in rules]
    need(len(ids) == len(set(ids)), "unique rule ids")
    for r in rules:
        need(len(r.get("shortDescription", {}).get("text", "")) <= 1024, r["id"] + ": shortDescription <= 1024")
        need(len(r.get("fullDescription", {}).get("text", "")) <= 1024, r["id"] + ": fullDescription <= 1024")
        need(r.get("help", {}).get("text"), r["id"] + ": help.text")
        props = r.get("properties", {})
        need("security" in props.get("tags", []), r["id"] + ": tag 'security' (else the severity is ignored)")
        sev = float(props.get("security-severity", "-1"))
        need(0.0 < sev <= 10.0, r["id"] + ": security-severity in (0, 10]")
        need(r.get("defaultConfiguration", {}).get("level") in ("error", "warning", "note"), r["id"] + ": level")
    for i, res in enumerate(run.get("results", [])):
        where = "result %d" % i
        need(res.get("message", {}).get("text"), where + ": message.text")
        idx = res.get("ruleIndex")
        need(idx is not None and 0 <= idx < len(rules) and rules[idx]["id"] == res.get("ruleId"),
             where + ": ruleIndex names ruleId")
        locs = res.get("locations", [])
        need(len(locs) >= 1, where + ": at least one location")
        for loc in locs:
            uri = loc.get("physicalLocation", {}).get("artifactLocation", {}).get("uri", "")
            need(uri != "", where + ": non-empty artifactLocation.uri")
        need(res.get("partialFingerprints"), where + ": partialFingerprints")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY
}

# html_clean HTML: only the page's own markup, valid UTF-8
html_clean() {
        python3 - "$1" <<'PY'
import sys
from html.parser import HTMLParser
raw = open(sys.argv[1], "rb").read()
text = raw.decode("utf-8", errors="strict")
allowed = {"html", "head", "meta", "title", "style", "body", "header", "div", "h1", "h2", "h3", "p", "code",
           "ul", "ol", "li", "nav", "a", "main", "section", "details", "summary", "table", "tr", "th", "td",
           "b", "span", "br", "footer"}
attrs_ok = {"lang", "charset", "http-equiv", "content", "name", "class", "id", "href", "title", "open"}
bad = []
class P(HTMLParser):
    def handle_starttag(self, tag, attrs):
        if tag not in allowed:
            bad.append("tag <%s>" % tag)
        for k, v in attrs:
            if k not in attrs_ok:
                bad.append("attribute %s on <%s>" % (k, tag))
            if k == "href" and not (v or "").startswith("#"):
                bad.append("link to %r" % v)
P().feed(text)
if any(ord(c) < 0x20 and c != "\n" for c in text):
    bad.append("a control character")
for b in bad[:5]:
    print(b)
sys.exit(1 if bad else 0)
PY
}

# A report in which every build-supplied string is hostile, raw bytes included.
python3 - "$TEST_TMP/evil.json" <<'PY'
import json, sys
evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>\'a&b&amp;c\x1b]0;pwned\x07\x1b[2J\u009b31m\u202ecod.exe'
argv = ["/tmp/" + evil, evil, "bad-bytes"]
proc = {"pid": 12, "ppid": 11, "exe": "/src/" + evil, "argv": argv, "cwd": "/src/" + evil}
report = {
    "version": 1, "command": argv, "exit_code": 0, "buildward_exit_code": 123, "verdict": "fail",
    "started_at": evil, "duration_s": 1.0,
    "sandbox": {"source": "/src", evil: evil},
    "monitor": {"enabled": True, "events": 3, "lost": 2},
    "findings": [{"rule": evil, "category": evil, "severity": "critical", "time": evil, "detail": evil,
                  "process": dict(proc, chain=[proc, {"pid": 11, "exe": evil, "argv": argv}]),
                  "evidence": {"path": "/src/" + evil, evil: evil}}],
    "processes": [dict(proc, pid=11, ppid=1), proc],
    "artifacts": [{"path": evil, "sha256": evil, "size": 1}],
    "source_changes": [{"path": evil, "change": evil}],
}
text = json.dumps(report).replace("bad-bytes", "BAD").encode()
# invalid UTF-8 inside a JSON string: json-c keeps the bytes as they are
text = text.replace(b"BAD", b"bad\xff\xfe\xc3(")
open(sys.argv[1], "wb").write(text)
PY

if render fixture "$data/report-findings.json"; then
        ok "bw-report writes report.sarif and report.html from a recorded report"
else
        not_ok "bw-report writes report.sarif and report.html from a recorded report" "$(cat "$TEST_TMP/fixture/stderr")"
fi
render evil "$TEST_TMP/evil.json" || not_ok "bw-report renders a hostile report" "$(cat "$TEST_TMP/evil/stderr")"
echo '{}' >"$TEST_TMP/empty.json"
echo '{"findings": [{"rule": 1, "process": {"chain": [1]}}], "sandbox": {"source": "/"}}' >"$TEST_TMP/odd.json"
render empty "$TEST_TMP/empty.json" || not_ok "bw-report renders an empty report" "$(cat "$TEST_TMP/empty/stderr")"
render odd "$TEST_TMP/odd.json" || not_ok "bw-report renders a mistyped report" "$(cat "$TEST_TMP/odd/stderr")"

if [ -z "$py" ]; then
        skip "python3 has no jsonschema module (scripts/bootstrap installs python3-jsonschema)" \
                "report.sarif validates against the SARIF 2.1.0 schema"
else
        for n in fixture evil empty odd; do
                if out=$(schema_valid "$TEST_TMP/$n/report.sarif"); then
                        ok "$n: report.sarif validates against the SARIF 2.1.0 schema"
                else
                        not_ok "$n: report.sarif validates against the SARIF 2.1.0 schema" "$out"
                fi
        done
        # The validator itself must refuse a broken log, or the checks above prove nothing.
        python3 - "$TEST_TMP/fixture/report.sarif" "$TEST_TMP/broken.sarif" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["runs"][0]["results"][0]["level"] = "critical"
del d["runs"][0]["results"][1]["message"]
json.dump(d, open(sys.argv[2], "w"))
PY
        if out=$(schema_valid "$TEST_TMP/broken.sarif"); then
                not_ok "the schema check refuses a log with a bad level and a result without message"
        else
                expect_match "the schema check refuses a log with a bad level and a result without message" \
                        "level|message" "$out"
        fi
fi

for n in fixture evil empty odd; do
        if out=$(github_rules "$TEST_TMP/$n/report.sarif"); then
                ok "$n: report.sarif follows code scanning's upload rules"
        else
                not_ok "$n: report.sarif follows code scanning's upload rules" "$out"
        fi
done
expect_eq "fixture: one SARIF result per finding" 5 \
        "$(json "$TEST_TMP/fixture/report.sarif" 'len(d["runs"][0]["results"])')"

for n in fixture evil empty odd; do
        if out=$(html_clean "$TEST_TMP/$n/report.html"); then
                ok "$n: report.html holds only the page's own markup"
        else
                not_ok "$n: report.html holds only the page's own markup" "$out"
        fi
done
expect_match "evil: the hostile strings are on the page, as text" \
        '&lt;script&gt;alert\(1\)&lt;/script&gt;&quot;&gt;&lt;img' "$(cat "$TEST_TMP/evil/report.html")"

if [ ! -s "$TEST_TMP/evil/summary" ] || grep -q $'\x1b' "$TEST_TMP/evil/summary"; then
        not_ok "evil: the summary prints no escape byte" "$(cat -v "$TEST_TMP/evil/summary" | head -n 3)"
else
        ok "evil: the summary prints no escape byte"
fi
expect_match "evil: the summary shows the escape sequence as text" '\\x1b\]0;pwned\\x07' \
        "$(cat "$TEST_TMP/evil/summary")"
expect_match "fixture: the summary's first line" \
        '^FAIL  exit 0 \(buildward exits 123\), 12.34 s, 5 findings \(1 critical, 2 high, 1 medium, 1 low\)' \
        "$(head -n 1 "$TEST_TMP/fixture/summary")"

# ---- a real report.json: `buildward run` with a daemon that outlives the build -------
if [ "$(id -u)" != 0 ]; then
        skip "needs root (buildward run)" "a real run's report renders into valid reports"
else
        real_src=$TEST_TMP/real-src
        mkdir -p "$real_src" && chmod 0755 "$real_src"
        tag=301.$$
        (cd "$real_src" && timeout -s KILL 120 "$BUILDWARD" run --quiet --source "$real_src" \
                --out "$TEST_TMP/real-out" -- sh -c "setsid sleep $tag & while ! pgrep -xf 'sleep $tag' \
                >/dev/null && [ \$((i+=1)) -le 50 ]; do sleep 0.1; done; echo x >made.o; exit 0" \
                </dev/null >"$TEST_TMP/real.stdout" 2>"$TEST_TMP/real.stderr")
        rc=$?
        if [ "$rc" != 123 ] || [ ! -s "$TEST_TMP/real-out/report.json" ]; then
                not_ok "buildward run leaves a report with a finding" "exit $rc (expected 123)" \
                        "$(tail -n 3 "$TEST_TMP/real.stderr")"
        elif render real "$TEST_TMP/real-out/report.json"; then
                ok "a real run's report renders (exit 123, a process-survival finding)"
                if [ -n "$py" ]; then
                        out=$(schema_valid "$TEST_TMP/real/report.sarif") &&
                                ok "real: report.sarif validates against the SARIF 2.1.0 schema" ||
                                not_ok "real: report.sarif validates against the SARIF 2.1.0 schema" "$out"
                fi
                out=$(github_rules "$TEST_TMP/real/report.sarif") &&
                        ok "real: report.sarif follows code scanning's upload rules" ||
                        not_ok "real: report.sarif follows code scanning's upload rules" "$out"
                expect_eq "real: the finding's rule is the catalog's, with its location in the source tree" \
                        '["process-survival.alive-at-exit", ".", "SRCROOT"]' \
                        "$(json "$TEST_TMP/real/report.sarif" '[d["runs"][0]["results"][0]["ruleId"],
                            d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                            d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"]]')"
                out=$(html_clean "$TEST_TMP/real/report.html") &&
                        ok "real: report.html holds only the page's own markup" ||
                        not_ok "real: report.html holds only the page's own markup" "$out"
                expect_match "real: the summary says FAIL and names the finding" \
                        "^FAIL  exit 0 \(buildward exits 123\).*
  HIGH     process-survival.alive-at-exit: " "$(cat "$TEST_TMP/real/summary")"
        else
                not_ok "a real run's report renders" "$(cat "$TEST_TMP/real/stderr")"
        fi
fi

# A live build that names a file and argv with bytes that are not UTF-8 and with
# terminal escape sequences: report.json and every events.jsonl line stay JSON
# that Python reads strictly, the bytes come back with surrogateescape
# (docs/reports.md), and no raw ESC reaches a terminal (replay, summary).
if [ "$(id -u)" != 0 ]; then
        skip "needs root" "hostile names: report.json and events.jsonl stay valid JSON"
else
        SRC=$TEST_TMP/hostile-src
        mkdir -p "$SRC"
        # bw, 0xff, an overlong "/", a UTF-8-encoded surrogate, clear screen, a window title, z
        run_build hostile -- 'n=$(printf "bw\377\300\257\355\240\200\033[2J\033]0;t\007z"); : >"$n" &&
                cp /bin/true "/tmp/$n" && "/tmp/$n" "$n" ok'
        hostile_check() { # hostile_check WHAT: prints what is wrong, exits 1
                python3 - "$OUT" "$1" <<'PY'
import json, sys
out, what = sys.argv[1], sys.argv[2]
want = b"bw\xff\xc0\xaf\xed\xa0\x80\x1b[2J\x1b]0;t\x07z"
def strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)
def has(doc):
    return any(want in s.encode("utf-8", "surrogateescape") for s in strings(doc))
try:
    if what == "report":
        doc = json.load(open(out + "/report.json", encoding="utf-8", errors="strict"))
        ok = has(doc)
        why = "the name's bytes are not in any string"
    else:
        lines = open(out + "/events.jsonl", "rb").read().splitlines()
        docs = [json.loads(l.decode("utf-8", errors="strict")) for l in lines if l.strip()]
        ok = any(has(d) for d in docs)
        why = "the name's bytes are in no event (%d lines)" % len(docs)
except Exception as e:
    ok, why = False, "%s: %s" % (type(e).__name__, str(e)[:200])
if not ok:
    print(why)
sys.exit(0 if ok else 1)
PY
        }
        out=$(hostile_check report) && ok "hostile names: report.json is strict JSON and the bytes round-trip" ||
                not_ok "hostile names: report.json is strict JSON and the bytes round-trip" "$out" "$(why)"
        if [ "$(rj 'd["monitor"]["enabled"]')" != true ]; then
                skip "the eBPF monitor is unavailable" "hostile names: events.jsonl"
        else
                out=$(hostile_check events) && ok "hostile names: every events.jsonl line is strict JSON, bytes round-trip" ||
                        not_ok "hostile names: every events.jsonl line is strict JSON, bytes round-trip" "$out"
                "$BUILDWARD" replay "$OUT/events.jsonl" >"$TEST_TMP/hostile.replay" 2>&1
                if grep -q $'\033' "$TEST_TMP/hostile.replay"; then
                        not_ok "hostile names: replay prints no raw ESC" "$(head -c 300 "$TEST_TMP/hostile.replay" | od -c | head -n 5)"
                elif ! grep -qF '\x1b[2J' "$TEST_TMP/hostile.replay"; then
                        not_ok "hostile names: replay prints no raw ESC" "the name is not in the output" \
                                "$(head -c 300 "$TEST_TMP/hostile.replay")"
                else
                        ok "hostile names: replay prints no raw ESC, the name escaped"
                fi
        fi
        if render hostile "$OUT/report.json" && ! grep -q $'\033' "$TEST_TMP/hostile/summary" "$RUN_OUT" "$RUN_ERR"; then
                ok "hostile names: the run's output and the summary hold no raw ESC"
        else
                not_ok "hostile names: the run's output and the summary hold no raw ESC" "$(cat "$TEST_TMP/hostile/stderr")"
        fi
fi

done_testing
