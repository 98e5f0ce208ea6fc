#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Detection scenarios: one malicious build per category of docs/design.md §4, each
# run inside the sandbox under the eBPF monitor. Every scenario asserts that
# the rules it is written for fire, that nothing at high or above fires
# outside the categories it expects, that the verdict fails, and that
# `buildward replay` of its events.jsonl gives the same rules (fixtures for
# the root-free unit tests come from these runs).
#
# BW_DETECT_FIXTURES=DIR keeps each scenario's events.jsonl as DIR/NAME.jsonl
# with the rules it gave in DIR/NAME.rules: tests/unit/data/detect is made so.
#
# Safety (TESTING.md): every scenario runs inside the sandbox; network
# traffic goes only to the sandbox's own loopback; CPU burners are bounded.
. "$(dirname "$0")/lib.sh"
require_root

SRC=$TEST_TMP/src
mkdir -p "$SRC/tests/files"
printf 'int main(void) { return 0; }\n' >"$SRC/main.c"
cp "$SRC/main.c" "$SRC/good.c"
printf 'int main(void) { return 42; }\n' >"$SRC/evil.c"
printf 'echo decoded-payload-ran\n' | xz >"$SRC/tests/files/payload.xz"

# Is the monitor available here? (needs root, BTF, tp_btf)
"$BUILDWARD" run --quiet --source "$SRC" --out "$TEST_TMP/probe" -- true >/dev/null 2>&1
if [ "$(OUT=$TEST_TMP/probe rj 'd["monitor"]["enabled"]')" != true ]; then
        echo "1..0 # SKIP the eBPF monitor is unavailable: $(OUT=$TEST_TMP/probe rj 'd["monitor"].get("reason")')"
        exit 0
fi

# scenario NAME "RULE..." "CATEGORY..." [run options...] -- SCRIPT
#   RULE...      rule ids that must be reported
#   CATEGORY...  categories allowed at high or above besides those of RULE...
scenario() {
        local name=$1 rules=$2 allowed=$3; shift 3
        run_build "$name" "$@"
        # Without the monitor every check below could pass on an empty report: say why it was off.
        expect_eq "$name: the monitor ran" "on" "$(rj 'd["monitor"].get("reason") or ("on" if d["monitor"]["enabled"] else "off")')"
        local got
        got=$(rj '" ".join(sorted(set(f["rule"] for f in d["findings"])))')
        local r missing=''
        for r in $rules; do
                case " $got " in *" $r "*) ;; *) missing="$missing $r" ;; esac
        done
        if [ -z "$missing" ]; then ok "$name: reported $rules"
        else not_ok "$name: reported $rules" "missing:$missing" "got: $got" "$(why)"; fi
        local cats
        cats=$(for r in $rules; do echo "${r%%.*}"; done | sort -u | tr '\n' ' ')
        local extra
        extra=$(python3 - "$OUT/report.json" "$cats $allowed" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
allowed = set(sys.argv[2].split())
sev = ["info", "low", "medium", "high", "critical"]
bad = sorted({f["rule"] for f in d["findings"]
              if sev.index(f["severity"]) >= 3 and f["category"] not in allowed})
print(" ".join(bad))
PY
)
        if [ -z "$extra" ]; then ok "$name: nothing unexpected at high or above"
        else not_ok "$name: nothing unexpected at high or above" "unexpected: $extra"; fi
        local replayed
        replayed=$("$BUILDWARD" replay --json "$OUT/events.jsonl" 2>/dev/null |
                python3 -c 'import json,sys; print(" ".join(sorted(set(f["rule"] for f in json.load(sys.stdin)["findings"]))))')
        # replay sees no survivors or limits: those come from the sandbox, not from events
        local live_events
        live_events=$(rj '" ".join(sorted(set(f["rule"] for f in d["findings"] if not f["rule"].startswith(("process-survival.", "resource-abuse.")))))')
        expect_eq "$name: replay of events.jsonl gives the same rules" "$live_events" "$replayed"
        if [ -n "${BW_DETECT_FIXTURES:-}" ]; then
                cp "$OUT/events.jsonl" "$BW_DETECT_FIXTURES/$name.jsonl"
                echo "$replayed" | tr ' ' '\n' | sed '/^$/d' >"$BW_DETECT_FIXTURES/$name.rules"
        fi
}

# -- reverse-shell: a shell driven through a socket (the listener is the sandbox's own loopback)
scenario reverse-shell "reverse-shell.dev-tcp reverse-shell.stdio-socket" "" -- '
python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((\"127.0.0.1\", 4444)); s.listen(1); s.settimeout(20)
open(\"/tmp/ready\", \"w\").close()
c, _ = s.accept(); c.sendall(b\"exit\\n\"); c.settimeout(5); c.recv(100); c.close()
" &
i=0; while [ ! -e /tmp/ready ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
bash -c "exec 3<>/dev/tcp/127.0.0.1/4444; sh <&3 >&3 2>&3"
wait'
expect_rc "reverse-shell: the verdict fails the job (exit 123)" 123
expect_eq "reverse-shell: the evidence names the peer" "127.0.0.1:4444" \
        "$(rj '[f["evidence"].get("peer") for f in d["findings"] if f["rule"] == "reverse-shell.stdio-socket"][0]')"
expect_match "reverse-shell: the finding carries the process chain up to the build's command" '"sh", "-c"' \
        "$(rj '[f["process"]["chain"] for f in d["findings"] if f["rule"] == "reverse-shell.dev-tcp"][0]')"

# -- network-egress: a name lookup (glibc asks 127.0.0.1:53 when resolv.conf names no server)
scenario dns "network-egress.dns-query" "" -- 'getent hosts buildward-test.invalid; true'
expect_match "dns: the evidence is the resolver address" ':53$' \
        "$(rj '[f["evidence"]["address"] for f in d["findings"] if f["rule"] == "network-egress.dns-query"][0]')"

# -- crypto-miner: the incident, replayed in the sandbox: a busy program dropped as /tmp/mysql,
#    deleted while it runs, killed, and started again by its watchdog
scenario miner-incident \
        "crypto-miner.sustained-cpu anti-forensics.masquerade exec-from-writable.dropped-binary anti-forensics.self-delete watchdog-respawn.respawn" \
        "" -- '
(n=0; while [ ! -e /tmp/stop ] && [ $n -lt 3 ]; do
        cp /bin/dash /tmp/mysql
        /tmp/mysql -c "echo \$\$ >/tmp/minerpid; i=0; while [ \$i -lt 50000000 ] && [ ! -e /tmp/stop ]; do i=\$((i+1)); done"
        n=$((n+1))
done) &
sleep 7
rm -f /tmp/mysql
sleep 2
kill -9 "$(cat /tmp/minerpid)"
sleep 1
touch /tmp/stop
wait'
expect_match "miner-incident: the masquerade names mysql" "mysql" \
        "$(rj '[f["detail"] for f in d["findings"] if f["rule"] == "anti-forensics.masquerade"][0]')"

scenario known-miner "crypto-miner.known-miner" "exec-from-writable" -- '
cp /bin/true /tmp/xmrig && /tmp/xmrig --donate-level 1 -o stratum+tcp://127.0.0.1:3333'

# -- fileless-exec: a program run from a memfd, and one from /dev/shm
scenario fileless "fileless-exec.memfd fileless-exec.dev-shm" "exec-from-writable" -- '
python3 -c "
import os
fd = os.memfd_create(\"payload\")
os.write(fd, open(\"/bin/true\", \"rb\").read())
os.execv(\"/proc/self/fd/%d\" % fd, [\"payload\"])
"
cp /bin/true /dev/shm/x && /dev/shm/x'

# -- exec-from-writable: a copied program in /tmp is reported; one the build compiled is not
scenario dropped "exec-from-writable.dropped-binary" "" -- '
cp /bin/true /tmp/dropper && /tmp/dropper
printf "int main(void) { return 0; }\n" >/tmp/t.c && gcc -o /tmp/t /tmp/t.c && /tmp/t'
expect_eq "dropped: only the copied program, not the compiled one" '["/tmp/dropper"]' \
        "$(rj '[f["evidence"]["path"] for f in d["findings"] if f["rule"] == "exec-from-writable.dropped-binary"]')"

# -- secret-access: cloud credentials and another process's environment
scenario secrets "secret-access.credential-file secret-access.process-environ" "" -- '
mkdir -p ~/.aws; cat ~/.aws/credentials; cat /proc/1/environ >/dev/null; true'

# -- persistence: cron, authorized_keys, ld.so.preload, a shell rc file
scenario persistence \
        "persistence.scheduler persistence.authorized-keys persistence.ld-preload persistence.shell-rc" "" -- '
echo "* * * * * root sh /tmp/x" >/etc/cron.d/x
mkdir -p ~/.ssh && echo "ssh-ed25519 AAAAC3Nza attacker" >>~/.ssh/authorized_keys
echo /tmp/x.so >/etc/ld.so.preload
echo "sh /tmp/x &" >>~/.bashrc
true'

# -- toolchain-tamper: a write to the compiler, a fake gcc first in PATH, a preloaded library
scenario toolchain "toolchain-tamper.write toolchain-tamper.fake-compiler toolchain-tamper.preload-library" \
        "exec-from-writable" -- '
echo x >/usr/bin/gcc
mkdir -p /tmp/bin && printf "#!/bin/sh\nexec /usr/bin/gcc \"\$@\"\n" >/tmp/bin/gcc && chmod +x /tmp/bin/gcc
PATH=/tmp/bin:$PATH gcc --version >/dev/null
cp "$(ls /usr/lib/x86_64-linux-gnu/libz.so.1 /lib/x86_64-linux-gnu/libz.so.1 2>/dev/null | head -n 1)" /tmp/libhook.so
LD_PRELOAD=/tmp/libhook.so /bin/true
true'

# -- source-tamper: SUNSPOT (a source file swapped while the compiler runs, then restored)
#    and xz (a test fixture decoded into a shell)
scenario source-tamper \
        "source-tamper.swap-during-compile source-tamper.swap-and-restore source-tamper.fixture-to-shell" "" -- '
(sleep 2; echo "int x;") | gcc -x c -c - -o /tmp/slow.o &
sleep 0.5
cp evil.c main.c
sleep 0.3
cp good.c main.c
wait
xz -dc tests/files/payload.xz | sh'
assert "source-tamper: the real source tree is unchanged" "main.c differs from good.c" cmp -s "$SRC/main.c" "$SRC/good.c"

# -- privilege-escalation: su, setuid(0), a setuid bit
# (su reads /etc/shadow on its way: secret-access is expected too)
scenario privilege "privilege-escalation.setuid-binary privilege-escalation.setuid-root privilege-escalation.setuid-bit" \
        "secret-access" -- '
su -c true root </dev/null
python3 -c "import os; os.setuid(0)"
touch f && chmod u+s f
true'

# -- sandbox-escape: namespaces, mount, a kernel tunable, TIOCSTI, bpf, a module, docker.sock
scenario escape \
        "sandbox-escape.namespace sandbox-escape.mount sandbox-escape.kernel-tunable sandbox-escape.tty-injection sandbox-escape.bpf sandbox-escape.kernel-module sandbox-escape.host-socket" \
        "" -- '
unshare -r true
python3 -c "
import ctypes, fcntl, socket, termios
libc = ctypes.CDLL(None, use_errno=True)
libc.mount(b\"none\", b\"/mnt\", b\"tmpfs\", 0, None)
try: fcntl.ioctl(1, termios.TIOCSTI, b\"x\")
except OSError: pass
libc.syscall(321, 0, 0, 0)          # bpf
libc.syscall(313, -1, b\"\", 0)      # finit_module
s = socket.socket(socket.AF_UNIX)
try: s.connect(\"/var/run/docker.sock\")
except OSError: pass
"
echo 1 >/proc/sys/kernel/sysrq
true'
expect_match "escape: a refused call says the sandbox refused it" 'refused by the sandbox' \
        "$(rj '[f["evidence"].get("result") for f in d["findings"] if f["rule"] == "sandbox-escape.bpf"][0]')"

# -- anti-forensics: history wiped, a log truncated, a timestamp backdated, a kworker name
scenario anti-forensics "anti-forensics.history anti-forensics.log-tamper anti-forensics.backdate anti-forensics.masquerade anti-forensics.hidden-executable" \
        "exec-from-writable" -- '
echo ls >~/.bash_history && rm ~/.bash_history
sh -c ": >/var/log/auth.log"
touch -d 2001-01-01 /etc/hostname
python3 -c "import ctypes; ctypes.CDLL(None).prctl(15, b\"kworker/0:1\", 0, 0, 0)"
cp /bin/true /tmp/.cache-helper && /tmp/.cache-helper
true'

# -- process-survival and resource-abuse come from the sandbox (see t-cli.sh); here with the monitor on
scenario survivor "process-survival.alive-at-exit" "" -- 'setsid sleep 30 </dev/null >/dev/null 2>&1 & sleep 0.3'
scenario timeout "resource-abuse.timeout" "" --timeout 1 -- 'sleep 10'
expect_rc "timeout: exit 124" 124

# -- a policy: suppress with a reason, re-grade, and the verdict follows
cat >"$TEST_TMP/policy.yml" <<'YML'
version: 1
suppress:
  - rule: process-survival.*
    reason: the integration test leaves a helper daemon on purpose
  - rule: exec-from-writable.dropped-binary
    reason: our test harness copies helpers to /tmp/helpers
    path: /tmp/helpers/**
severity:
  - rule: network-egress.dns-query
    severity: low
    reason: the resolver test sends one query to loopback
YML
OUT=$TEST_TMP/out-policy RUN_OUT=$OUT.stdout RUN_ERR=$OUT.stderr
(cd "$SRC" && timeout -s KILL 60 "$BUILDWARD" run --quiet --source "$SRC" --out "$OUT" --policy "$TEST_TMP/policy.yml" -- \
        sh -c 'mkdir -p /tmp/helpers && cp /bin/true /tmp/helpers/h && /tmp/helpers/h
               getent hosts x.invalid; setsid sleep 30 </dev/null >/dev/null 2>&1 & sleep 0.3' \
        </dev/null >"$RUN_OUT" 2>"$RUN_ERR")
RC=$?
expect_rc "policy: suppressed and re-graded findings leave a passing build (exit 0)" 0
expect_eq "policy: the dns query is reported at its new severity, with the reason" \
        '["low", "the resolver test sends one query to loopback"]' \
        "$(rj '[[f["severity"], f["evidence"]["severity_changed_by_policy"]] for f in d["findings"] if f["rule"] == "network-egress.dns-query"][0]')"
expect_eq "policy: each suppression is listed with its reason and how often it applied" \
        '[["process-survival.*", 1], ["exec-from-writable.dropped-binary", 1]]' \
        "$(rj '[[s["rule"], s["count"]] for s in d["policy"]["suppressed"]]')"
expect_match "policy: the report names the policy and its sha256" "^\[\"$TEST_TMP/policy.yml\", \"[0-9a-f]{64}\"\]$" \
        "$(rj '[d["policy"]["file"], d["policy"]["sha256"]]')"

# -- run --toolchain: every program the build runs is checked against the sealed toolchain
"$BUILDWARD" seal /usr/bin /usr/lib/gcc -o "$TEST_TMP/tc.manifest" >"$TEST_TMP/seal.log" 2>&1 ||
        not_ok "seal /usr/bin /usr/lib/gcc" "$(tail -n 3 "$TEST_TMP/seal.log")"
TC=(--toolchain "$TEST_TMP/tc.manifest")
scenario sealed-benign "" "" "${TC[@]}" -- 'gcc -c main.c -o /tmp/m.o && gcc -o /tmp/m main.c && /tmp/m'
expect_rc "sealed-benign: a build with the sealed compiler passes" 0
expect_eq "sealed-benign: the compiler, assembler and linker were checked and matched" "[]" \
        "$(python3 -c 'import json, sys
bad = []
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["type"] == "exec" and e["filename"].startswith("/usr/") and e.get("toolchain") != "match":
        bad.append((e["filename"], e.get("toolchain")))
print(json.dumps(bad))' "$OUT/events.jsonl")"
scenario sealed-fake-compiler "toolchain-tamper.unsealed-exec toolchain-tamper.fake-compiler" "exec-from-writable" \
        "${TC[@]}" -- 'mkdir -p /tmp/bin && cp /bin/true /tmp/bin/cc && PATH=/tmp/bin:$PATH cc main.c'
cp /bin/true "$TEST_TMP/fake-ld"
scenario sealed-replaced-linker "toolchain-tamper.sealed-mismatch" "" "${TC[@]}" \
        --ro-bind "$TEST_TMP/fake-ld:$(readlink -f /usr/bin/ld)" -- 'gcc -o /tmp/m main.c; true'
expect_match "sealed-replaced-linker: the finding names the linker" "ld" \
        "$(rj '[f["detail"] for f in d["findings"] if f["rule"] == "toolchain-tamper.sealed-mismatch"][0]')"
scenario sealed-enforce "toolchain-tamper.unsealed-exec" "exec-from-writable" "${TC[@]}" --enforce -- \
        'mkdir -p /tmp/bin && cp /bin/true /tmp/bin/tool && /tmp/bin/tool; sleep 10; touch after-the-tool'
expect_eq "sealed-enforce: --enforce stopped the build before its next command" \
        '["toolchain-tamper.unsealed-exec", []]' \
        "$(rj '[d["monitor"]["stopped_by"], [c["path"] for c in d["source_changes"] if c["path"] == "after-the-tool"]]')"
expect_rc "sealed-enforce: the verdict fails the job" 123
OUT=$TEST_TMP/out-enforce-nomon RUN_OUT=$OUT.stdout RUN_ERR=$OUT.stderr
(cd "$SRC" && "$BUILDWARD" run --quiet --source "$SRC" --out "$OUT" --no-monitor --enforce -- true </dev/null >"$RUN_OUT" 2>"$RUN_ERR")
RC=$?
expect_rc "--enforce without the monitor is refused" 125
expect_match "--enforce without the monitor: the message names the fix" "needs root.*drop --enforce" "$(cat "$RUN_ERR")"

# -- benign: a small C build with a test run raises nothing
scenario benign "" "" -- '
gcc -O2 -o hello main.c && ./hello && cc -c good.c -o /tmp/good.o && ar rcs /tmp/libgood.a /tmp/good.o
mkdir -p build && cd build && printf "all:\n\t@echo built\n" >Makefile && make && true'
expect_eq "benign: no findings at all" "0" "$(rj 'len(d["findings"])')"
expect_rc "benign: the build's own exit code passes through" 0

done_testing
