#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench/ledger-verify.sh: full and incremental `ledger verify` on a large SQLite ledger (issue 14).
#
#   bench/ledger-verify.sh [RESULT-DIR]      (default build/bench)
#
#   BUILDWARD   binary under test (default build/buildward)
#   BW_BIG      entries in the large ledger (default 1000000)
#   BW_NEW      entries appended after the kept tree head (default 1000)
#   BW_KEEP     set to keep the ledger (RESULT-DIR/verify-big.db) for another run (SQLite)
#   BW_BACKEND  sqlite (default) or pg: a private PostgreSQL cluster in a temporary
#               directory, run as the postgres user on a unix socket (as t-ledger.sh)
#
# The large ledger is real: every entry is signed, hashed and chained exactly as
# `run` would append it, by `ledger append --batch 10000` (10 000 entries per
# transaction instead of one: the bench-only part is the fsync count, not the
# entries). Then:
#   - full verify: `ledger verify --state` over all BW_BIG entries, timed once;
#   - incremental verify: BW_NEW more entries, then `ledger verify --state` from
#     the head the full run kept (hyperfine, the state file restored before each
#     run, process start included).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
B=${BUILDWARD:-$root/build/buildward}
resdir=${1:-$root/build/bench}
big=${BW_BIG:-1000000}
new=${BW_NEW:-1000}
mkdir -p "$resdir"
for tool in hyperfine python3; do
        command -v "$tool" >/dev/null || {
                echo "bench/ledger-verify.sh: error: '$tool' is missing; install it (apt-get install $tool)" >&2
                exit 1
        }
done
. "$root/tests/integration/ledger-lib.sh"
work=$(mktemp -d /tmp/bw-bench-verify.XXXXXX)
backend=${BW_BACKEND:-sqlite}
db=$resdir/verify-big.db
url=sqlite:$db
out=$resdir/ledger-verify-$backend.txt
if [ "$backend" = pg ]; then
        trap 'pg_stop; rm -rf "$work"' EXIT
        chmod 755 "$work" # the postgres user must reach its cluster directory
        pg_start "$work/pg" || {
                echo "bench/ledger-verify.sh: error: cannot start a private PostgreSQL cluster (see $work/pg/*.log); install postgresql" >&2
                exit 1
        }
        "${PSQL[@]}" -d postgres -c "CREATE DATABASE bench" >/dev/null
        url=${PG_URL/\/\/\/postgres/\/\/\/bench}
        BW_KEEP=
else
        trap 'rm -rf "$work"' EXIT
fi
: >"$out"
say() { echo "$*" | tee -a "$out"; }

"$B" keygen -o "$work/key" >/dev/null
if [ -n "${BW_KEEP:-}" ] && [ -s "$db.size" ] && [ "$(cat "$db.size")" = "$big" ]; then
        say "reusing $db ($big entries)"
else
        [ "$backend" = pg ] || rm -f "$db" "$db.size"
        t0=$(date +%s.%N)
        gen_entries "$big" builder-bench 0 | "$B" ledger append --ledger "$url" --sign-key "$work/key" \
                --batch 10000 - >/dev/null
        t1=$(date +%s.%N)
        [ "$backend" = pg ] || echo "$big" >"$db.size"
        say "generate: $big entries by ledger append --batch 10000 in $(python3 -c "print('%.1f s (%.0f entries/s)' % ($t1-$t0, $big/($t1-$t0)))")"
fi
if [ "$backend" = pg ]; then
        say "ledger database: $("${PSQL[@]}" -d bench -c "SELECT pg_size_pretty(pg_database_size('bench'))")"
else
        say "ledger file: $(du -h "$db" | cut -f1)"
fi

rm -f "$work/state.json"
t0=$(date +%s.%N)
"$B" ledger verify --ledger "$url" --state "$work/state.json" | tee -a "$out"
t1=$(date +%s.%N)
say "full verify: $big entries in $(python3 -c "print('%.1f s (%.0f entries/s)' % ($t1-$t0, $big/($t1-$t0)))")"
cp "$work/state.json" "$work/state0.json"

gen_entries "$new" builder-bench 0 new >"$work/new.jsonl"
"$B" ledger append --ledger "$url" --sign-key "$work/key" --batch "$new" "$work/new.jsonl" >/dev/null
hyperfine --runs 10 --warmup 1 --export-json "$resdir/ledger-verify-incremental-$backend.json" \
        --prepare "cp $work/state0.json $work/state.json" \
        "$B ledger verify --ledger '$url' --state $work/state.json" | tee -a "$out"
"$B" ledger verify --ledger "$url" --state "$work/state.json" --json >/dev/null
say "state after: $(cat "$work/state.json")"
if [ -z "${BW_KEEP:-}" ] && [ "$backend" = sqlite ]; then
        rm -f "$db" "$db.size"
fi
