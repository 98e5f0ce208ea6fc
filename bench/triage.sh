#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/triage.sh: a complete host capture by `buildward triage` next to the shell
# sequence a responder types (ps, ss, lsmod, unit listing, crontab -l per user,
# authorized_keys per home, find -newer, md5sum -c of every dpkg md5sums file,
# grep of CI logs), lynis and chkrootkit. Wall time and peak RSS, interleaved
# rounds, medians, ratios.
#
#   bench/triage.sh [RESULT-DIR]       (default build/bench)
#
#   BUILDWARD      binary under test (default build/buildward)
#   BW_ROUNDS      rounds (default 3); every command runs once per round
#   BW_PEERS=0     leave lynis and chkrootkit out (they take minutes)
#
# Every command runs in a fresh pid and network namespace (unshare --pid --net
# --mount-proc): no tool can send a packet off the host, and none reads the
# processes of the harness that runs this VM. The file systems are the host's.
# Needs root.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
buildward=${BUILDWARD:-$root/build/buildward}
resdir=${1:-$root/build/bench}
rounds=${BW_ROUNDS:-3}
peers=${BW_PEERS:-1}

if [ "$(id -u)" != 0 ]; then
        echo "bench/triage.sh: error: needs root (every tool reads the whole host); rerun as root" >&2
        exit 1
fi
[ -x "$buildward" ] || {
        echo "bench/triage.sh: error: '$buildward' not built; run meson setup build && meson compile -C build" >&2; exit 1; }
mkdir -p "$resdir"
work=$(mktemp -d /var/tmp/bw-bench-triage.XXXXXX)
trap 'rm -rf "$work"' EXIT

# "Newer than the install" on a long-lived VM lists most of the disk: a day is
# what a responder asks about a recent incident. The same instant for everyone.
since=$(date -d '-1 day' +%s)
# The VM's session harness lives there: no tool walks it.
exclude=/mnt/sandboxing

cat >"$work/shell.sh" <<EOF
# The manual sequence, one command per evidence source, output kept like a responder would.
exec >"\$1/shell.out" 2>&1
ps auxwwf
ss -tulpnaxe
lsmod || true
systemctl list-unit-files 2>/dev/null || ls -la /etc/systemd/system /run/systemd/system /lib/systemd/system /usr/lib/systemd/user
for u in \$(cut -d: -f1 /etc/passwd); do crontab -l -u "\$u" 2>/dev/null; done
cat /etc/crontab /etc/cron.d/* /etc/anacrontab 2>/dev/null; ls -la /etc/cron.* /var/spool/cron/atjobs 2>/dev/null
for h in \$(cut -d: -f6 /etc/passwd | sort -u); do cat "\$h/.ssh/authorized_keys" "\$h/.ssh/authorized_keys2" 2>/dev/null; done
cat /etc/sudoers /etc/sudoers.d/* /etc/ld.so.preload 2>/dev/null
cat /etc/ssh/sshd_config /etc/postgresql/*/*/pg_hba.conf /etc/mysql/my.cnf /etc/redis/redis.conf 2>/dev/null
find / \( -path /proc -o -path /sys -o -path $exclude \) -prune -o \( -newermt @$since -o -newerct @$since \) -print
(cd / && cat /var/lib/dpkg/info/*.md5sums | md5sum -c --quiet)
grep -rIEs '(curl|wget)[^|]*\|[[:space:]]*(sudo )?(ba)?sh|/dev/tcp/|nc -e' /var/lib/jenkins /home/*/actions-runner /home/gitlab-runner/builds /var/lib/buildkite-agent/builds || true
EOF
printf 'skip-upgrade-test=yes\n' >"$work/lynis.prf"

names=() cmds=()
ns="unshare --pid --net --fork --mount-proc"
add() { names+=("$1"); cmds+=("$2"); }
add "buildward triage" "$ns $buildward triage --out @OUT@ --since @$since --exclude $exclude"
add "buildward triage --hash-all" "$ns $buildward triage --out @OUT@ --since @$since --exclude $exclude --hash-all"
add "shell sequence" "$ns bash $work/shell.sh @OUT@"
if [ "$peers" = 1 ]; then
        command -v lynis >/dev/null && add "lynis audit system --quick" \
                "$ns lynis audit system --quick --no-colors --profile $work/lynis.prf --logfile @OUT@/lynis.log --report-file @OUT@/lynis.dat"
        command -v chkrootkit >/dev/null && add "chkrootkit -q" "$ns chkrootkit -q"
fi

echo "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# since @$since (24 h ago), $rounds rounds, every command once per round in turn"
echo
echo "Commands:"
for i in "${!names[@]}"; do echo "- ${names[$i]}: \`${cmds[$i]}\`"; done
echo
python3 - "$rounds" "$work" "$resdir/triage.json" "${names[@]}" -- "${cmds[@]}" <<'PY'
import json, os, shlex, shutil, statistics, sys, time
rounds, work, result = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rest = sys.argv[4:]; sep = rest.index("--")
names, cmds = rest[:sep], rest[sep + 1:]
devnull = os.open(os.devnull, os.O_RDWR)
res = {n: {"wall": [], "rss_kb": [], "rc": []} for n in names}
for r in range(rounds):
    for n, c in zip(names, cmds):
        out = os.path.join(work, "out")
        shutil.rmtree(out, ignore_errors=True)
        if "@OUT@/" in c or "shell.sh" in c:
            os.makedirs(out)
        argv = shlex.split(c.replace("@OUT@", out))
        t0 = time.perf_counter()
        pid = os.posix_spawnp(argv[0], argv, os.environ,
                              file_actions=[(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, devnull, 2)])
        _, status, ru = os.wait4(pid, 0)
        res[n]["wall"].append(time.perf_counter() - t0)
        res[n]["rss_kb"].append(ru.ru_maxrss)  # the largest process of the tree
        res[n]["rc"].append(os.waitstatus_to_exitcode(status))
        print("# round %d: %-30s %7.2f s  %7d KB  exit %d" % (r + 1, n, res[n]["wall"][-1], ru.ru_maxrss,
              res[n]["rc"][-1]), flush=True)
json.dump(res, open(result, "w"), indent=1)
ref = statistics.median(res[names[0]]["wall"])
print()
print("| command | median wall (s) | min | max | peak RSS (MB, max) | vs buildward triage |")
print("|---|---:|---:|---:|---:|---:|")
for n in names:
    w = res[n]["wall"]
    print("| %s | %.2f | %.2f | %.2f | %.1f | %.1fx |" % (n, statistics.median(w), min(w), max(w),
          max(res[n]["rss_kb"]) / 1024, statistics.median(w) / ref))
PY
echo
echo "raw: $resdir/triage.json"
