#!/usr/bin/env bash
# etcd 3.4 (long; ctest label `acceptance`; issue 19):
#   1. linearizable reads (the default): the register workload, 5 runs × 60 s under the
#      target's defaults (partitions, kills, pauses), valid in 5 of 5;
#   2. serializable reads (--target-opt serializable-reads=true), same defaults: invalid
#      in ≥ 4 of 5, results.json naming a stale read.
# A table per mode: seed, exit, ok / info / fail ops, faults applied, verdict, the
# linearizability anomalies' shapes.
#
# usage: [FL_SCENARIOS="linearizable serializable"] scenario_etcd.sh FAULTLINE [SECONDS]
source "$(dirname "$0")/../support/cluster_lib.sh"
acceptance_cluster "$@"

scenario() { # mode seeds
    local mode=$1 seeds=$2
    stale=0 valid=0
    printf '%-13s %4s %4s %6s %5s %5s %6s %-6s %s\n' reads seed exit ok info fail faults valid shapes
    for seed in $seeds; do
        "$FL" test --target etcd --target-opt "serializable-reads=$([ "$mode" = serializable ] &&
            echo true || echo false)" --nodes-file "$NODES" --store "$STORE" --name "$mode" \
            --seed "$seed" --time-limit "$SECS" >/dev/null 2>"$DIR/err"
        rc=$?
        R=$(readlink -f "$STORE/$mode/latest")
        [ "$rc" -le 2 ] || tail -n 3 "$DIR/err"
        faults=$(jq -c 'select(.process == "nemesis" and (.f | endswith("-start")) and .value.applied_ns != null)' \
            "$R/history.jsonl" | wc -l)
        read -r v ok info fl shapes < <(jq -r '.checkers as $c | "\($c.linearizable.valid) \($c.stats.ok)
            \($c.stats.info) \($c.stats.fail) \([$c.linearizable.keys[]? | .anomaly.shape // empty] | unique | join(","))"' \
            "$R/results.json" | tr '\n' ' ')
        [ "$v" = true ] && [ "$rc" = 0 ] && valid=$((valid + 1))
        [ "$rc" = 1 ] && [[ ",$shapes," == *",stale-read,"* ]] && stale=$((stale + 1))
        printf '%-13s %4s %4s %6s %5s %5s %6s %-6s %s\n' "$mode" "$seed" "$rc" "$ok" "$info" "$fl" \
            "$faults" "$v" "${shapes:--}"
    done
}

want() { [[ " ${FL_SCENARIOS:-linearizable serializable} " == *" $1 "* ]]; }

if want linearizable; then
    scenario linearizable "1 2 3 4 5"
    [ "$valid" = 5 ] && ok "linearizable reads: valid in 5 of 5" || bad "linearizable reads: valid in only $valid of 5"
fi
if want serializable; then
    scenario serializable "1 2 3 4 5"
    [ "$stale" -ge 4 ] && ok "serializable reads: a stale read in $stale of 5" \
        || bad "serializable reads: a stale read in only $stale of 5"
fi
echo "$pass passed, $fail failed"
test "$fail" -eq 0
