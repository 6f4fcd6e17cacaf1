#!/usr/bin/env bash
# lockd's critical sections per second through the whole harness on the local cluster:
# `faultline test --target lockd` with no faults (--nemesis none) and no pacing (--rate 0:
# as fast as the holders go) on 3 and 5 nodes, the lock workload as it is (two holders per
# resource; 6 % of sections paused past the lease, 15 % long and renewing, 2 % abandoned),
# concurrency 10 and 20. A critical section is acknowledged when its write is (acquire →
# read → write → release). Prints per row: sections/s, acquires granted/s, refused
# acquires/s (held, leader-waiting), the median and p99 of a normal section (acquire
# invoked → release completed, sections with no pause or renewal), and the verdict. Needs
# root; each node count gets a cluster of its own in a temporary folder, taken down at exit.
#
# usage: bench/bench_lockd.sh build/harness/faultline [SECONDS]
set -u
FL=$1 SECS=${2:-30}
DIR=$(mktemp -d /tmp/fl-bench-lockd.XXXXXX)
trap '"$FL" cluster down --dir "$DIR/cluster" >/dev/null 2>&1; rm -rf "$DIR"' EXIT
printf '%-6s %-5s %11s %10s %10s %12s %12s %8s\n' nodes conc "sections/s" "grants/s" "refused/s" \
    "p50 sect ms" "p99 sect ms" verdict
for nodes in 3 5; do
    "$FL" cluster down --dir "$DIR/cluster" >/dev/null 2>&1
    "$FL" cluster up --nodes "$nodes" --dir "$DIR/cluster" >/dev/null || exit 1
    for c in 10 20; do
        name=n$nodes-c$c
        "$FL" test --target lockd --nodes-file "$DIR/cluster/nodes.json" --store "$DIR/store" \
            --name "$name" --nemesis none --rate 0 --concurrency "$c" --time-limit "$SECS" \
            --recovery-time 0 --seed 1 >/dev/null 2>&1
        R=$DIR/store/$name/latest
        H=$R/history.jsonl
        writes=$(grep -c '"type":"ok","f":"write"' "$H")
        grants=$(grep -c '"type":"ok","f":"acquire"' "$H")
        refused=$(grep -c '"type":"fail","f":"acquire"' "$H")
        # A normal section: one process's acquire (ok) … release (completion) with no
        # renew in between and a write that did not pause.
        lat=$(jq -s -r '[.[] | select(.process | type == "number")] | group_by(.process)
              | map(reduce .[] as $e ({s: null, out: [], bad: false};
                  if $e.f == "acquire" and $e.type == "invoke" then .s = $e.time | .bad = false
                  elif $e.f == "renew" or ($e.f == "write" and ($e.value.paused_ms // 0) > 0) then .bad = true
                  elif $e.f == "release" and $e.type != "invoke" and .s != null and (.bad | not)
                    then .out += [$e.time - .s] | .s = null
                  else . end) | .out) | add | sort
              | if length == 0 then "0 0" else
                "\(.[length / 2 | floor] / 1e6) \(.[length * 0.99 | floor] / 1e6)" end' "$H")
        printf '%-6s %-5s %11.1f %10.1f %10.1f %12.1f %12.1f %8s\n' "$nodes" "$c" \
            "$(awk -v n="$writes" -v s="$SECS" 'BEGIN { print n / s }')" \
            "$(awk -v n="$grants" -v s="$SECS" 'BEGIN { print n / s }')" \
            "$(awk -v n="$refused" -v s="$SECS" 'BEGIN { print n / s }')" $lat \
            "$(jq -r '.valid' "$R/results.json")"
    done
done
