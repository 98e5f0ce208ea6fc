# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers for t-ledger.sh and t-provenance.sh (source after lib.sh).

# gen_entries N BUILDER START-MINUTE [SUBJECT-PREFIX]: N ledger entries as JSON Lines,
# entry i started at 2026-11-25 10:00 + START-MINUTE + i minutes, one subject each
gen_entries() {
        python3 - "$@" <<'PY'
import datetime, hashlib, json, sys
n, builder, start = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
prefix = sys.argv[4] if len(sys.argv) > 4 else builder
t0 = datetime.datetime(2026, 11, 25, 10, 0, 0)
for i in range(n):
    m = t0 + datetime.timedelta(minutes=start + i)
    t = m.strftime("%Y-%m-%dT%H:%M:%SZ")
    f = (m + datetime.timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    d = hashlib.sha256(("%s-%d" % (prefix, i)).encode()).hexdigest()
    print(json.dumps({"builder": builder, "startedOn": t, "finishedOn": f,
                      "command": ["make", "target-%d" % i], "verdict": "pass",
                      "materials": [{"name": "source", "digest": {"gitCommit": d[:40]}}],
                      "subjects": [{"name": "out-%d" % i, "digest": {"sha256": d}}],
                      "files": [{"path": "src/%d.c" % i, "sha256": hashlib.sha256(d.encode()).hexdigest()}]}))
PY
}

# pg_start DIR: a private PostgreSQL 15 cluster in DIR, run as the postgres user,
# listening only on a unix socket in DIR/sock; sets PG_URL. Returns 1 when it cannot.
pg_start() {
        local dir=$1 bin
        bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
        [ -x "$bin/initdb" ] && id postgres >/dev/null 2>&1 || return 1
        PG_BIN=$bin
        PG_DIR=$dir
        mkdir -p "$dir/sock" && chown -R postgres: "$dir" || return 1
        runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
                >"$dir/initdb.log" 2>&1 || return 1
        # fsync stays on: the crash test relies on what a committed transaction promises
        runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
                -o "-c listen_addresses='' -k $dir/sock -p 5439 -c max_connections=40" start \
                >"$dir/pg_ctl.log" 2>&1 || return 1
        PG_URL="postgresql:///postgres?host=$dir/sock&port=5439&user=postgres"
        PSQL=("$bin/psql" -X -q -A -t -h "$dir/sock" -p 5439 -U postgres) # add -d DATABASE
}

pg_stop() {
        [ -n "${PG_DIR:-}" ] && runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop \
                >/dev/null 2>&1
        PG_DIR=
}
