#!/usr/bin/env bash
# Redis 7.0 + Sentinel at the target's defaults (long; ctest label `acceptance`; issue
# 19): the set workload, the master cut off or killed one fault at a time, 5 runs × 60 s.
# Sentinel's failover with asynchronous replication loses acknowledged writes (Jepsen,
# Redis 2013), so the set checker must report lost acknowledged elements in ≥ 4 of 5.
# A line per run: seed, exit, verdict, ok adds, info adds, lost (the most any node's
# final read missed), master changes (the most +switch-master lines one Sentinel logged:
# a Sentinel cut off may hear of two failovers as one), and the faults (partitions and
# kills of the master: a kill loses only what the master had not yet sent, which here,
# one machine, is next to nothing, so a run whose seed drew only kills loses nothing).
#
# usage: scenario_redis.sh FAULTLINE [SECONDS]
source "$(dirname "$0")/../support/cluster_lib.sh"
acceptance_cluster "$@"
command -v redis-sentinel >/dev/null || { echo "redis-sentinel is not installed (scripts/install-deps.sh)"; exit 1; }

found=0
printf '%4s %4s %-7s %6s %5s %6s %8s  %s\n' seed exit verdict ok info lost switches faults
for seed in 1 2 3 4 5; do
    "$FL" test --target redis --nodes-file "$NODES" --store "$STORE" --name redis --seed "$seed" \
        --time-limit "$SECS" >/dev/null 2>"$DIR/err"
    rc=$?
    R=$(readlink -f "$STORE/redis/latest")
    [ "$rc" -le 2 ] || tail -n 3 "$DIR/err"
    read -r v ok info lost < <(jq -r '.checkers.set as $s | "\($s.valid) \($s.acknowledged_count // 0)
        \($s.indeterminate_count // 0) \([$s.final_reads[]?.lost_count] | max // 0)"' \
        "$R/results.json" | tr '\n' ' ')
    switches=0
    for log in "$R"/nodes/*/sentinel.log; do
        n=$(grep -c '+switch-master' "$log")
        [ "$n" -gt "$switches" ] && switches=$n
    done
    faults=$(jq -r 'select(.process == "nemesis" and (.f | endswith("-start"))) | .f | sub("-start$"; "")' \
        "$R/history.jsonl" | sort | uniq -c | awk '{printf "%s%s×%s", (NR > 1 ? "," : ""), $2, $1}')
    [ "$lost" -gt 0 ] && found=$((found + 1))
    printf '%4s %4s %-7s %6s %5s %6s %8s  %s\n' "$seed" "$rc" "$v" "$ok" "$info" "$lost" "$switches" "${faults:--}"
done
[ "$found" -ge 4 ] && ok "lost acknowledged elements in $found of 5 runs" \
    || bad "lost acknowledged elements in only $found of 5 runs"
echo "$pass passed, $fail failed"
test "$fail" -eq 0
