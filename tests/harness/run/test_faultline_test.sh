#!/usr/bin/env bash
# `faultline test` end to end on a real local cluster, short versions of issue 5's
# scenarios (the long ones are tests/scenarios/scenario_quorumkv_faults.sh): quorumkv in correct mode under
# partitions, kills and pauses is valid, with faults applied and ops on several nodes;
# --bug stale-quorum is caught; the set workload finds nothing lost; Ctrl-C still
# heals and checks; a SIGKILLed controller leaves a history that parses and checks
# valid, and nodes the agents healed; an agent lost mid-run is a harness error; bad input gets the documented exit codes; test.json,
# results.json and junit.xml say which faultline produced the run.
#
# usage: test_faultline_test.sh FAULTLINE
set -u
FL=$1
source "$(dirname "$0")/../../support/cluster_lib.sh"
on_exit() { [ -n "${TPID:-}" ] && kill -KILL "$TPID" 2>/dev/null; }
jqr() { jq -r "$2" "$1"; }
scratch_cluster
run() { # name, extra flags…
    local name=$1; shift
    "$FL" test --nodes-file "$NODES" --store "$STORE" --name "$name" --rate 200 \
        --concurrency 10 --recovery-time 2 "$@" >"$DIR/$name.out" 2>"$DIR/$name.err"
}

# 1. correct mode under partitions, kills and pauses: valid.
run correct --nemesis partition,kill,pause --nemesis-interval 2 --time-limit 20 --seed 7
rc=$?
R=$STORE/correct/latest
[ "$rc" = 0 ] && ok "correct mode under partition,kill,pause: valid (exit 0)" \
    || bad "correct mode: exit $rc: $(tail -n 5 "$DIR/correct.err") $(cat "$DIR/correct.out")"
grep -q "^valid .*$STORE/correct/" "$DIR/correct.out" && ok "prints the verdict and the run directory" \
    || bad "output: $(cat "$DIR/correct.out")"
for f in test.json history.jsonl results.json faultline.log nodes/n1/quorumkv.log; do
    [ -s "$R/$f" ] || bad "run directory lacks $f"
done
okops=$(jqr "$R/results.json" '.checkers.stats.ok')
nodes=$(jqr "$R/results.json" '[.checkers.stats.ok_by_node[] | select(. > 0)] | length')
[ "$okops" -ge 500 ] && [ "$nodes" -ge 3 ] && ok "$okops ok ops, coordinated by $nodes nodes" \
    || bad "ok ops $okops on $nodes nodes"
starts=$(grep -c '"f":"[a-z]*-start"' "$R/history.jsonl")
applied=$(grep '"f":"[a-z]*-start"' "$R/history.jsonl" | grep -c '"applied_ns":{"n')
[ "$starts" -ge 3 ] && [ "$applied" = "$starts" ] && ok "$starts faults started, each with its applied times" \
    || bad "faults: $starts started, $applied with applied_ns"
seed=$(jqr "$R/test.json" '.config.seed')
[ "$seed" = 7 ] && ok "test.json records the seed" || bad "seed in test.json: $seed"
# What produced the run: the same faultline as `faultline --version`, in all three files.
want=$("$FL" --version)
for f in test.json results.json; do
    got=$(jqr "$R/$f" '"faultline \(.faultline.version) (commit \(.faultline.commit))"')
    [ "$got" = "$want" ] && ok "$f records $want" || bad "$f records $got, not $want"
done
commit=$(jqr "$R/results.json" .faultline.commit)
grep -qF "<property name=\"faultline.commit\" value=\"$commit\"/>" "$R/junit.xml" \
    && ok "junit.xml names the commit" || bad "junit.xml: no faultline.commit property $commit"
"$FL" check "$R/history.jsonl" >/dev/null 2>&1 && ok "faultline check agrees: valid" || bad "offline check of the run's history"

# 2. --bug stale-quorum: a stale read is found.
run stale --bug stale-quorum --nemesis partition --nemesis-interval 2 --time-limit 15 --seed 1
rc=$?
[ "$rc" = 1 ] && ok "stale-quorum: anomaly found (exit 1)" || bad "stale-quorum: exit $rc $(tail -n 3 "$DIR/stale.err")"
grep -q '"failing_op"' "$STORE/stale/latest/results.json" && ok "results.json names the failing op" \
    || bad "no failing_op in results.json"

# 3. set workload, correct mode, under kills: nothing lost.
run set --workload set --nemesis kill --nemesis-interval 2 --time-limit 10 --seed 3
rc=$?
[ "$rc" = 0 ] && ok "set workload under kills: valid" || bad "set: exit $rc $(tail -n 3 "$DIR/set.err")"
reads=$(grep -c '"f":"read","value":\[' "$STORE/set/latest/history.jsonl")
[ "$reads" = 5 ] && ok "one final read per node" || bad "final reads: $reads"

# 4. Ctrl-C in the middle: heals, stops, checks what was recorded.
"$FL" test --nodes-file "$NODES" --store "$STORE" --name sigint --nemesis partition \
    --nemesis-interval 1 --time-limit 60 --recovery-time 0 >"$DIR/sigint.out" 2>"$DIR/sigint.err" &
TPID=$!
sleep 6
kill -INT "$TPID"
wait "$TPID"; rc=$?; TPID=""
[ "$rc" = 0 ] && [ -s "$STORE/sigint/latest/results.json" ] && ok "Ctrl-C: stopped early, checked, valid" \
    || bad "Ctrl-C: exit $rc $(tail -n 3 "$DIR/sigint.err")"
held=$("$FL" exec --nodes-file "$NODES" -- 'tc qdisc show dev eth0 | grep -c htb' 2>&1 | grep -c ': [1-9]')
[ "$held" = 0 ] && ok "Ctrl-C: no node left partitioned" || bad "Ctrl-C: $held nodes still partitioned"

# 5. SIGKILL the controller mid-run: the history parses and checks; agents heal.
"$FL" test --nodes-file "$NODES" --store "$STORE" --name killed --nemesis partition \
    --nemesis-interval 3 --time-limit 60 >"$DIR/killed.out" 2>"$DIR/killed.err" &
TPID=$!
for _ in $(seq 100); do grep -q partition-start "$STORE/killed/latest/history.jsonl" 2>/dev/null && break; sleep 0.1; done
sleep 1
kill -KILL "$TPID"; wait "$TPID" 2>/dev/null; TPID=""
H=$STORE/killed/latest/history.jsonl
lines=$(wc -l <"$H")
jq -c . "$H" >/dev/null 2>&1 \
    && ok "controller SIGKILLed: all $lines history lines parse" || bad "history does not parse"
"$FL" check "$H" >/dev/null 2>&1; rc=$?
[ "$rc" = 0 ] && ok "…and faultline check judges it valid" || bad "check of the killed run: exit $rc"
start=$(date +%s)
while [ "$("$FL" exec --nodes-file "$NODES" -- 'tc qdisc show dev eth0 | grep -c htb' 2>&1 | grep -c ': [1-9]')" != 0 ]; do
    [ $(( $(date +%s) - start )) -gt 15 ] && break
    sleep 0.2
done
[ $(( $(date +%s) - start )) -le 12 ] && ok "…and every node is healed within $(( $(date +%s) - start )) s" \
    || bad "nodes still partitioned 15 s after the controller died"
"$FL" exec --nodes-file "$NODES" -- 'p=$(cat '"$CDIR"'/nodes/$(hostname)/quorumkv/quorumkv.pid) && kill $p' >/dev/null 2>&1

# 6b. an agent that goes away mid-run (here killed; its watchdog, a crash): the faults
# after it were not applied on its node, so the run is a harness error (exit 3) saying
# so, and what was recorded is kept and checked.
run agentgone --nemesis partition --nemesis-interval 2 --time-limit 9 --seed 3 &
TPID=$!
for _ in $(seq 100); do grep -q partition-start "$STORE/agentgone/latest/history.jsonl" 2>/dev/null && break; sleep 0.1; done
AGENT=$(pgrep -f "^$CDIR/nodes/n2/bin/faultline-agent" | head -n 1)
[ -n "$AGENT" ] && kill -KILL "$AGENT"
wait "$TPID"; rc=$?; TPID=""
[ -n "$AGENT" ] && [ "$rc" = 3 ] && grep -q "an agent went away" "$DIR/agentgone.err" \
    && [ -s "$STORE/agentgone/latest/results.json" ] \
    && ok "an agent killed mid-run: exit 3, said, and the history still checked" \
    || bad "agent killed (pid '${AGENT:-none}'): exit $rc: $(tail -n 3 "$DIR/agentgone.err")"

# 6. bad input: documented exit codes and messages.
echo '{"nodes": [' >"$DIR/bad-nodes.json"
"$FL" test --nodes-file "$DIR/bad-nodes.json" --store "$STORE" --time-limit 1 >/dev/null 2>"$DIR/badn.err"; rc=$?
[ "$rc" = 65 ] && grep -q "bad-nodes.json" "$DIR/badn.err" && ok "malformed nodes file: exit $rc naming the file" \
    || bad "malformed nodes file: exit $rc: $(cat "$DIR/badn.err")"
"$FL" test --target nosuch --store "$STORE" >/dev/null 2>"$DIR/badt.err"; rc=$?
[ "$rc" = 64 ] && grep -q "faultline targets" "$DIR/badt.err" && ok "unknown target: exit 64" || bad "unknown target: exit $rc"
"$FL" test --bug nosuch --store "$STORE" >/dev/null 2>&1; rc=$?
[ "$rc" = 64 ] && ok "unknown bug: exit 64" || bad "unknown bug: exit $rc"

echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
