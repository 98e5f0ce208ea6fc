#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The ledger on SQLite and on a private PostgreSQL server: appends, queries,
# tampering with rows directly (sqlite3 / psql) found by `ledger verify`, kill -9
# during appends, and 8 concurrent writers sharing one PostgreSQL ledger.

. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/ledger-lib.sh"
require_root

B=$BUILDWARD
T=$TEST_TMP
"$B" keygen -o "$T/key" >/dev/null
trap 'pg_stop; _tap_cleanup' EXIT

gen_entries 6 builder-a 0 >"$T/six.jsonl"
gen_entries 300 builder-c 100 >"$T/many.jsonl"

# ---- helpers taking a backend: sqlite or pg ----
# new_ledger BACKEND NAME: prints a fresh, empty ledger URL
new_ledger() {
        case $1 in
        sqlite) echo "sqlite:$T/$2.db" ;;
        pg)
                "${PSQL[@]}" -d postgres -c "CREATE DATABASE $2" >/dev/null
                echo "${PG_URL/\/\/\/postgres/\/\/\/$2}"
                ;;
        esac
}
# sql BACKEND NAME STATEMENTS: runs SQL directly on the database, bypassing buildward
sql() {
        case $1 in
        sqlite) sqlite3 "$T/$2.db" "$3" ;;
        pg) "${PSQL[@]}" -d "$2" -c "$3" ;;
        esac
}

# verify_names BACKEND DESC N URL [OPTION...]: `ledger verify` fails naming entry N first
verify_names() {
        local be=$1 desc=$2 n=$3 rc=0; shift 3
        "$B" ledger verify --ledger "$@" >"$T/v.out" 2>"$T/v.err" || rc=$?
        if [ "$rc" = 1 ] && grep -q "ledger entry $n is bad" "$T/v.err"; then ok "$be: $desc"
        else not_ok "$be: $desc" "exit $rc, expected 1" "$(cat "$T/v.err" "$T/v.out" | head -c 400)"; fi
}

suite() {
        local be=$1 url
        url=$(new_ledger "$be" main)
        check "$be: append 6 entries" "$B" ledger append --sign-key "$T/key" --ledger "$url" "$T/six.jsonl"
        gen_entries 4 builder-b 2 >"$T/b.jsonl"
        check "$be: append 4 entries of another builder" \
                "$B" ledger append --sign-key "$T/key" --ledger "$url" "$T/b.jsonl"
        "$B" ledger verify --ledger "$url" >"$T/ok.out" 2>&1
        RC=$?
        expect_match "$be: verify passes, every checkpoint signed" \
                "^ledger ok: 10 entries, tree size 10, root [0-9a-f]{64}, every checkpoint signed" "$(cat "$T/ok.out")"
        "$B" ledger verify --ledger "$url" --pubkey "$T/key.pub" --json >"$T/ok.json" 2>&1
        expect_eq "$be: verify --pubkey --json" "true 10" "$(json "$T/ok.json" '"%s %d" % (str(d["ok"]).lower(), d["entries"])')"

        # 10:02 to 10:04: builder-a's entries 2 and 3 and builder-b's 0 and 1
        "$B" ledger query --ledger "$url" --since 2026-11-25T10:02:00Z --until 2026-11-25T10:04:00Z --json >"$T/q.json"
        expect_eq "$be: query window" "4" "$(json "$T/q.json" 'len(d["entries"])')"
        "$B" ledger query --ledger "$url" --since 2026-11-25T10:02:00Z --until 2026-11-25T10:04:00Z \
                --builder builder-b --json >"$T/q.json"
        expect_eq "$be: query window --builder" '["out-0", "out-1"]' \
                "$(json "$T/q.json" '[e["subjects"][0]["name"] for e in d["entries"]]')"
        "$B" ledger query --ledger "$url" --since 2026-11-25T11:00:00Z --until 2026-11-25T12:00:00Z >"$T/q.txt"
        expect_eq "$be: an empty window" "0 builds in the window" "$(tail -n 1 "$T/q.txt")"

        # tampering, each on a fresh copy of the same six entries
        local n=0 case
        while IFS='|' read -r bad desc stmt; do
                n=$((n + 1))
                case=t$n
                url=$(new_ledger "$be" "$case")
                "$B" ledger append --sign-key "$T/key" --ledger "$url" "$T/six.jsonl" >/dev/null
                sql "$be" "$case" "$stmt" >/dev/null
                verify_names "$be" "$desc" "$bad" "$url"
        done <<'CASES'
3|an edited command is named|UPDATE entries SET body = replace(body, 'target-3', 'innocent') WHERE seq = 3
2|an edited verdict column is named|UPDATE entries SET verdict = 'fail' WHERE seq = 2
5|a replaced subject digest is named|UPDATE subjects SET sha256 = '0000000000000000000000000000000000000000000000000000000000000000' WHERE seq = 5
2|a deleted entry is named|DELETE FROM entries WHERE seq = 2
1|reordered entries are named|UPDATE entries SET seq = 100 WHERE seq = 1; UPDATE entries SET seq = 1 WHERE seq = 4; UPDATE entries SET seq = 4 WHERE seq = 100
4|a forged checkpoint signature is named|UPDATE entries SET checkpoint_sig = (SELECT checkpoint_sig FROM entries WHERE seq = 3) WHERE seq = 4
CASES

        # removing the newest entry with all its rows leaves a shorter log that verifies;
        # a checkpoint kept elsewhere (size and root from `verify --json`) reveals it
        url=$(new_ledger "$be" trunc)
        "$B" ledger append --sign-key "$T/key" --ledger "$url" "$T/six.jsonl" >/dev/null
        "$B" ledger verify --ledger "$url" --json >"$T/kept.json"
        local kept
        kept=$(json "$T/kept.json" '"%d:%s" % (d["entries"], d["root"])')
        check "$be: the kept checkpoint matches the log" "$B" ledger verify --ledger "$url" --checkpoint "$kept"
        sql "$be" trunc "DELETE FROM entries WHERE seq = 5; DELETE FROM subjects WHERE seq = 5; DELETE FROM materials WHERE seq = 5" >/dev/null
        check "$be: without it, a log cut at its end still verifies (documented limit)" "$B" ledger verify --ledger "$url"
        verify_names "$be" "with --checkpoint, the removed newest entry is named" 5 "$url" --checkpoint "$kept"

        # kill -9 in the middle of appends: every entry whole or absent, the log verifies
        url=$(new_ledger "$be" crash)
        local round good=1 before=0 after
        for round in 1 2 3; do
                "$B" ledger append --sign-key "$T/key" --ledger "$url" "$T/many.jsonl" >/dev/null 2>&1 &
                local pid=$!
                sleep "0.$((3 + RANDOM % 5))"
                kill -9 "$pid" 2>/dev/null
                wait "$pid" 2>/dev/null
                if ! "$B" ledger verify --ledger "$url" --json >"$T/c.json" 2>"$T/c.err"; then
                        good=0
                        diag "round $round: $(cat "$T/c.err")"
                        break
                fi
                after=$(json "$T/c.json" 'd["entries"]')
                local rows
                rows=$(sql "$be" crash "SELECT (SELECT count(*) FROM entries) || ' ' || (SELECT count(*) FROM subjects) || ' ' || (SELECT count(*) FROM materials)")
                if [ "$rows" != "$after $after $((2 * after))" ]; then
                        good=0
                        diag "round $round: rows $rows for $after entries"
                fi
                diag "round $round: $after entries after kill -9"
                [ "$after" -gt "$before" ] || diag "round $round: the appender was killed before its first commit"
                before=$after
        done
        expect_eq "$be: kill -9 during appends leaves a ledger that verifies, entries whole" 1 "$good"
        check "$be: appending goes on after the crashes" \
                "$B" ledger append --sign-key "$T/key" --ledger "$url" "$T/six.jsonl"
        check "$be: and the log still verifies" "$B" ledger verify --ledger "$url"
}

# fleet BACKEND: enrolment and revocation by a fleet administrator (issue 14). Entries:
# 0-1 enrolments, 2-4 builder-a (key a, finished 10:00:30 .. 10:02:30), 5-6 builder-b (key b),
# 7 claims builder-a but is signed with b (the forgery), 8 revokes a from 10:01:10,
# 9 a builder-a build signed with a, appended after the revocation but dated before it.
fleet() {
        local be=$1 url ka kb
        url=$(new_ledger "$be" fleet$be)
        check "$be: enrol key a for builder-a" "$B" ledger enrol --ledger "$url" --admin-key "$T/admin" \
                --builder builder-a --pubkey "$T/a.pub"
        check "$be: enrol key b for builder-b" "$B" ledger enrol --ledger "$url" --admin-key "$T/admin" \
                --builder builder-b --pubkey "$T/b.pub"
        gen_entries 3 builder-a 0 >"$T/fa.jsonl"
        gen_entries 2 builder-b 5 >"$T/fb.jsonl"
        gen_entries 1 builder-a 20 forged >"$T/forged.jsonl"
        gen_entries 1 builder-a 0 late >"$T/late.jsonl"
        "$B" ledger append --ledger "$url" --sign-key "$T/a" "$T/fa.jsonl" >/dev/null &&
                "$B" ledger append --ledger "$url" --sign-key "$T/b" "$T/fb.jsonl" >/dev/null &&
                "$B" ledger append --ledger "$url" --sign-key "$T/b" "$T/forged.jsonl" >/dev/null
        "$B" ledger query --ledger "$url" --since 2026-11-25 --until 2026-11-26 --json >"$T/fq.json"
        ka=$(json "$T/fq.json" 'd["entries"][2]["keyid"]')
        kb=$(json "$T/fq.json" 'd["entries"][5]["keyid"]')
        check "$be: without --admin-pubkey the forgery passes verify (self-asserted identity)" \
                "$B" ledger verify --ledger "$url"
        RC=0
        "$B" ledger verify --ledger "$url" --admin-pubkey "$T/admin.pub" >"$T/fv.out" 2>"$T/fv.err" || RC=$?
        expect_rc "$be: with --admin-pubkey verify exits 1" 1
        expect_match "$be: it names the forged entry, its key and the builder the key belongs to" \
                "ledger entry 7 does not count for the fleet: it claims builder 'builder-a' but is signed by key $kb, which is enrolled for builder 'builder-b'" \
                "$(cat "$T/fv.err")"
        expect_eq "$be: and nothing else" 1 "$(grep -c 'does not count' "$T/fv.err")"
        "$B" ledger verify --ledger "$url" --admin-pubkey "$T/admin.pub" --pubkey "$T/a.pub" --pubkey "$T/b.pub" \
                --json >"$T/fv.json" 2>/dev/null
        expect_eq "$be: --json lists it under fleet_problems" "[7]" \
                "$(json "$T/fv.json" '[p["index"] for p in d["fleet_problems"]]')"
        "$B" ledger query --ledger "$url" --keyid "$kb" --json >"$T/fk.json"
        expect_eq "$be: query --keyid lists what key b signed, the forgery included" "[5, 6, 7]" \
                "$(json "$T/fk.json" '[e["index"] for e in d["entries"]]')"
        "$B" ledger query --ledger "$url" --keyid "$kb" --builder builder-a --json >"$T/fk.json"
        expect_eq "$be: query --keyid --builder: what key b signed as builder-a" "[7]" \
                "$(json "$T/fk.json" '[e["index"] for e in d["entries"]]')"
        check "$be: revoke key a from 10:01:10" "$B" ledger revoke --ledger "$url" --admin-key "$T/admin" \
                --keyid "$ka" --from 2026-11-25T10:01:10Z
        "$B" ledger append --ledger "$url" --sign-key "$T/a" "$T/late.jsonl" >/dev/null
        RC=0
        "$B" ledger verify --ledger "$url" --admin-pubkey "$T/admin.pub" --json >"$T/fv.json" 2>"$T/fv.err" || RC=$?
        expect_rc "$be: after the revocation verify exits 1" 1
        expect_eq "$be: builds of key a finished after the time and the one appended after the revocation are named; the earlier one stays valid" \
                "[3, 4, 7, 9]" "$(json "$T/fv.json" '[p["index"] for p in d["fleet_problems"]]')"
        expect_match "$be: the revocation is named as the cause" \
                "ledger entry 3 does not count for the fleet: it is signed by key $ka, revoked from 2026-11-25T10:01:10" \
                "$(cat "$T/fv.err")"
        expect_match "$be: backdating after the revocation does not help" \
                "ledger entry 9 does not count for the fleet: .*appended after that key's revocation \(entry 8\)" \
                "$(cat "$T/fv.err")"
        "$B" ledger revoke --ledger "$url" --admin-key "$T/b" --keyid "$kb" --from 2026-01-01 >/dev/null
        RC=0
        "$B" ledger verify --ledger "$url" --admin-pubkey "$T/admin.pub" >/dev/null 2>"$T/fv.err" || RC=$?
        expect_match "$be: a revocation not signed by the administrator is named, and ignored" \
                "ledger entry 10 does not count for the fleet: it is an administrator record signed by key $kb" \
                "$(cat "$T/fv.err")"
        expect_eq "$be: so key b's builds are not revoked by it" 0 "$(grep -c 'ledger entry [56] ' "$T/fv.err")"
        RC=0
        "$B" ledger verify --ledger "$url" --admin-pubkey "$T/b.pub" >/dev/null 2>"$T/fv.err" || RC=$?
        expect_match "$be: the wrong --admin-pubkey rejects every enrolment, naming the fix" \
                "ledger entry 0 does not count .* check that --admin-pubkey is the fleet administrator's key" \
                "$(cat "$T/fv.err")"
        RC=0
        "$B" ledger revoke --ledger "$url" --admin-key "$T/admin" --keyid nothex --from 2026-01-01 >/dev/null \
                2>"$T/fv.err" || RC=$?
        expect_rc "$be: a malformed --keyid is a usage error" 2
        RC=0
        "$B" ledger enrol --ledger "$url" --builder builder-c --pubkey "$T/a.pub" >/dev/null 2>"$T/fv.err" || RC=$?
        expect_rc "$be: enrol without --admin-key is a usage error" 2
        expect_match "$be: naming the missing option" "enrol needs --admin-key ADMIN.key" "$(cat "$T/fv.err")"
}
# incremental BACKEND: verify --state checks only what came after the kept tree head, with a
# consistency proof, and catches a past rewritten by someone holding a builder key
incremental() {
        local be=$1 url url2
        url=$(new_ledger "$be" inc$be)
        rm -f "$T/state.json"
        "$B" ledger append --sign-key "$T/key" --ledger "$url" "$T/six.jsonl" >/dev/null
        url2=$(new_ledger "$be" batch$be)
        check "$be: append --batch 4 of six entries" \
                "$B" ledger append --sign-key "$T/key" --ledger "$url2" --batch 4 "$T/six.jsonl"
        "$B" ledger verify --ledger "$url2" --json >"$T/batch.json" 2>&1
        expect_eq "$be: batched entries verify like single ones" "true 6" \
                "$(json "$T/batch.json" '"%s %d" % (str(d["ok"]).lower(), d["entries"])')"
        { head -n 5 "$T/six.jsonl"; echo '{"builder": "x"}'; } >"$T/badbatch.jsonl"
        RC=0
        "$B" ledger append --sign-key "$T/key" --ledger "$url2" --batch 4 "$T/badbatch.jsonl" >/dev/null \
                2>"$T/batch.err" || RC=$?
        expect_match "$be: a bad line names its batch as not appended" \
                "line 6 of .* is not a valid entry \(its batch was not appended\)" "$(cat "$T/batch.err")"
        "$B" ledger verify --ledger "$url2" --json >"$T/batch.json" 2>&1
        expect_eq "$be: the full batch before it is in, the failed one is not" 10 \
                "$(json "$T/batch.json" 'd["entries"]')"
        check "$be: verify --state without a state file verifies everything and keeps the head" \
                "$B" ledger verify --ledger "$url" --state "$T/state.json"
        expect_eq "$be: the state holds the tree size" 6 "$(json "$T/state.json" 'd["size"]')"
        gen_entries 4 builder-b 2 >"$T/b.jsonl"
        "$B" ledger append --sign-key "$T/key" --ledger "$url" "$T/b.jsonl" >/dev/null
        "$B" ledger verify --ledger "$url" --state "$T/state.json" --json >"$T/inc.json" 2>"$T/inc.err"
        expect_eq "$be: the next run verifies the 4 new entries after the kept head of 6" "true 10 6" \
                "$(json "$T/inc.json" '"%s %d %d" % (str(d["ok"]).lower(), d["entries"], d["since"])')"
        expect_eq "$be: and moves the head on" 10 "$(json "$T/state.json" 'd["size"]')"
        cp "$T/state.json" "$T/state10.json"
        # the key holder rewrites entries 4.. and re-signs: a full verify cannot tell
        sql "$be" "inc$be" "DELETE FROM entries WHERE seq >= 4; DELETE FROM subjects WHERE seq >= 4;
                DELETE FROM materials WHERE seq >= 4" >/dev/null
        gen_entries 8 builder-b 40 rewritten >"$T/rw.jsonl"
        "$B" ledger append --sign-key "$T/key" --ledger "$url" "$T/rw.jsonl" >/dev/null
        check "$be: a rewritten past re-signed with the builder key passes a full verify" \
                "$B" ledger verify --ledger "$url"
        RC=0
        "$B" ledger verify --ledger "$url" --state "$T/state10.json" >/dev/null 2>"$T/inc.err" || RC=$?
        expect_rc "$be: verify --state fails on it" 1
        expect_match "$be: naming the failed consistency proof" \
                "ledger entry 9 is bad: the log is not consistent with the tree head you kept \(size 10\)" \
                "$(cat "$T/inc.err")"
        expect_eq "$be: and keeps the old head" 10 "$(json "$T/state10.json" 'd["size"]')"
        sql "$be" "inc$be" "DELETE FROM entries WHERE seq >= 8" >/dev/null
        RC=0
        "$B" ledger verify --ledger "$url" --state "$T/state10.json" >/dev/null 2>"$T/inc.err" || RC=$?
        expect_match "$be: a log cut below the kept head is named" \
                "ledger entry 9 is bad: it is missing: the log has fewer entries than the 10 of the tree head" \
                "$(cat "$T/inc.err")"
        RC=0
        "$B" ledger verify --ledger "sqlite:$T/main.db" --state "$T/state10.json" >/dev/null 2>"$T/inc.err" || RC=$?
        expect_rc "$be: the state of another ledger is refused" 125
        expect_match "$be: saying so" "belongs to another ledger" "$(cat "$T/inc.err")"
}

# witness BACKEND: a witness cosigns heads only when the log extends the last head it cosigned;
# verify --witness-pubkey requires that cosignature on the head it verified (split view)
witness() {
        local be=$1 url
        url=$(new_ledger "$be" wit$be)
        rm -f "$T/w.state"
        "$B" ledger append --sign-key "$T/key" --ledger "$url" "$T/six.jsonl" >/dev/null
        RC=0
        "$B" ledger verify --ledger "$url" --witness-pubkey "$T/w.pub" >/dev/null 2>"$T/w.err" || RC=$?
        expect_rc "$be: a head nobody witnessed fails verify --witness-pubkey" 1
        expect_match "$be: naming the fix" "has no cosignature from the witness .* have the witness run \`buildward ledger witness" \
                "$(cat "$T/w.err")"
        check "$be: the witness cosigns the head" \
                "$B" ledger witness --ledger "$url" --key "$T/w" --state "$T/w.state"
        check "$be: then verify --witness-pubkey passes" \
                "$B" ledger verify --ledger "$url" --witness-pubkey "$T/w.pub"
        RC=0
        "$B" ledger verify --ledger "$url" --witness-pubkey "$T/a.pub" >/dev/null 2>&1 || RC=$?
        expect_rc "$be: another key's cosignature is not the witness's" 1
        gen_entries 4 builder-b 2 >"$T/b.jsonl"
        "$B" ledger append --sign-key "$T/key" --ledger "$url" "$T/b.jsonl" >/dev/null
        RC=0
        "$B" ledger verify --ledger "$url" --witness-pubkey "$T/w.pub" >/dev/null 2>"$T/w.err" || RC=$?
        expect_match "$be: a newer head is not witnessed yet, naming the latest that is" \
                "head you verified \(tree size 10\) has no cosignature .* tree size 6" "$(cat "$T/w.err")"
        "$B" ledger witness --ledger "$url" --key "$T/w" --state "$T/w.state" >"$T/w.out" 2>&1
        expect_match "$be: the witness checks only the 4 new entries, then cosigns" \
                "cosigned the head: tree size 10, .*\(4 entries new" "$(cat "$T/w.out")"
        # a split view: the operator rewrites entries 4.. (re-signed) and shows that to the witness
        sql "$be" "wit$be" "DELETE FROM entries WHERE seq >= 4; DELETE FROM subjects WHERE seq >= 4;
                DELETE FROM materials WHERE seq >= 4" >/dev/null
        gen_entries 8 builder-b 40 fork >"$T/fork.jsonl"
        "$B" ledger append --sign-key "$T/key" --ledger "$url" "$T/fork.jsonl" >/dev/null
        RC=0
        "$B" ledger witness --ledger "$url" --key "$T/w" --state "$T/w.state" >/dev/null 2>"$T/w.err" || RC=$?
        expect_rc "$be: the witness refuses a history that does not extend what it cosigned" 1
        expect_match "$be: saying why" "refusing to cosign: .*not consistent with the tree head you kept \(size 10\)" \
                "$(cat "$T/w.err")"
        RC=0
        "$B" ledger verify --ledger "$url" --witness-pubkey "$T/w.pub" >/dev/null 2>&1 || RC=$?
        expect_rc "$be: so a reader shown the fork finds no cosignature on its head" 1
        RC=0
        "$B" ledger witness --ledger "$url" --key "$T/w" >/dev/null 2>"$T/w.err" || RC=$?
        expect_rc "$be: witness without --state is a usage error" 2
}

for k in admin a b w; do "$B" keygen -o "$T/$k" >/dev/null; done

suite sqlite
fleet sqlite
incremental sqlite
witness sqlite

# ---- errors without stored data touched ----
RC=0
"$B" ledger verify --ledger "sqlite:$T/none.db" >/dev/null 2>"$T/e.err" || RC=$?
expect_eq "a missing ledger is exit 125" 125 "$RC"
expect_match "naming the fix" "no ledger at 'sqlite:.*none.db'; pass" "$(cat "$T/e.err")"
[ ! -e "$T/none.db" ] && ok "and is not created by a reader" || not_ok "and is not created by a reader"
echo "not a ledger" >"$T/junk.db"
RC=0
"$B" ledger verify --ledger "sqlite:$T/junk.db" >/dev/null 2>"$T/e.err" || RC=$?
expect_eq "a file that is not a ledger is exit 125" 125 "$RC"
expect_eq "and stays as it was" "not a ledger" "$(cat "$T/junk.db")"
RC=0
"$B" ledger query --ledger "sqlite:$T/main.db" --since yesterday --until now >/dev/null 2>"$T/e.err" || RC=$?
expect_eq "a bad time is a usage error" 2 "$RC"

# ---- PostgreSQL: the same suite, then a fleet of 8 writers ----
if ! pg_start "$T/pg"; then
        skip "cannot start a private PostgreSQL server here ($(tail -n 2 "$T/pg/"*.log 2>/dev/null | tr '\n' ' ' | head -c 200))" \
                "postgresql suite"
        done_testing
        exit $?
fi
suite pg
fleet pg
incremental pg
witness pg

url=$(new_ledger pg fleet)
for w in 0 1 2 3 4 5 6 7; do gen_entries 25 "builder-$w" $((w * 30)) >"$T/w$w.jsonl"; done
for w in 0 1 2 3 4 5 6 7; do
        "$B" ledger append --sign-key "$T/key" --ledger "$url" "$T/w$w.jsonl" >"$T/w$w.out" 2>&1 &
done
fails=0
for job in $(jobs -p); do wait "$job" || fails=$((fails + 1)); done
expect_eq "pg: 8 concurrent writers all succeed" 0 "$fails"
"$B" ledger verify --ledger "$url" --json >"$T/f.json" 2>"$T/f.err"
expect_eq "pg: no entry lost, the log verifies" "true 200" \
        "$(json "$T/f.json" '"%s %d" % (str(d["ok"]).lower(), d["entries"])' 2>&1)"
expect_eq "pg: 25 entries of each builder" "8 25 25" \
        "$(sql pg fleet "SELECT count(DISTINCT builder) || ' ' || min(c) || ' ' || max(c) FROM (SELECT builder, count(*) AS c FROM entries GROUP BY builder) s")"
expect_eq "pg: the writers interleaved (appends serialized, not batched per process)" yes \
        "$(sql pg fleet "SELECT CASE WHEN count(*) > 8 THEN 'yes' ELSE 'no: ' || count(*) END FROM (SELECT seq, builder, lag(builder) OVER (ORDER BY seq) AS prev FROM entries) s WHERE builder IS DISTINCT FROM prev")"

done_testing
