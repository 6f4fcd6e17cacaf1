#!/usr/bin/env bash
# Redis 7.0 + Sentinel under `faultline test` on a real local cluster (short versions of
# issue 19's runs). The master (n1) is cut off from the start for 6–15 s (the
# partition:primaries of the target's defaults, alone, held 0.5–1.5 × 12 s and cut at
# the run's end — whatever the seed): the Sentinels on the other side fail over within
# ~4 s, the clients — connected to n1, which still answers them — go on writing there,
# and at the heal n1 becomes a replica of the new master and drops what they wrote. So
# the run completes, faults are recorded, the master changed (a +switch-master in the
# Sentinels' logs), the set checker read the set on every node, and acknowledged
# elements are lost (measured: 1213 of 1214, 1240 of 1241). Without faults the same run
# is valid. Every redis process goes with the runs; the cluster with the scratch folder.
# Skips (77) without redis-server or redis-sentinel.
#
# usage: test_redis_cluster.sh FAULTLINE
set -u
FL=$1
command -v redis-server >/dev/null && command -v redis-sentinel >/dev/null \
    || { echo "skip: redis-server or redis-sentinel is not installed"; exit 77; }
source "$(dirname "$0")/../../support/cluster_lib.sh"
scratch_cluster

fl_test redis defaults --nemesis partition:primaries --nemesis-interval 12 --time-limit 15 --seed 2
rc=$?
R=$STORE/defaults/latest
[ "$rc" = 0 ] || [ "$rc" = 1 ] && ok "a 15 s run with the master cut off completes (exit $rc)" \
    || bad "defaults: exit $rc: $(tail -n 3 "$DIR/defaults.err")"
faults=$(jq -c 'select(.process == "nemesis" and (.f | endswith("-start")))' "$R/history.jsonl" | wc -l)
[ "$faults" -gt 0 ] && ok "$faults faults applied and recorded" || bad "no fault in the history"
switches=$(cat "$R"/nodes/*/sentinel.log 2>/dev/null | grep -c '+switch-master')
[ "$switches" -gt 0 ] && ok "the master changed ($switches +switch-master lines in the Sentinels' logs)" \
    || bad "no failover: no +switch-master in $R/nodes/*/sentinel.log"
reads=$(run_result defaults '.checkers.set.final_read_count // 0')
acked=$(run_result defaults '.checkers.set.acknowledged_count // 0')
[ "$reads" = 5 ] && [ "$acked" -gt 0 ] && ok "the set checker ran: $acked acknowledged adds, a final read on each of $reads nodes" \
    || bad "set checker: $reads final reads, $acked acknowledged adds"
lost=$(run_result defaults '[.checkers.set.final_reads[].lost_count] | max // 0')
[ "$rc" = 1 ] && [ "$lost" -gt 0 ] && ok "acknowledged elements lost after the failover: $lost of $acked" \
    || bad "no lost elements (exit $rc, lost $lost of $acked)"

fl_test redis calm --nemesis none --time-limit 8 --seed 1
rc=$?
[ "$rc" = 0 ] && [ "$(run_result calm .checkers.set.valid)" = true ] \
    && ok "without faults: valid ($(run_result calm .checkers.set.acknowledged_count) adds, none lost)" \
    || bad "--nemesis none: exit $rc: $(tail -n 3 "$DIR/calm.err")"

# redis-server and redis-sentinel work in their data folders: whose they are.
left() { for p in $(pgrep -x redis-server; pgrep -x redis-sentinel); do readlink "/proc/$p/cwd"; done | grep -c "^$DIR/"; }
check "no redis-server or redis-sentinel left in the scratch folder" test "$(left)" -eq 0
echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
