#!/usr/bin/env bash
# raftkv's transactions on the local cluster (long; ctest label `acceptance`):
#   1. correct: txn-list-append, 5 runs × 60 s under partition, kill, pause and clock
#      faults, valid at strict-serializable (the txn checker) in 5 of 5;
#   2. dirty-read and split-txn: the txn checker invalid in ≥ 4 of 5 runs each, at the
#      target's default faults;
#   3. the correct mode with txn-rw-register (sequential keys off, the defaults): valid in
#      5 of 5 too, so the register inference is tried under faults as well.
# A table per scenario: seed, exit, ok / info / fail txns, verdict, anomaly types, the
# largest cyclic component and the check's seconds.
#
# usage: [FL_SCENARIOS="correct rw-correct dirty-read split-txn"] scenario_raftkv_txn.sh FAULTLINE [SECONDS]
source "$(dirname "$0")/../support/cluster_lib.sh"
acceptance_cluster "$@"

header() {
    printf '%-12s %4s %4s %6s %5s %5s %-8s %6s  %s\n' scenario seed exit ok info fail txn scc anomalies
}

scenario() { # name workload seeds [flags…]
    local name=$1 workload=$2 seeds=$3; shift 3
    invalid=0 valid=0
    header
    for seed in $seeds; do
        "$FL" test --target raftkv --workload "$workload" --nodes-file "$NODES" --store "$STORE" \
            --name "$name" --seed "$seed" --time-limit "$SECS" "$@" >/dev/null 2>"$DIR/err"
        rc=$?
        R=$(readlink -f "$STORE/$name/latest")
        [ "$rc" -le 2 ] || tail -n 3 "$DIR/err"
        read -r v ok info fl scc types < <(jq -r '.checkers.txn as $t |
            "\($t.valid) \($t.txns.ok // 0) \($t.txns.info // 0) \($t.txns.fail // 0)
             \($t.stats["largest-component"] // 0) \($t["anomaly-types"] // [] | join(","))"' \
            "$R/results.json" | tr '\n' ' ')
        [ "$v" = false ] && invalid=$((invalid + 1))
        [ "$v" = true ] && valid=$((valid + 1))
        printf '%-12s %4s %4s %6s %5s %5s %-8s %6s  %s\n' "$name" "$seed" "$rc" "$ok" "$info" \
            "$fl" "$v" "$scc" "${types:--}"
    done
}

want() { [[ " ${FL_SCENARIOS:-correct rw-correct dirty-read split-txn} " == *" $1 "* ]]; }

if want correct; then
    scenario correct txn-list-append "1 2 3 4 5" --nemesis partition,kill,pause,clock
    [ "$valid" = 5 ] && ok "correct (txn-list-append, partition/kill/pause/clock): valid in 5 of 5" \
        || bad "correct: valid in only $valid of 5"
fi
if want rw-correct; then
    scenario rw-correct txn-rw-register "1 2 3 4 5" --nemesis partition,kill,pause,clock
    [ "$valid" = 5 ] && ok "correct (txn-rw-register): valid in 5 of 5" \
        || bad "rw-correct: valid in only $valid of 5"
fi
for bug in dirty-read split-txn; do
    want "$bug" || continue
    scenario "$bug" txn-list-append "1 2 3 4 5" --bug "$bug"
    [ "$invalid" -ge 4 ] && ok "$bug: txn invalid in $invalid of 5" \
        || bad "$bug: txn invalid in only $invalid of 5"
    R=$(readlink -f "$STORE/$bug/latest")
    "$FL" check --checker txn --certify "$R" >/dev/null 2>&1
    [ $? = 1 ] && ok "$bug: the last run's anomalies certify (faultline check --certify)" \
        || bad "$bug: faultline check --certify $R did not exit 1"
done
echo "$pass passed, $fail failed"
test "$fail" -eq 0
