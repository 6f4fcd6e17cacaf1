#!/bin/bash
# raft-sim in correct mode: SEEDS random seeds (3 or 5 nodes, faults, clients) with no
# safety or liveness violation; then QUICK seeds of each cluster size, and QUICK/10 seeds
# with every message sent through the JSON codec and back (the daemon's wire form; ~15x
# slower).
# Usage: test_raft_sim.sh RAFT_SIM SEEDS QUICK
set -u
sim=$1 seeds=$2 quick=$3
fail() { echo "FAIL: $*"; exit 1; }

run() { # expect exit 0 and "no violation"
    local out
    out=$("$sim" "$@") || { echo "$out" | tail -20; fail "raft-sim $* found a violation"; }
    echo "$out" | grep -q ': no violation$' || { echo "$out"; fail "raft-sim $*: no summary"; }
    echo "$out" | sed -n '/^raft-sim:/,$p'
}

run --seeds "1-$seeds"
run --seeds "1-$((quick / 10))" --wire
run --seeds "100001-$((100000 + quick))" --nodes 5
run --seeds "200001-$((200000 + quick))" --nodes 3 --steps 400
echo "PASS"
