#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs the libFuzzer harnesses of tests/fuzz/ (built by meson, tests/fuzz/meson.build:
# clang, ASan + UBSan) each for a bounded time from its seed corpus. Needs no root.
# A crash, leak or failed invariant fails the check and leaves the reproducer in
# the log directory.
#
#   BW_FUZZ_SECONDS    time per harness (default 20)
#   BW_BUILDDIR        the tree under test (meson sets it; else BUILDWARD's directory):
#                      its harnesses when it was configured with clang and -Dfuzzers
#   BW_FUZZ_BUILDDIR   otherwise this tree (default BW_BUILDDIR-fuzz), set up with
#                      CC=clang -Dfuzzers=enabled when absent, and built

. "$(dirname "$0")/lib.sh"

src=${BW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
secs=${BW_FUZZ_SECONDS:-20}
builddir=${BW_BUILDDIR:-$(dirname "$BUILDWARD")}
names=(glob size env policy replay dsse manifest report triage-net triage-config)
if ! command -v clang >/dev/null; then
        echo "1..0 # SKIP clang is not installed (scripts/bootstrap installs it)"
        exit 0
fi
has_fuzzers() { ninja -C "$1" -t targets all 2>/dev/null | grep -q '^tests/fuzz/fuzz-glob:'; }
fuzzdir=$builddir
if ! has_fuzzers "$fuzzdir"; then
        fuzzdir=${BW_FUZZ_BUILDDIR:-$builddir-fuzz}
        if [ ! -e "$fuzzdir/build.ninja" ] &&
                ! CC=clang meson setup "$fuzzdir" "$src" -Dfuzzers=enabled -Dmonitor=disabled -Dwerror=false >"$TEST_TMP/setup.log" 2>&1; then
                if grep -q "libFuzzer" "$TEST_TMP/setup.log"; then
                        echo "1..0 # SKIP clang has no libFuzzer runtime (package libclang-rt-14-dev)"
                        exit 0
                fi
                echo "Bail out! cannot set up $fuzzdir: $(tail -n 3 "$TEST_TMP/setup.log" | tr '\n' ' ')"
                exit 1
        fi
fi
out=$TEST_TMP/fuzz
mkdir -p "$out"

# the longest input of each harness where a realistic seed is longer than 512
# bytes (a policy, an event stream, a whole report.json)
declare -A max_len=([replay]=8192 [policy]=2048 [report]=16384)
for name in "${names[@]}"; do
        bin=$fuzzdir/tests/fuzz/fuzz-$name
        if ! ninja -C "$fuzzdir" "tests/fuzz/fuzz-$name" >"$out/$name.build.log" 2>&1; then
                not_ok "fuzz-$name builds" "$(grep -E 'error|FAILED' "$out/$name.build.log" | head -n 5)"
                continue
        fi
        corpus=$out/corpus-$name
        mkdir -p "$corpus"
        [ -d "$src/tests/fuzz/corpus/$name" ] && cp "$src/tests/fuzz/corpus/$name"/* "$corpus"/ 2>/dev/null
        if (cd "$out" && "$bin" -max_total_time="$secs" -max_len="${max_len[$name]:-512}" -timeout=10 "$corpus") >"$out/$name.log" 2>&1; then
                ok "fuzz-$name: $(grep -Eo 'Done [0-9]+ runs' "$out/$name.log" | tail -n 1) without a crash or broken invariant"
        else
                not_ok "fuzz-$name found a problem" "$(grep -E 'ERROR|SUMMARY|abort|Test unit written' "$out/$name.log" | head -n 5)"
                mkdir -p "$src/build/test-logs" && cp "$out"/crash-* "$out/$name.log" "$src/build/test-logs/" 2>/dev/null
        fi
done

done_testing
