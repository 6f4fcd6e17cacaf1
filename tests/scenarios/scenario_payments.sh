#!/usr/bin/env bash
# payments at the target's defaults on the local cluster (long; ctest label `acceptance`):
#   1. correct: 10 runs × 60 s (seeds 1–10), `ledger` and `retry-storm` valid in all; the
#      amplification, wave ratio and recovery time of each recorded;
#   2. no-idempotency-key and lost-compensation: `ledger` invalid in ≥ 4 of 5 runs, each
#      anomaly naming its order, the client's ops and the ledger entries;
#   3. fixed-retry: `retry-storm` invalid in ≥ 4 of 5 runs, its measures side by side with
#      the correct mode's under the same seeds (1–5).
# A table per scenario: seed, exit, orders and cancels acknowledged, ledger verdict and
# anomaly types, retry-storm verdict, the largest amplification, wave ratio and recovery.
#
# usage: [FL_SCENARIOS="correct no-idempotency-key lost-compensation fixed-retry"] scenario_payments.sh FAULTLINE [SECONDS]
source "$(dirname "$0")/../support/cluster_lib.sh"
acceptance_cluster "$@"

header() {
    printf '%-20s %4s %4s %6s %7s %-8s %-8s %6s %6s %8s  %s\n' scenario seed exit orders cancels \
        ledger storm amplif wave recovery "ledger anomalies"
}

scenario() { # name seeds [--bug BUG]
    local name=$1 seeds=$2; shift 2
    ledger_invalid=0 storm_invalid=0 both_valid=0
    header
    for seed in $seeds; do
        "$FL" test --target payments --nodes-file "$NODES" --store "$STORE" --name "$name" \
            --seed "$seed" --time-limit "$SECS" "$@" >/dev/null 2>"$DIR/err"
        rc=$?
        R=$(readlink -f "$STORE/$name/latest")
        [ "$rc" -le 2 ] || tail -n 3 "$DIR/err"
        orders=$(grep -c '"type":"ok","f":"order"' "$R/history.jsonl")
        cancels=$(grep -c '"type":"ok","f":"cancel"' "$R/history.jsonl")
        read -r ledger storm amp wave rec types < <(jq -r '.checkers as $c |
            "\($c.ledger.valid) \($c["retry-storm"].valid)
             \($c["retry-storm"].summary.max_amplification // "-")
             \($c["retry-storm"].summary.max_wave_ratio // "-")
             \($c["retry-storm"].summary.max_recovery_s // "-")
             \($c.ledger["anomaly-types"] // [] | join(","))"' "$R/results.json" | tr '\n' ' ')
        [ "$ledger" = false ] && ledger_invalid=$((ledger_invalid + 1))
        [ "$storm" = false ] && storm_invalid=$((storm_invalid + 1))
        [ "$ledger" = true ] && [ "$storm" = true ] && both_valid=$((both_valid + 1))
        printf '%-20s %4s %4s %6s %7s %-8s %-8s %6.2f %6.1f %8s  %s\n' "$name" "$seed" "$rc" \
            "$orders" "$cancels" "$ledger" "$storm" "$amp" "$wave" "$rec" "$types"
        echo "$name $seed $rc $amp $wave $rec $R" >>"$DIR/rows"
    done
}

want() { [[ " ${FL_SCENARIOS:-correct no-idempotency-key lost-compensation fixed-retry} " == *" $1 "* ]]; }

if want correct; then
    scenario correct "1 2 3 4 5 6 7 8 9 10"
    [ "$both_valid" = 10 ] && ok "correct: ledger and retry-storm valid in 10 of 10" \
        || bad "correct: both valid in only $both_valid of 10"
fi

for bug in no-idempotency-key lost-compensation; do
    want "$bug" || continue
    scenario "$bug" "1 2 3 4 5" --bug "$bug"
    [ "$ledger_invalid" -ge 4 ] && ok "$bug: ledger invalid in $ledger_invalid of 5" \
        || bad "$bug: ledger invalid in only $ledger_invalid of 5"
    R=$(readlink -f "$STORE/$bug/latest")
    jq -e '[.checkers.ledger.anomalies[] | select(.order != null)] | length > 0 and
           all(.[]; (.ops | length) >= 1 and (.entries | length) >= 1 and
                    (.explanation | test("order [0-9]+")))' "$R/results.json" >/dev/null \
        && ok "$bug: every anomaly names its order, ops and entries" \
        || bad "$bug: an anomaly without its order, ops or entries in $R/results.json"
done

if want fixed-retry; then
    scenario fixed-retry "1 2 3 4 5" --bug fixed-retry
    [ "$storm_invalid" -ge 4 ] && ok "fixed-retry: retry-storm invalid in $storm_invalid of 5" \
        || bad "fixed-retry: retry-storm invalid in only $storm_invalid of 5"
    echo "# fixed-retry against correct, same seeds: amplification, wave ratio, recovery (s)"
    printf '%4s  %-24s %-24s\n' seed correct fixed-retry
    for seed in 1 2 3 4 5; do
        c=$(awk -v s="$seed" '$1 == "correct" && $2 == s {print $4, $5, $6}' "$DIR/rows")
        f=$(awk -v s="$seed" '$1 == "fixed-retry" && $2 == s {print $4, $5, $6}' "$DIR/rows")
        printf '%4s  %-24s %-24s\n' "$seed" "${c:-(not run)}" "$f"
    done
fi

echo "$pass passed, $fail failed"
test "$fail" -eq 0
