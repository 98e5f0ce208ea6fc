#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Path policies and library checks of run --toolchain (docs/integrity.md,
# "Path policies" and "Libraries"): a sealed toolchain with a signer, a small
# shared library and a program that dlopen()s it; a protected signing key in
# the source tree. The sealed signer reads the key quietly; cat, a renamed
# copy of the signer and another file bound over the signer's path do not; a
# write is reported; --enforce stops the build before its next step. A
# modified library bound over the sealed one is reported; the sealed one and
# a library the build made itself are not.
#
# Safety (TESTING.md): everything runs inside the sandbox; no network.
. "$(dirname "$0")/lib.sh"
require_root

SRC=$TEST_TMP/src
# The toolchain lives where toolchains do, outside the world-writable directories
# (a program or library run from /tmp is a finding of its own).
TC=$(mktemp -d /var/lib/bw-test-tc.XXXXXX)
chmod 0755 "$TC"
trap '_tap_cleanup; rm -rf "$TC"' EXIT
mkdir -p "$SRC/keys" "$TC/bin" "$TC/lib" "$TEST_TMP/evil"
echo "not a real key" >"$SRC/keys/signing.key"
cat >"$TEST_TMP/signer.c" <<'C'
#include <stdio.h>
int main(int argc, char **argv) {
        FILE *f = argc > 1 ? fopen(argv[1], "r") : NULL;
        char b[256];
        if (!f)
                return 2;
        size_t n = fread(b, 1, sizeof(b), f);
        fclose(f);
        printf("signed with %zu key bytes\n", n);
        return 0;
}
C
cat >"$TEST_TMP/loader.c" <<'C'
#include <dlfcn.h>
#include <stddef.h>
int main(int argc, char **argv) {
        void *h = argc > 1 ? dlopen(argv[1], RTLD_NOW) : NULL;
        int (*f)(void) = h ? (int (*)(void)) dlsym(h, "hello") : 0;
        return f && f() == 42 ? 0 : 3;
}
C
printf 'int hello(void) { return 42; }\n' >"$TEST_TMP/hello.c"
printf 'const char *patched = "patched"; int hello(void) { return 42; }\n' >"$TEST_TMP/evil.c"
if ! { gcc -O2 -o "$TC/bin/signer" "$TEST_TMP/signer.c" &&
        gcc -O2 -o "$TC/bin/loader" "$TEST_TMP/loader.c" -ldl &&
        gcc -O2 -shared -fPIC -o "$TC/lib/libhello.so" "$TEST_TMP/hello.c" &&
        gcc -O2 -shared -fPIC -o "$TEST_TMP/evil/libhello.so" "$TEST_TMP/evil.c"; } >"$TEST_TMP/cc.log" 2>&1; then
        echo "1..0 # SKIP cannot compile the test toolchain: $(tail -n 1 "$TEST_TMP/cc.log")"
        exit 0
fi
cp /usr/bin/cat "$TEST_TMP/fake-signer"

# Is the monitor available here? (needs root, BTF, tp_btf)
"$BUILDWARD" run --quiet --source "$SRC" --out "$TEST_TMP/probe" -- true >/dev/null 2>&1
if [ "$(OUT=$TEST_TMP/probe rj 'd["monitor"]["enabled"]')" != true ]; then
        echo "1..0 # SKIP the eBPF monitor is unavailable: $(OUT=$TEST_TMP/probe rj 'd["monitor"].get("reason")')"
        exit 0
fi

# The toolchain the build uses, libraries included (as docs/integrity.md tells users to seal it).
"$BUILDWARD" seal "$TC" /usr/bin /usr/lib/x86_64-linux-gnu /usr/lib/gcc -o "$TEST_TMP/tc.manifest" \
        >"$TEST_TMP/seal.log" 2>&1 || not_ok "seal the test toolchain" "$(tail -n 3 "$TEST_TMP/seal.log")"
SIGNER_DIGEST=$(awk -v p="$TC/bin/signer" '$1 == "f" && $7 == p { print $5 }' "$TEST_TMP/tc.manifest")
expect_match "the manifest records the signer's digest" '^sha256:[0-9a-f]{64}$' "$SIGNER_DIGEST"

policy() { # policy FILE ALLOWED: the key may be read by ALLOWED only, written by nobody
        cat >"$1" <<YML
version: 1
protect:
  - path: $SRC/keys/**
    read: [$2]
    write: []
    reason: signing key, only the signer reads it
YML
}
policy "$TEST_TMP/by-path.yml" "$TC/bin/signer"
policy "$TEST_TMP/by-digest.yml" "$SIGNER_DIGEST"
TCOPTS=(--toolchain "$TEST_TMP/tc.manifest" --ro-bind "$TC")

high() { rj 'sorted({f["rule"] for f in d["findings"] if f["severity"] in ("high", "critical")})'; }

# -- path policies: the sealed signer may read the key, by path or by digest
run_build signer-by-path "${TCOPTS[@]}" --policy "$TEST_TMP/by-path.yml" -- "$TC/bin/signer keys/signing.key"
expect_rc "the sealed signer reads the protected key (policy names its path): exit 0" 0
expect_eq "the sealed signer reads the protected key: no finding at high or above" "[]" "$(high)"
expect_eq "the signer's exec records its sealed digest and path" "[[\"$SIGNER_DIGEST\", \"$TC/bin/signer\"]]" \
        "$(python3 -c 'import json, sys
print(json.dumps([[e.get("toolchain_digest"), e.get("toolchain_path")] for e in map(json.loads, open(sys.argv[1]))
                  if e["type"] == "exec" and e["filename"].endswith("/signer")]))' "$OUT/events.jsonl")"
run_build signer-by-digest "${TCOPTS[@]}" --policy "$TEST_TMP/by-digest.yml" -- "$TC/bin/signer keys/signing.key"
expect_rc "the sealed signer reads the protected key (policy names its digest): exit 0" 0

# -- anything else reading it: cat (from the key's own directory: the kernel resolves the relative name)
run_build cat-reads "${TCOPTS[@]}" --policy "$TEST_TMP/by-digest.yml" -- 'cd keys && cat ./signing.key >/dev/null'
expect_rc "cat reads the protected key: the verdict fails the job (exit 123)" 123
expect_eq "cat reads the protected key: secret-access.protected-read names the resolved path and cat" \
        "[[\"$SRC/keys/signing.key\", \"/usr/bin/cat\"]]" \
        "$(rj '[[f["evidence"]["path"], f["process"]["exe"]] for f in d["findings"] if f["rule"] == "secret-access.protected-read"]')"
expect_eq "cat reads the protected key: replay of events.jsonl with the policy agrees" \
        "secret-access.protected-read" \
        "$("$BUILDWARD" replay --json --policy "$TEST_TMP/by-digest.yml" "$OUT/events.jsonl" 2>/dev/null |
                python3 -c 'import json, sys; print(" ".join(sorted({f["rule"] for f in json.load(sys.stdin)["findings"]})))')"

# -- a renamed copy of the allowed signer is not the sealed file
run_build renamed-copy "${TCOPTS[@]}" --policy "$TEST_TMP/by-path.yml" -- \
        "cp $TC/bin/signer ./release-tool && ./release-tool keys/signing.key"
expect_eq "a renamed copy of the signer reads the key: protected-read for the copy" "[\"$SRC/release-tool\"]" \
        "$(rj '[f["process"]["exe"] for f in d["findings"] if f["rule"] == "secret-access.protected-read"]')"

# -- another file at the signer's sealed path is not the sealed file either
run_build replaced-signer "${TCOPTS[@]}" --ro-bind "$TEST_TMP/fake-signer:$TC/bin/signer" \
        --policy "$TEST_TMP/by-path.yml" -- "$TC/bin/signer keys/signing.key >/dev/null"
expect_eq "another file bound over the signer's path: sealed-mismatch and protected-read" \
        '["secret-access.protected-read", "toolchain-tamper.sealed-mismatch"]' "$(high)"

# -- writes by anyone: write: [] allows nobody
run_build writes "${TCOPTS[@]}" --policy "$TEST_TMP/by-path.yml" -- 'echo forged >>keys/signing.key'
expect_eq "a shell appends to the protected key: toolchain-tamper.protected-write" \
        "[\"$SRC/keys/signing.key\"]" \
        "$(rj '[f["evidence"]["path"] for f in d["findings"] if f["rule"] == "toolchain-tamper.protected-write"]')"
expect_rc "a write to the protected key fails the job" 123
assert "the real key is unchanged (the sandbox's copy-on-write)" "the host's key changed" \
        grep -qx "not a real key" "$SRC/keys/signing.key"

# -- --enforce: the read stops the build before its next step
run_build enforce "${TCOPTS[@]}" --policy "$TEST_TMP/by-path.yml" --enforce -- \
        'cat keys/signing.key >/dev/null; sleep 10; touch after-the-read'
expect_eq "--enforce: the build is stopped at the read, before it creates its marker" \
        '["secret-access.protected-read", []]' \
        "$(rj '[d["monitor"]["stopped_by"], [c["path"] for c in d["source_changes"] if c["path"] == "after-the-read"]]')"
expect_rc "--enforce: the verdict fails the job (exit 123)" 123

# -- refusals at start: executables named without a manifest to identify them, a path not sealed as a file
run_build no-toolchain --policy "$TEST_TMP/by-digest.yml" -- true
expect_rc "a policy naming executables without --toolchain is refused (exit 125)" 125
expect_match "without --toolchain: the message names the fix" "line 3 .*pass --toolchain MANIFEST" "$(cat "$RUN_ERR")"
policy "$TEST_TMP/symlink.yml" /usr/bin/cc
run_build symlink-entry "${TCOPTS[@]}" --policy "$TEST_TMP/symlink.yml" -- true
expect_rc "a policy allowing a symlink of the manifest is refused (exit 125)" 125
expect_match "a symlink entry: the message says to name the sealed file" "not a file .*name the sealed file" \
        "$(cat "$RUN_ERR")"

# -- libraries: each one mapped executable is judged under the sealed roots
run_build lib-sealed "${TCOPTS[@]}" -- "$TC/bin/loader $TC/lib/libhello.so"
expect_rc "the sealed loader dlopen()s the sealed library: exit 0" 0
expect_eq "the sealed library: no finding at high or above" "[]" "$(high)"
expect_eq "the sealed library was checked when it was mapped, and matched" '["match"]' \
        "$(python3 -c 'import json, sys
print(json.dumps(sorted({e.get("toolchain") for e in map(json.loads, open(sys.argv[1]))
                         if e.get("syscall") == "mmap" and e.get("path", "").endswith("/libhello.so")})))' "$OUT/events.jsonl")"
expect_eq "every library the loader and the shell mapped from the sealed roots matched" "[]" \
        "$(python3 -c 'import json, sys
print(json.dumps([e["path"] for e in map(json.loads, open(sys.argv[1]))
                  if e.get("syscall") == "mmap" and e.get("toolchain") not in ("match", None)]))' "$OUT/events.jsonl")"
run_build lib-modified "${TCOPTS[@]}" --ro-bind "$TEST_TMP/evil/libhello.so:$TC/lib/libhello.so" -- \
        "$TC/bin/loader $TC/lib/libhello.so"
expect_eq "a modified library bound over the sealed one: toolchain-tamper.unsealed-library names it" \
        "[\"$TC/lib/libhello.so\"]" \
        "$(rj '[f["evidence"]["path"] for f in d["findings"] if f["rule"] == "toolchain-tamper.unsealed-library"]')"
expect_rc "a modified library fails the job" 123
run_build lib-own "${TCOPTS[@]}" -- \
        "gcc -shared -fPIC -o libown.so $TEST_TMP/hello.c 2>/dev/null || cp $TC/lib/libhello.so libown.so; $TC/bin/loader ./libown.so"
expect_eq "a library the build made in its source tree (outside the sealed roots): no finding at high or above" \
        "[]" "$(high)"

# -- a real compile with the libraries sealed stays clean (cc1, as and ld map libbfd, libisl, libmpc ...)
printf 'int main(void) { return 0; }\n' >"$SRC/main.c"
run_build gcc "${TCOPTS[@]}" -- 'gcc -O2 -o /tmp/m main.c && /tmp/m'
expect_rc "gcc with the toolchain's libraries sealed: exit 0" 0
expect_eq "gcc with the toolchain's libraries sealed: no finding at all" "0" "$(rj 'len(d["findings"])')"

done_testing
