#!/usr/bin/env bash
# The target-file examples on a local cluster of their own (ctest label cluster; short):
#   - quorumkv through examples/quorumkv (its binary uploaded from {libexec}, a Python
#     client over its TCP protocol): the correct mode valid, stale-quorum caught, as the
#     built-in adapter gives;
#   - Redis with asynchronous replicas through examples/redis (redis-py): the run
#     completes with ops done and an honest verdict (valid, or a stale read named), never
#     a harness error;
#   - a client that hangs: every op is info within the op timeout and the run ends on
#     time with its history kept;
#   - a target slow to start still gets its whole main phase (--time-limit);
#   - a daemon that exits at once: a harness error within seconds, naming the node and
#     quoting its log.
#
#   test_target_file_cluster.sh FAULTLINE EXAMPLES_DIR
source "$(dirname "$0")/../../support/cluster_lib.sh"
FL=$1 EXAMPLES=$2
# The examples' clients run `python3`: Debian's, whose python3-redis install-deps.sh
# installs, found first. (A python3 earlier on PATH — pyenv's shim on CI's machines —
# starts in 0.35 s idle and seconds under the suite's load; its start-up is not counted
# in an op's time, but each one the run starts still takes from an 8-s run's ops.)
export PATH=/usr/bin:$PATH
scratch_cluster
jqe() { jq -e "$@" >/dev/null; }

"$FL" test --target-file "$EXAMPLES/quorumkv/quorumkv.json" --nodes-file "$NODES" --store "$STORE" \
    --name qkv --time-limit 8 --seed 3 >"$DIR/qkv.out" 2>&1
rc=$?
check "quorumkv through its target file: valid" test "$rc" = 0
# On failure, faultline's own lines (the nodes' logs it quotes are stamped 20…-…T…).
said() { grep -v '^20[0-9-]*T' "$1" | tail -n 8 | sed 's/^/#   /'; }
((rc == 0)) || said "$DIR/qkv.out"
check "… with ops done on every node" \
    jqe '.checkers.stats | .ok > 30 and ([.ok_by_node[]] | min) > 0' "$STORE/qkv/latest/results.json" ||
    jq -c '.checkers.stats | {ok, fail, info, ok_by_node}' "$STORE/qkv/latest/results.json" | sed 's/^/#   /'
"$FL" test --target-file "$EXAMPLES/quorumkv/quorumkv.json" --bug stale-quorum --nodes-file "$NODES" \
    --store "$STORE" --name qkv-stale --time-limit 8 --seed 3 >"$DIR/stale.out" 2>&1
rc=$?
check "stale-quorum through the target file: caught (exit 1)" test "$rc" = 1
((rc == 1)) || said "$DIR/stale.out"
check "… by the linearizability checker" \
    jqe '.checkers.linearizable.valid == false' "$STORE/qkv-stale/latest/results.json"

if /usr/bin/python3 -c 'import redis' 2>/dev/null && command -v redis-server >/dev/null; then
    # A calm start (--nemesis-delay 4): seed 3's first fault kills n1, the only primary,
    # and holds it nearly to the end, so writes could succeed only after its restart —
    # at 7.9–8.8 s of the history beside three busy loops, and not at all once in CI
    # (perf: "write never completed ok", exit 2). With 3 s of calm the first ok write
    # came 1–2 s after the first op, before the kill, in 3 of 3 runs beside the loops.
    "$FL" test --target-file "$EXAMPLES/redis/redis.json" --nodes-file "$NODES" --store "$STORE" \
        --name redis --time-limit 8 --nemesis-delay 4 --seed 3 >"$DIR/redis.out" 2>&1
    rc=$?
    R="$STORE/redis/latest"
    check "Redis through its target file: the run completes with a verdict (exit $rc)" \
        bash -c "[ $rc = 0 ] || [ $rc = 1 ]" ||
        { said "$DIR/redis.out"
          jq -c '.checkers | to_entries[] | select(.value.valid != true) |
                 {checker: .key, valid: .value.valid, reason: .value.reason}' "$R/results.json" |
              sed 's/^/#   /'; }
    check "… with ops done, primaries recorded" \
        bash -c "jq -e '.checkers.stats.ok > 50' '$R/results.json' >/dev/null && grep -q '\"primaries\"' '$R/history.jsonl'"
    [ "$rc" = 1 ] && check "… and an anomaly it names is a stale read" \
        jqe '[.checkers.linearizable.keys[]? | .anomaly.shape // empty] | index("stale-read")' "$R/results.json"
else
    echo "# skipped the Redis example: no redis-server or Debian's python3-redis"
fi

# A client that takes every request and never answers.
cat >"$DIR/hang.py" <<'PY'
import sys, time
for line in sys.stdin:
    time.sleep(3600)
PY
jq --arg c "$DIR/hang.py" '.name = "hangs" | .client.command = ["python3", $c] | .ready = {"tcp": 7001}' \
    "$EXAMPLES/quorumkv/quorumkv.json" >"$DIR/hang.json"
t0=$(date +%s)
"$FL" test --target-file "$DIR/hang.json" --nodes-file "$NODES" --store "$STORE" --name hang \
    --time-limit 6 --op-timeout 0.5 --nemesis none >"$DIR/hang.out" 2>&1
rc=$?
took=$(($(date +%s) - t0))
check "a client that hangs: the run ends (exit $rc, in $took s) as unknown (exit 2)" \
    bash -c "[ $rc = 2 ] && [ $took -lt 60 ]"
check "… every op info with the timeout named, the history kept" \
    jqe -s '[.[] | select(.type == "info")] | length > 3 and all(.error | test("no reply within 500 ms"))' \
    "$STORE/hang/latest/history.jsonl"
# A target slow to start: --time-limit is the main phase's length, the setup not counted
# (five nodes started one by one, 1.5 s each, left a 2 s limit no main phase when it was).
# The phase ends after its ops in flight, so on a loaded machine (each client's python3
# starting through pyenv's shim) it may run past 2 s: at least 2 s is the rule.
jq --arg c "$EXAMPLES/quorumkv/client.py" '.name = "slow" | .start |= "sleep 1.5; " + . |
    .client.command = ["python3", $c]' "$EXAMPLES/quorumkv/quorumkv.json" >"$DIR/slow.json"
"$FL" test --target-file "$DIR/slow.json" --nodes-file "$NODES" --store "$STORE" --name slow \
    --time-limit 2 --nemesis none >"$DIR/slow.out" 2>&1
rc=$?
check "a target slow to start: the main phase still lasts --time-limit (exit $rc)" \
    bash -c "[ $rc = 0 ] && grep -Eq 'main phase over at [0-9.]+ s \(([2-9]|[1-9][0-9])\.[0-9] s long\): ok [1-9]' '$STORE/slow/latest/faultline.log'" ||
    { said "$DIR/slow.out"; grep -h "main phase over" "$STORE/slow/latest/faultline.log" | sed "s/^/#   /"; }

# A daemon that exits at once (a flag it does not know): the run stops within seconds,
# not at the start timeout, naming the node and the daemon's own complaint.
jq '.name = "dies" | .start |= sub("--data-dir"; "--no-such-flag --data-dir")' \
    "$EXAMPLES/quorumkv/quorumkv.json" >"$DIR/dies.json"
t0=$(date +%s)
"$FL" test --target-file "$DIR/dies.json" --nodes-file "$NODES" --store "$STORE" --name dies \
    --time-limit 6 --nemesis none >"$DIR/dies.out" 2>&1
rc=$?
took=$(($(date +%s) - t0))
check "a daemon that exits at once: a harness error (exit $rc) in $took s, not the start timeout" \
    bash -c "[ $rc = 3 ] && [ $took -lt 20 ]"
check "… naming the node, that it exited, and its log's last lines (its usage text)" \
    grep -Eq 'n[0-9]: dies exited [0-9.]+ s after it was started, before it answered a ping from the client; its log ends: .*--pidfile' "$DIR/dies.out"
echo "$pass passed, $fail failed"
test "$fail" -eq 0
