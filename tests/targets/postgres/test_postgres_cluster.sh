#!/usr/bin/env bash
# PostgreSQL 15 under `faultline test` on a real local cluster (short versions of issue
# 19's runs): at SERIALIZABLE, txn-list-append under the target's default faults (kills
# and pauses of the server) is valid and its history has ok txns with reads filled in;
# at REPEATABLE READ the txn checker finds G2-item (write skew, snapshot isolation's
# known anomaly); under clock bumps SQL's now() moves by the bump (the clock shim
# reaches the server). The server, its data and every process go with the scratch cluster.
# Skips (77) where postgresql-15 is not installed.
#
# usage: test_postgres_cluster.sh FAULTLINE
set -u
FL=$1
[ -x /usr/lib/postgresql/15/bin/postgres ] || { echo "skip: postgresql-15 is not installed"; exit 77; }
source "$(dirname "$0")/../../support/cluster_lib.sh"
scratch_dir
chmod 755 "$DIR" # the postgres user must reach its data folder under the nodes' workdirs
"$FL" cluster up --dir "$CDIR" >/dev/null || { echo "cluster up failed"; exit 1; }
txn() { run_result "$1" "$2"; }

fl_test postgres serializable --time-limit 12 --recovery-time 2 --seed 1
rc=$?
[ "$rc" = 0 ] && [ "$(txn serializable .checkers.txn.valid)" = true ] \
    && ok "serializable under kills and pauses: valid ($(txn serializable '.checkers.txn.txns.ok') ok txns)" \
    || bad "serializable: exit $rc, txn $(txn serializable .checkers.txn.valid): $(tail -n 3 "$DIR/serializable.err")"
R=$STORE/serializable/latest
filled=$(jq -c 'select(.type == "ok" and .f == "txn") | .value[] | select(.[0] == "r" and (.[2] | type) == "array")' \
    "$R/history.jsonl" | wc -l)
[ "$filled" -gt 0 ] && ok "$filled reads returned lists" || bad "no read returned a list"
faults=$(jq -c 'select(.process == "nemesis" and (.f | endswith("-start")))' "$R/history.jsonl" | wc -l)
[ "$faults" -gt 0 ] && ok "$faults faults applied and recorded" || bad "no fault in the history"

fl_test postgres repeatable --target-opt isolation=repeatable-read --nemesis none --time-limit 12 \
    --concurrency 20 --seed 1
rc=$?
types=$(txn repeatable '.checkers.txn["anomaly-types"] // [] | join(",")')
[ "$rc" = 1 ] && [[ ",$types," == *",G2-item,"* ]] \
    && ok "repeatable-read: G2-item found ($types)" \
    || bad "repeatable-read: exit $rc, anomalies '$types': $(tail -n 3 "$DIR/repeatable.err")"
# The clock shim reaches the server: while clock bumps hit the primary, SQL's now() (read
# from the controller's namespace) is off the controller's clock by what the history
# says the bump was: now() falls between the controller's clock read just before psql
# started and just after it ended, so the offset lies between now() - after and
# now() - before (50 ms of slack either side). A loaded host only widens that window; a
# window counts when it holds the bump and not zero (so it tells the bump from none: psql
# took 440-670 ms under CI's load, and a fixed 300-ms limit on the window then left no
# reading at all); a single reading against the clock before psql took psql's start-up
# for skew.
fl_test postgres clock --nemesis clock:bump:primaries --nemesis-interval 3 --time-limit 12 \
    --recovery-time 2 --seed 2 &
run=$!
NETNS=$(jq -r .netns "$NODES") PG=$(jq -r '.nodes[0].host' "$NODES")
: >"$DIR/now.txt"
while kill -0 "$run" 2>/dev/null; do
    before=$(date +%s%3N)
    now=$(ip netns exec "$NETNS" psql -h "$PG" -U postgres -Atc \
        "select round(extract(epoch from now()) * 1000)" 2>/dev/null)
    after=$(date +%s%3N)
    [[ $now =~ ^[0-9]+$ ]] && echo "$((now - after)) $((now - before))" >>"$DIR/now.txt"
    sleep 0.3
done
wait "$run"
rc=$?
offsets=$(jq -r 'select(.f == "clock-start") | .value.offset_ms | to_entries[] | .value' \
    "$STORE/clock/latest/history.jsonl" 2>/dev/null | tr '\n' ' ')
matched=""
for o in $offsets; do
    [ "${o#-}" -ge 200 ] || continue
    awk -v o="$o" '$1 - 50 <= o && o <= $2 + 50 && (o < 0 ? $2 + 50 < 0 : $1 - 50 > 0) { found = 1 }
                   END { exit !found }' \
        "$DIR/now.txt" && matched="$matched $o"
done
[ "$rc" = 0 ] && [ -n "$matched" ] \
    && ok "now() follows the clock shim: bumps of$matched ms seen in SQL ($(wc -l <"$DIR/now.txt") samples)" \
    || bad "clock: exit $rc, bumps '$offsets', SQL offsets seen (from..to): $(sort -n "$DIR/now.txt" | uniq | tr ' \n' '. ' | head -c 300)"
echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
