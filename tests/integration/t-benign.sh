#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Benign real builds under full monitoring: three unmodified Debian source
# packages, each built and tested inside the sandbox with the eBPF monitor on.
# False alarms are bugs like missed detections (docs/design.md §4): each build must
# pass with no finding at high or above, no lost event, and a monitor that saw
# the build (exec events of its compilers).
#
#   hello   GNU autotools: ./configure && make -j2 && make check
#   json-c  CMake: cmake && make -j2 && ctest
#   zlib    its own configure script: ./configure && make -j2 && make test
#
# Sources come from `apt-get source` (deb-src added by scripts/bootstrap) and
# are cached under /var/cache/buildward-tests.
. "$(dirname "$0")/lib.sh"
require_root

CACHE=/var/cache/buildward-tests
W=$TEST_TMP

# fetch PKG: leaves PKG_*.dsc and its files in $CACHE/PKG; prints the reason on failure
fetch() {
        local dir=$CACHE/$1
        if compgen -G "$dir/$1_*.dsc" >/dev/null; then return 0; fi
        # The newest version first; a mirror may have dropped its files while the
        # index still names it (zlib's security update did), so then every other
        # version the index lists, newest first.
        local v versions
        versions=$(apt-cache showsrc "$1" 2>/dev/null | sed -n 's/^Version: //p' | sort -urV)
        for v in "" $versions; do
                rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
                if (cd "$dir.tmp" && apt-get source --download-only -qq "$1${v:+=$v}") >>"$W/apt-$1.log" 2>&1; then
                        rm -rf "$dir" && mv "$dir.tmp" "$dir"
                        return 0
                fi
        done
        rm -rf "$dir.tmp"
        echo "apt-get source $1 failed for every version the index lists (${versions//$'\n'/ }; no deb-src entry or no network?): $(tail -n 1 "$W/apt-$1.log")"
        return 1
}

"$BUILDWARD" run --quiet --source "$W" --out "$W/probe" -- true >/dev/null 2>&1
if [ "$(OUT=$W/probe rj 'd["monitor"]["enabled"]')" != true ]; then
        echo "1..0 # SKIP the eBPF monitor is unavailable: $(OUT=$W/probe rj 'd["monitor"].get("reason")')"
        exit 0
fi

# benign PKG COMPILER-NAME SCRIPT: fails (status 1) when PKG could not be built at all
benign() {
        local pkg=$1 compiler=$2 script=$3 why
        if ! why=$(fetch "$pkg"); then
                skip "$why" "$pkg: built under the monitor"
                return 1
        fi
        local dsc src
        dsc=$(ls "$CACHE/$pkg/$pkg"_*.dsc | head -n 1)
        src=$W/src-$pkg
        if ! dpkg-source --no-check -x "$dsc" "$src" >"$W/dpkg-$pkg.log" 2>&1; then
                not_ok "$pkg: dpkg-source -x $(basename "$dsc")" "$(tail -n 3 "$W/dpkg-$pkg.log")"
                return 1
        fi
        OUT=$W/out-$pkg RUN_OUT=$W/$pkg.stdout RUN_ERR=$W/$pkg.stderr
        (cd "$src" && timeout -s KILL 900 "$BUILDWARD" run --source "$src" --out "$OUT" --timeout 800 \
                -- sh -c "$script" </dev/null >"$RUN_OUT" 2>"$RUN_ERR")
        RC=$?
        expect_rc "$pkg: $script exits 0 in the sandbox" 0
        [ "$RC" = 0 ] || tail -n 20 "$RUN_OUT" "$RUN_ERR" | sed 's/^/#   /'
        expect_eq "$pkg: verdict pass" pass "$(rj 'd["verdict"]')"
        expect_eq "$pkg: no finding at high or above" "[]" \
                "$(rj '[f["rule"] + ": " + f["detail"] for f in d["findings"] if f["severity"] in ("high", "critical")]')"
        expect_eq "$pkg: the monitor watched the whole build and lost nothing" "[true, 0]" \
                "$(rj '[d["monitor"]["enabled"], d["monitor"]["lost"]]')"
        expect_match "$pkg: the monitor saw the compiler run" "[1-9]" \
                "$(python3 -c 'import json, sys
n = 0
for l in open(sys.argv[1]):
    e = json.loads(l)
    n += e["type"] == "exec" and e["filename"].endswith("/" + sys.argv[2])
print(n)' "$OUT/events.jsonl" "$compiler")"
        diag "$pkg: $(rj 'str(d["monitor"]["events"]) + " events, " + str(len(d["processes"])) + " processes, " + str(len(d["findings"])) + " findings (all below high), " + d["duration_s"].__str__() + " s"')"
}

# The package's own test suite ran and passed: checked only when it was built.
suite_passed() {
        local pkg=$1 what=$2 pattern=$3
        if [ -f "$W/$pkg.stdout" ]; then
                expect_match "$pkg: $what" "$pattern" "$(cat "$W/$pkg.stdout")"
        else
                skip "$pkg was not built (see above)" "$pkg: $what"
        fi
}

benign hello cc1 './configure && make -j2 && make check'
suite_passed hello "make check ran and passed tests" '^# PASS: +[1-9]'
benign json-c cc1 'mkdir -p build && cd build && cmake .. && make -j2 && ctest -j2 --output-on-failure'
suite_passed json-c "ctest passed every test" '100% tests passed'
benign zlib cc1 './configure && make -j2 && make test'
suite_passed zlib "make test passed" 'zlib .*test OK'

done_testing
