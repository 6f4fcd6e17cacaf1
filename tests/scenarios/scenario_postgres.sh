#!/usr/bin/env bash
# PostgreSQL 15 at its three isolation levels (long; ctest label `acceptance`; issue 19):
#   1. serializable: txn-list-append, 5 runs × 60 s under the target's defaults (kills
#      and pauses of the server), valid in 5 of 5;
#   2. repeatable-read: G2-item (write skew) in ≥ 4 of 5;
#   3. read-committed: G-single-item or lost-update in ≥ 4 of 5.
# A table per level: seed, exit, ok / info / fail txns, verdict, anomaly types.
#
# usage: [FL_SCENARIOS="serializable repeatable-read read-committed"] scenario_postgres.sh FAULTLINE [SECONDS]
source "$(dirname "$0")/../support/cluster_lib.sh"
acceptance_cluster "$@"
chmod 755 "$DIR" # the postgres user must reach its data folder under the nodes' workdirs

scenario() { # isolation seeds
    local iso=$1 seeds=$2
    found=0 valid=0
    printf '%-16s %4s %4s %6s %5s %5s %-6s %s\n' isolation seed exit ok info fail txn anomalies
    for seed in $seeds; do
        "$FL" test --target postgres --target-opt "isolation=$iso" --nodes-file "$NODES" \
            --store "$STORE" --name "$iso" --seed "$seed" --time-limit "$SECS" >/dev/null 2>"$DIR/err"
        rc=$?
        R=$(readlink -f "$STORE/$iso/latest")
        [ "$rc" -le 2 ] || tail -n 3 "$DIR/err"
        read -r v ok info fl types < <(jq -r '.checkers.txn as $t | "\($t.valid) \($t.txns.ok // 0)
            \($t.txns.info // 0) \($t.txns.fail // 0) \($t["anomaly-types"] // [] | join(","))"' \
            "$R/results.json" | tr '\n' ' ')
        [ "$v" = true ] && valid=$((valid + 1))
        case $iso in
        repeatable-read) [[ ",$types," == *",G2-item,"* ]] && found=$((found + 1)) ;;
        read-committed) [[ ",$types," == *",G-single-item,"* || ",$types," == *",lost-update,"* ]] &&
            found=$((found + 1)) ;;
        esac
        printf '%-16s %4s %4s %6s %5s %5s %-6s %s\n' "$iso" "$seed" "$rc" "$ok" "$info" "$fl" "$v" "${types:--}"
    done
}

want() { [[ " ${FL_SCENARIOS:-serializable repeatable-read read-committed} " == *" $1 "* ]]; }

if want serializable; then
    scenario serializable "1 2 3 4 5"
    [ "$valid" = 5 ] && ok "serializable: valid in 5 of 5" || bad "serializable: valid in only $valid of 5"
fi
if want repeatable-read; then
    scenario repeatable-read "1 2 3 4 5"
    [ "$found" -ge 4 ] && ok "repeatable-read: G2-item in $found of 5" \
        || bad "repeatable-read: G2-item in only $found of 5"
fi
if want read-committed; then
    scenario read-committed "1 2 3 4 5"
    [ "$found" -ge 4 ] && ok "read-committed: G-single-item or lost-update in $found of 5" \
        || bad "read-committed: G-single-item or lost-update in only $found of 5"
fi
echo "$pass passed, $fail failed"
test "$fail" -eq 0
