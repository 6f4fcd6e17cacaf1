#!/usr/bin/env bash
# quorumkv under faults, issue 5's acceptance runs on the local cluster (long: ~30
# minutes; ctest label `acceptance`): five seeds × 60 s for each scenario, with a table
# of what was measured. CI runs short versions of the same scenarios (tests/harness/run/
# test_faultline_test.sh).
#   1. quorumkv correct, register, partition,kill,pause: every run valid with ≥ 1,000 ok
#      ops, every fault kind applied, info ops after kills, ≥ 3 coordinating nodes and
#      ok ops while partitions held; no-write-back under the same faults (detection
#      rate recorded, no threshold).
#   2. --bug stale-quorum under partitions: invalid in ≥ 4 of 5, results naming the ops.
#   3. --bug wall-clock-lww under clock bumps: invalid in ≥ 4 of 5; correct mode under
#      the same clock faults valid in 5 of 5.
#
# usage: scenario_quorumkv_faults.sh FAULTLINE [SECONDS]
source "$(dirname "$0")/../support/cluster_lib.sh"
acceptance_cluster "$@"

# scenario name, flags… ; prints one table row per seed, sets $valid $invalid
scenario() {
    local name=$1; shift
    valid=0 invalid=0 other=0
    printf '%-22s %4s %4s %7s %5s %5s %6s %5s %8s %s\n' scenario seed exit ok fail info faults nodes ok@part kinds
    for seed in 1 2 3 4 5; do
        "$FL" test --nodes-file "$NODES" --store "$STORE" --name "$name" --seed "$seed" \
            --time-limit "$SECS" --rate 500 --concurrency 10 "$@" >/dev/null 2>"$DIR/err"
        rc=$?
        R=$(readlink -f "$STORE/$name/latest")
        case $rc in 0) valid=$((valid + 1));; 1) invalid=$((invalid + 1));; *) other=$((other + 1)); tail -n 3 "$DIR/err";; esac
        s=$R/results.json
        okn=$(jq -r '.checkers.stats.ok // 0' "$s" 2>/dev/null)
        failn=$(jq -r '.checkers.stats.fail // 0' "$s" 2>/dev/null)
        infon=$(jq -r '.checkers.stats.info // 0' "$s" 2>/dev/null)
        nodes=$(jq -r '[.checkers.stats.ok_by_node[] | select(. > 0)] | length' "$s" 2>/dev/null)
        starts=$(grep -c '"f":"[a-z]*-start"' "$R/history.jsonl")
        kinds=$(grep -o '"f":"[a-z]*-start"' "$R/history.jsonl" | sort -u | sed 's/"f":"//; s/-start"//' | tr '\n' ',')
        during=$(jq -s -f "$HERE/ok_during_partitions.jq" "$R/history.jsonl")
        printf '%-22s %4s %4s %7s %5s %5s %6s %5s %8s %s\n' "$name" "$seed" "$rc" "$okn" "$failn" \
            "$infon" "$starts" "$nodes" "$during" "$kinds"
        echo "$name $seed $rc $okn $failn $infon $starts $nodes $during $kinds $R" >>"$DIR/rows"
    done
}

scenario correct --nemesis partition,kill,pause --nemesis-interval 5
[ "$valid" = 5 ] && ok "correct mode: 5 of 5 valid" || bad "correct mode: $valid of 5 valid"
while read -r name seed rc okn failn infon starts nodes during kinds rdir; do
    [ "$name" = correct ] || continue
    [ "$okn" -ge 1000 ] || bad "correct seed $seed: only $okn ok ops"
    [ "$nodes" -ge 3 ] || bad "correct seed $seed: only $nodes coordinating nodes"
    [ "$during" -gt 0 ] || bad "correct seed $seed: no ok op while a partition held"
    for k in partition kill pause; do
        case ",$kinds" in *",$k,"*) ;; *) bad "correct seed $seed: no $k applied";; esac
    done
    case ",$kinds" in *",kill,"*) [ "$infon" -gt 0 ] || bad "correct seed $seed: kills but no info ops";; esac
done <"$DIR/rows"
ok "correct mode rows checked (≥1000 ok, ≥3 nodes, ok during partitions, all kinds)"

scenario no-write-back --bug no-write-back --nemesis partition,kill,pause --nemesis-interval 5
echo "no-write-back detection: $invalid of 5"

scenario stale-quorum --bug stale-quorum --nemesis partition --nemesis-interval 5
[ "$invalid" -ge 4 ] && ok "stale-quorum: $invalid of 5 invalid" || bad "stale-quorum: only $invalid of 5 invalid"
grep -q '"failing_op"' "$STORE/stale-quorum/latest/results.json" && ok "stale-quorum: results.json names the failing op" \
    || bad "stale-quorum: no failing_op"

scenario wall-clock-lww --bug wall-clock-lww --nemesis clock:bump --nemesis-interval 5
[ "$invalid" -ge 4 ] && ok "wall-clock-lww: $invalid of 5 invalid" || bad "wall-clock-lww: only $invalid of 5 invalid"
scenario correct-clock --nemesis clock:bump --nemesis-interval 5
[ "$valid" = 5 ] && ok "correct mode under clock bumps: 5 of 5 valid" || bad "correct under clock bumps: $valid of 5"

echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
