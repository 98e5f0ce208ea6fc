#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Builds the libFuzzer harnesses in tests/fuzz/ with clang (ASan + UBSan) and runs
# each for a bounded time from its seed corpus. Needs no root. A crash, leak or
# failed invariant fails the check and leaves the reproducer in the log directory.
#
#   BW_FUZZ_SECONDS   time per harness (default 20)

. "$(dirname "$0")/lib.sh"

src=${BW_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
secs=${BW_FUZZ_SECONDS:-20}
if ! command -v clang >/dev/null; then
        echo "1..0 # SKIP clang is not installed (scripts/bootstrap installs it)"
        exit 0
fi
out=$TEST_TMP/fuzz
mkdir -p "$out"
cflags=(-g -O1 -std=c17 -D_GNU_SOURCE -DBUILDWARD_VERSION='"fuzz"' -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I"$src/src"
        -I/usr/include/json-c)

# basic/ depends on nothing; hashing and signing load libcrypto with dlopen() (openssl-dl.c)
basic=$(echo "$src"/src/basic/{alloc,fd,fs,log,string,strv,time,utf8}.c)
json="$src/src/basic/json-util.c -ljson-c"
crypto="$src/src/crypto/hash.c $src/src/crypto/openssl-dl.c $src/src/basic/dl.c"
declare -A units=(
        [glob]="$src/src/basic/glob.c"
        [size]="$src/src/basic/size.c"
        [env]="$src/src/sandbox/env.c $basic"
        [policy]="$json $src/src/detect/policy.c $src/src/detect/catalog.c $src/src/basic/glob.c $basic $src/src/report/report.c $crypto"
        [replay]="$json $src/src/detect/event.c $src/src/detect/engine.c $src/src/detect/rules.c $src/src/detect/catalog.c $src/src/detect/policy.c $src/src/basic/glob.c $basic $src/src/report/report.c $crypto"
        [dsse]="$src/src/provenance/dsse.c $src/src/crypto/sign.c $basic $crypto $json"
        [manifest]="$src/src/integrity/manifest.c $src/src/integrity/verity.c $src/src/crypto/sign.c $basic $crypto"
        [triage-net]="$src/src/triage/parse.c $basic $crypto"
        [triage-config]="$src/src/triage/parse.c $basic $crypto"
        [report]="$src/src/report/sarif.c $src/src/report/html.c $src/src/report/summary.c $src/src/report/report-read.c $src/src/report/report.c $src/src/detect/catalog.c $basic $crypto $json"
)
# extra libraries, and the longest input of each harness where a realistic seed
# is longer than 512 bytes (a policy, an event stream, a whole report.json)
declare -A libs=([policy]="-lyaml -ljson-c" [replay]="-lyaml -ljson-c")
declare -A max_len=([replay]=8192 [policy]=2048 [report]=16384)
for name in glob size env policy replay dsse manifest report triage-net triage-config; do
        bin=$out/fuzz-$name
        # shellcheck disable=SC2086
        if ! clang "${cflags[@]}" "$src/tests/fuzz/fuzz-$name.c" ${units[$name]} ${libs[$name]:-} -ldl -o "$bin" >"$out/$name.build.log" 2>&1; then
                if grep -q "libclang_rt.fuzzer" "$out/$name.build.log"; then
                        skip "clang has no libFuzzer runtime (package libclang-rt-14-dev)" "fuzz-$name"
                else
                        not_ok "fuzz-$name builds" "$(tail -n 5 "$out/$name.build.log")"
                fi
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
