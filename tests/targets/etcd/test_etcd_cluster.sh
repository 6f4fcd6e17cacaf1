#!/usr/bin/env bash
# etcd under `faultline test` on a real local cluster (short versions of issue 19's
# runs): with linearizable reads (the default) the register workload is valid under the
# target's default faults (partitions, kills, pauses) and the faults were applied; with
# serializable reads a partition shows a stale read, named as such in results.json;
# clock faults are refused (exit 64, saying why) because the nodes' clocks are the shim's
# and etcd is a Go program. Every etcd process and data folder goes with the scratch
# cluster. Skips (77) where etcd-server is not installed.
#
# usage: test_etcd_cluster.sh FAULTLINE
set -u
FL=$1
[ -x /usr/bin/etcd ] || { echo "skip: etcd-server is not installed"; exit 77; }
source "$(dirname "$0")/../../support/cluster_lib.sh"
scratch_dir
"$FL" cluster up --dir "$CDIR" >/dev/null || { echo "cluster up failed"; exit 1; }

fl_test etcd clock --nemesis clock --time-limit 5
rc=$?
[ "$rc" = 64 ] && grep -q "Go program" "$DIR/clock.err" \
    && ok "clock faults refused: $(head -c 160 "$DIR/clock.err")" \
    || bad "clock faults: exit $rc: $(tail -n 2 "$DIR/clock.err")"

fl_test etcd linearizable --time-limit 12 --recovery-time 2 --seed 1
rc=$?
R=$STORE/linearizable/latest
faults=$(jq -c 'select(.process == "nemesis" and (.f | endswith("-start")) and .value.applied_ns != null)' \
    "$R/history.jsonl" 2>/dev/null | wc -l)
[ "$rc" = 0 ] && [ "$(run_result linearizable .checkers.linearizable.valid)" = true ] \
    && ok "linearizable reads under the default faults: valid ($(run_result linearizable .checkers.stats.ok) ok ops)" \
    || bad "linearizable reads: exit $rc: $(tail -n 3 "$DIR/linearizable.err")"
[ "$faults" -gt 0 ] && ok "$faults faults applied and recorded" || bad "no applied fault in the history"
reads=$(jq -c 'select(.type == "ok" and .f == "read" and .value != null)' "$R/history.jsonl" | wc -l)
[ "$reads" -gt 0 ] && ok "$reads reads returned a value" || bad "no read returned a value"

# Halves every few seconds: members cut off from the majority keep answering
# serializable reads from their old state while the majority takes writes.
fl_test etcd serializable --target-opt serializable-reads=true --nemesis partition:halves \
    --nemesis-interval 3 --op-timeout 1 --time-limit 16 --recovery-time 2 --seed 1
rc=$?
shapes=$(run_result serializable '[.checkers.linearizable.keys[]? | .anomaly.shape // empty] | unique | join(",")')
[ "$rc" = 1 ] && [[ ",$shapes," == *",stale-read,"* ]] \
    && ok "serializable reads: stale read found ($shapes)" \
    || bad "serializable reads: exit $rc, shapes '$shapes': $(tail -n 3 "$DIR/serializable.err")"
echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
