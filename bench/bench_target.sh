#!/usr/bin/env bash
# A target's throughput through the whole harness on the local cluster: `faultline test`
# with --rate 0 (as fast as the workers go), no faults, concurrency 10 and 50; prints
# ok ops/s and op latency (p50, p99, from the history), and the check. Needs root;
# brings a cluster of NODES up in a temporary folder and takes it down. Compare with
# bench_harness (the null client's ceiling) to see what limits it.
#
# usage: bench/bench_target.sh build/harness/faultline [SECONDS] [TARGET] [NODES]
set -u
FL=$1 SECS=${2:-15} TARGET=${3:-quorumkv} NODES=${4:-5}
DIR=$(mktemp -d /tmp/fl-bench-target.XXXXXX)
trap '"$FL" cluster down --dir "$DIR/cluster" >/dev/null 2>&1; rm -rf "$DIR"' EXIT
"$FL" cluster up --nodes "$NODES" --dir "$DIR/cluster" >/dev/null || exit 1
echo "$TARGET on $NODES nodes, $SECS s per row"
printf '%-12s %-8s %10s %10s %9s %9s %8s %8s\n' workload conc "ok ops" "ok/s" "p50 ms" "p99 ms" verdict "check s"
for workload in register; do
    for c in 10 50; do
        "$FL" test --target "$TARGET" --nodes-file "$DIR/cluster/nodes.json" --store "$DIR/store" --name b$c \
            --workload $workload --rate 0 --concurrency $c --time-limit "$SECS" \
            --recovery-time 0 --seed 1 >/dev/null 2>&1
        H=$DIR/store/b$c/latest/history.jsonl
        ok=$(jq -r '.checkers.stats.ok' "$DIR/store/b$c/latest/results.json")
        lat=$(jq -s -r '[.[] | select(.process | type == "number")] | group_by(.process)
              | map(. as $o | [range(0; length - 1; 2) | $o[. + 1].time - $o[.].time]) | add | sort
              | "\(.[length / 2 | floor] / 1e6) \(.[length * 0.99 | floor] / 1e6)"' "$H")
        verdict=$(jq -r '.valid' "$DIR/store/b$c/latest/results.json")
        check_s=$(jq -r '.checkers.linearizable.seconds // "-"' "$DIR/store/b$c/latest/results.json")
        printf '%-12s %-8s %10s %10.0f %9.2f %9.2f %8s %8.2f\n' $workload $c "$ok" \
            "$(awk -v o="$ok" -v s="$SECS" 'BEGIN { print o / s }')" $lat "$verdict" "$check_s"
    done
done
