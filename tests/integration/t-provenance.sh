#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# `run --sign-key/--ledger`, checked from the outside: the DSSE signature with
# the openssl command line over PAE bytes rebuilt in Python, the statement's
# fields against git and sha256sum, `verify`, `audit-signatures` naming a
# forgery, `blast-radius` across two builds, and what `run` without the flags
# does not touch: no ledger and no libcrypto, which is dlopen()ed only by the
# runs that hash or sign (src/crypto/openssl-dl.h).

. "$(dirname "$0")/lib.sh"
require_root

B=$BUILDWARD
T=$TEST_TMP
L="sqlite:$T/ledger.db"
export BUILDWARD_BUILDER_ID=urn:buildward:builder:test-host
"$B" keygen -o "$T/key" >/dev/null
"$B" keygen -o "$T/rogue" >/dev/null

# a git source tree with a committed file, an uncommitted one and a subdirectory
mkdir -p "$T/src/lib"
cd "$T/src" || exit 1
printf 'int main(void) { return 0; }\n' >main.c
printf 'lib\n' >lib/x.txt
git init -q . && git add main.c lib/x.txt && git -c user.email=t@t -c user.name=t commit -qm one
printf 'scratch\n' >notes.txt
cd / || exit 1

run() { # run NAME KEY-ARGS... -- CMD: a build of $T/src into $T/NAME
        local name=$1; shift
        OUT=$T/$name RUN_OUT=$T/$name.out RUN_ERR=$T/$name.err RC=0
        "$B" run --quiet --no-monitor --source "$T/src" --out "$OUT" "$@" >"$RUN_OUT" 2>"$RUN_ERR" || RC=$?
}

run one --artifact 'build/*' --sign-key "$T/key" --ledger "$L" -- sh -c 'mkdir build && cp main.c build/app && echo linked >>build/app && echo data >build/app.dat'
expect_rc "a signed build exits 0" 0
P=$T/one/provenance.dsse.json
assert "provenance.dsse.json is written" "$(why)" test -s "$P"

# --- independent verification: PAE rebuilt in Python, signature checked by openssl ---
python3 - "$P" "$T" <<'PY'
import base64, json, sys
env = json.load(open(sys.argv[1]))
body = base64.b64decode(env["payload"], validate=True)
t = env["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)
open(sys.argv[2] + "/pae", "wb").write(pae)
open(sys.argv[2] + "/sig", "wb").write(base64.b64decode(env["signatures"][0]["sig"], validate=True))
open(sys.argv[2] + "/statement.json", "wb").write(body)

PY
openssl pkeyutl -verify -pubin -inkey "$T/key.pub" -rawin -in "$T/pae" -sigfile "$T/sig" >"$T/ossl.out" 2>&1
expect_match "openssl verifies the DSSE signature over the PAE" "Signature Verified Successfully" "$(cat "$T/ossl.out")"
printf 'X' >>"$T/pae"
if openssl pkeyutl -verify -pubin -inkey "$T/key.pub" -rawin -in "$T/pae" -sigfile "$T/sig" >/dev/null 2>&1; then
        not_ok "openssl rejects the signature over changed bytes"
else ok "openssl rejects the signature over changed bytes"; fi
if openssl pkeyutl -verify -pubin -inkey "$T/rogue.pub" -rawin -in "$T/pae" -sigfile "$T/sig" >/dev/null 2>&1; then
        not_ok "and with another key"
else ok "and with another key"; fi
keyid=$(openssl pkey -pubin -in "$T/key.pub" -outform DER | tail -c 32 | sha256sum | cut -d' ' -f1)
expect_eq "keyid is sha256 of the raw public key" "$keyid" "$(json "$P" 'd["signatures"][0]["keyid"]')"
expect_eq "payloadType" "application/vnd.in-toto+json" "$(json "$P" 'd["payloadType"]')"

# --- the statement against the outside world ---
S=$T/statement.json
expect_eq "_type" "https://in-toto.io/Statement/v1" "$(json "$S" 'd["_type"]')"
expect_eq "predicateType" "https://slsa.dev/provenance/v1" "$(json "$S" 'd["predicateType"]')"
expect_eq "subjects: the artifacts with sha256sum's digests" \
        "$(cd "$T/one/artifacts" && sha256sum build/app build/app.dat | awk '{print $2, $1}' | sort | tr '\n' ' ')" \
        "$(json "$S" '" ".join(sorted("%s %s" % (s["name"], s["digest"]["sha256"]) for s in d["subject"])) + " "')"
expect_eq "resolvedDependencies: the git commit" "$(git -C "$T/src" rev-parse HEAD)" \
        "$(json "$S" '[r for r in d["predicate"]["buildDefinition"]["resolvedDependencies"] if r["name"] == "source"][0]["digest"]["gitCommit"]')"
tree=$(cd "$T/src" && find . -path ./.git -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
expect_eq "resolvedDependencies: the tree digest as documented (sha256sum of sha256sum)" "$tree" \
        "$(json "$S" '[r for r in d["predicate"]["buildDefinition"]["resolvedDependencies"] if r["name"] == "source-tree"][0]["digest"]["sha256"]')"
expect_eq "externalParameters.command" '["sh", "-c", "mkdir build && cp main.c build/app && echo linked >>build/app && echo data >build/app.dat"]' \
        "$(json "$S" 'd["predicate"]["buildDefinition"]["externalParameters"]["command"]')"
expect_eq "internalParameters.sandbox is the report's" "$(json "$T/one/report.json" 'd["sandbox"]')" \
        "$(json "$S" 'd["predicate"]["buildDefinition"]["internalParameters"]["sandbox"]')"
expect_eq "builder.id from BUILDWARD_BUILDER_ID" "urn:buildward:builder:test-host" \
        "$(json "$S" 'd["predicate"]["runDetails"]["builder"]["id"]')"
expect_eq "metadata.startedOn is the report's started_at" "$(json "$T/one/report.json" 'd["started_at"]')" \
        "$(json "$S" 'd["predicate"]["runDetails"]["metadata"]["startedOn"]')"
expect_eq "byproducts: report.json's digest and the verdict" \
        "$(sha256sum "$T/one/report.json" | cut -d' ' -f1) pass" \
        "$(json "$S" '"%s %s" % (d["predicate"]["runDetails"]["byproducts"][0]["digest"]["sha256"], d["predicate"]["runDetails"]["byproducts"][0]["annotations"]["verdict"])')"

# --- buildward verify ---
"$B" verify "$T/one/artifacts/build/app" --pubkey "$T/key.pub" --ledger "$L" >"$T/v.out" 2>&1
RC=$?
expect_rc "verify: signature, subject and ledger inclusion" 0
expect_match "verify names the ledger entry" "ok .*build/app: signed by .*ledger entry #0 in tree of size 1" "$(cat "$T/v.out")"
cp "$T/one/artifacts/build/app" "$T/one/artifacts/build/app.changed" && echo x >>"$T/one/artifacts/build/app.changed"
RC=0; "$B" verify "$T/one/artifacts/build/app.changed" --pubkey "$T/key.pub" >"$T/v.out" 2>&1 || RC=$?
expect_rc "verify: a changed artifact fails" 1
expect_match "naming why" "no subject of the provenance has the artifact's sha256" "$(cat "$T/v.out")"
rm "$T/one/artifacts/build/app.changed"
RC=0; "$B" verify "$T/one/artifacts/build/app" --pubkey "$T/rogue.pub" >"$T/v.out" 2>&1 || RC=$?
expect_rc "verify: another public key fails" 1

# --- a second build uses the first one's artifact: blast radius ---
mkdir -p "$T/src/vendor" && cp "$T/one/artifacts/build/app" "$T/src/vendor/app"
run two --artifact 'dist/*' --sign-key "$T/key" --ledger "$L" -- sh -c 'mkdir dist && cat vendor/app main.c >dist/bundle'
expect_rc "a second signed build" 0
rm -r "$T/src/vendor" # the next build's source no longer holds the artifact
run three --artifact 'x' --sign-key "$T/key" --ledger "$L" -- sh -c 'echo unrelated >x'
mkdir -p "$T/src2" && cp "$T/two/artifacts/dist/bundle" "$T/src2/"
OUT=$T/four; RC=0
"$B" run --quiet --no-monitor --source "$T/src2" --out "$OUT" --artifact 'y' --sign-key "$T/key" --ledger "$L" -- \
        sh -c 'cp bundle y' >/dev/null 2>"$T/four.err" || RC=$?
expect_rc "a third build from the second one's artifact" 0
"$B" ledger blast-radius --ledger "$L" --json "$T/one/artifacts/build/app" >"$T/br.json" 2>&1
expect_eq "blast-radius: builds 1 and 3 (depth 1, 2), not the unrelated one" "[[1, 1], [3, 2]]" \
        "$(json "$T/br.json" '[[e["index"], e["depth"]] for e in d["entries"]]')"
"$B" ledger verify --ledger "$L" >"$T/lv.out" 2>&1
expect_match "the ledger of four runs verifies" "ledger ok: 4 entries" "$(cat "$T/lv.out")"

# --- a forged artifact: signed with another key, recorded in another ledger ---
run forged --artifact 'build/*' --sign-key "$T/rogue" --ledger "sqlite:$T/rogue.db" -- sh -c 'mkdir build && echo evil >build/app'
expect_rc "a build signed with a rogue key" 0
rogue_id=$(json "$T/forged/provenance.dsse.json" 'd["signatures"][0]["keyid"]')
RC=0
"$B" ledger audit-signatures --ledger "$L" "$T/one/artifacts/build/app" "$T/one/provenance.dsse.json" \
        "$T/forged/artifacts/build/app" "$T/forged/provenance.dsse.json" >"$T/audit.out" 2>&1 || RC=$?
expect_rc "audit-signatures exits 1 when something is unbacked" 1
expect_match "the genuine artifact is backed" "^ok +$T/one/artifacts/build/app: ledger entry #0 by urn:buildward:builder:test-host, verdict pass" "$(cat "$T/audit.out")"
expect_match "the genuine provenance is backed" "^ok +$T/one/provenance.dsse.json: ledger entry #0" "$(cat "$T/audit.out")"
expect_match "the forged artifact is named, with the forger's key" \
        "^UNBACKED $T/forged/artifacts/build/app: .*signed by key $rogue_id, which is not authorized" "$(cat "$T/audit.out")"
expect_match "the forged provenance is named" \
        "^UNBACKED $T/forged/provenance.dsse.json: provenance signed by key $rogue_id, which is not an authorized" \
        "$(cat "$T/audit.out")"
expect_match "the summary counts them" "^2 of 4 files without an authorized build" "$(cat "$T/audit.out")"
RC=0
"$B" ledger audit-signatures --ledger "$L" --pubkey "$T/rogue.pub" "$T/one/artifacts/build/app" >"$T/audit.out" 2>&1 || RC=$?
expect_rc "with --pubkey only the rogue key is authorized: the genuine one is unbacked" 1

# --- keys and errors ---
chmod 0644 "$T/key"
run badkey --sign-key "$T/key" --ledger "$L" -- true
expect_rc "a group/other-readable key is refused with 125" 125
expect_match "naming the fix" "readable by group or others; .chmod 600" "$(cat "$RUN_ERR")"
[ ! -e "$T/badkey/report.json" ] && ok "before the build runs" || not_ok "before the build runs"
chmod 0600 "$T/key"
run unsigned --ledger "sqlite:$T/unsigned.db" -- true
expect_rc "--ledger alone records the build" 0
[ ! -e "$T/unsigned/provenance.dsse.json" ] && ok "without a key, no provenance file" || not_ok "without a key, no provenance file"
"$B" ledger verify --ledger "sqlite:$T/unsigned.db" >"$T/u.out" 2>"$T/u.err"
expect_match "its checkpoint is reported unsigned" "1 of 1 checkpoints are unsigned" "$(cat "$T/u.err")"
run badledger --sign-key "$T/key" --ledger "mysql://x" -- true
expect_rc "an unknown ledger URL is 125" 125
[ ! -e "$T/badledger/report.json" ] && ok "and is refused before the build runs" ||
        not_ok "and is refused before the build runs"

# --- run without the flags touches neither the ledger nor its libraries ---
strace -f -qq -e trace=openat,open,stat,newfstatat,access,mkdir -o "$T/strace.out" \
        "$B" run --quiet --no-monitor --source "$T/src" --out "$T/plain" -- true >/dev/null 2>&1
RC=$?
expect_rc "a plain run" 0
expect_eq "it opens no libpq, libsqlite or /var/lib/buildward" "" \
        "$(grep -E 'libpq|libsqlite|/var/lib/buildward' "$T/strace.out" | head -n 3)"
expect_eq "it opens no libcrypto" "" "$(grep -E 'libcrypto|libssl' "$T/strace.out" | head -n 3)"
[ ! -e "$T/plain/provenance.dsse.json" ] && ok "and writes no provenance" || not_ok "and writes no provenance"
expect_eq "the binary links neither libpq nor SQLite (nor libm, which only SQLite needs)" "" \
        "$(ldd "$B" | grep -E 'libpq|libsqlite|libm\.')"
expect_eq "and has no SQLite inside either: it is loaded only with a ledger" "" \
        "$(strings "$B" | grep -m1 'SQLite format 3')" # the magic every SQLite database file starts with
expect_eq "nor libcrypto, dynamically or statically" "" \
        "$(ldd "$B" | grep -E 'libcrypto|libssl'; nm "$B" 2>/dev/null | grep -E ' [TU] (EVP_Digest|OpenSSL_version_num)$')"

# --- the runs that hash load libcrypto, in buildward itself, before the build ---
strace -f -qq -e trace=openat,clone,clone3 -o "$T/strace-art.out" \
        "$B" run --quiet --no-monitor --source "$T/src" --out "$T/art" --artifact main.c -- true >/dev/null 2>&1
RC=$?
expect_rc "a run with --artifact" 0
main_pid=$(head -n 1 "$T/strace-art.out" | awk '{print $1}')
expect_eq "opens libcrypto.so.3 once, in buildward's main thread" "$main_pid" \
        "$(grep -E 'libcrypto\.so\.3' "$T/strace-art.out" | grep -v ENOENT | awk '{print $1}' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "before the sandbox is cloned" libcrypto \
        "$(grep -m 1 -oE 'libcrypto\.so\.3|clone3?\(' "$T/strace-art.out" | sed 's/\.so\.3//')"
expect_eq "and the artifact's sha256 is sha256sum's" "$(sha256sum <"$T/src/main.c" | cut -c1-64)" \
        "$(json "$T/art/report.json" 'd["artifacts"][0]["sha256"]')"
marker=301.$$7
strace -f -qq -e trace=openat -o "$T/strace-find.out" "$B" run --quiet --no-monitor --fail-on never \
        --source "$T/src" --out "$T/find" -- sh -c "setsid sleep $marker & sleep 0.3" >/dev/null 2>&1
RC=$?
expect_rc "a run with a finding (a daemon that outlives the build)" 0
expect_match "loads libcrypto after the build, for the SARIF fingerprint" '^[0-9a-f]{64}$' \
        "$(grep -qE 'libcrypto\.so\.3' "$T/strace-find.out" && json "$T/find/report.sarif" 'd["runs"][0]["results"][0]["partialFingerprints"]["buildward/v1"]')"

# --- a libcrypto that does not load: named with its fix, and only where it is needed ---
mkdir -p "$T/badlib"
: >"$T/badlib/libcrypto.so.3" # found first through LD_LIBRARY_PATH; "file too short"
bad() { LD_LIBRARY_PATH=$T/badlib "$@"; }
RC=0; bad "$B" run --quiet --no-monitor --source "$T/src" --out "$T/plain2" -- true >/dev/null 2>"$T/plain2.err" || RC=$?
expect_rc "a plain run does not need it" 0
expect_eq "and says nothing about it" "" "$(cat "$T/plain2.err")"
RC=0; bad "$B" run --quiet --no-monitor --source "$T/src" --out "$T/art2" --artifact main.c -- \
        sh -c 'echo the build ran >&2' >/dev/null 2>"$T/art2.err" || RC=$?
expect_rc "a run with --artifact stops with 125" 125
expect_match "in one line naming the cause and the fix" \
        '^buildward: error: cannot load libcrypto.so.3 \(.*file too short\); install Debian.s libssl3 package$' \
        "$(cat "$T/art2.err")"
expect_eq "that line alone" 1 "$(wc -l <"$T/art2.err")"
expect_eq "before the build runs" "" "$(grep 'the build ran' "$T/art2.err")"
RC=0; bad "$B" run --quiet --no-monitor --fail-on never --source "$T/src" --out "$T/find2" -- \
        sh -c "setsid sleep 1$marker & sleep 0.3" >/dev/null 2>"$T/find2.err" || RC=$?
expect_rc "a run with a finding cannot write its SARIF: 125" 125
expect_match "and says why" "cannot load libcrypto.so.3 .*install Debian.s libssl3 package" "$(cat "$T/find2.err")"
RC=0; bad "$B" keygen -o "$T/key2" >/dev/null 2>"$T/key2.err" || RC=$?
expect_rc "keygen fails with 1" 1
expect_match "in that one line" '^buildward: error: cannot load libcrypto.so.3 \(.*\); install Debian.s libssl3 package$' \
        "$(cat "$T/key2.err")"
if command -v cc >/dev/null; then
        mkdir -p "$T/oldlib"
        echo 'unsigned long OpenSSL_version_num(void) { return 0x1010117fUL; }' >"$T/old.c"
        cc -shared -fPIC -o "$T/oldlib/libcrypto.so.3" "$T/old.c"
        RC=0; LD_LIBRARY_PATH=$T/oldlib "$B" run --quiet --no-monitor --source "$T/src" --out "$T/art3" --artifact main.c \
                -- true >/dev/null 2>"$T/art3.err" || RC=$?
        expect_rc "a libcrypto.so.3 older than OpenSSL 3.0 is refused: 125" 125
        expect_match "naming its version" "libcrypto.so.3 is version 0x1010117f, older than the OpenSSL 3.0" \
                "$(cat "$T/art3.err")"
else
        skip "no C compiler to build an impostor library" "a libcrypto.so.3 older than OpenSSL 3.0 is refused"
        skip "no C compiler to build an impostor library" "naming its version"
fi

done_testing
