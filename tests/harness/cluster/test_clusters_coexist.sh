#!/usr/bin/env bash
# Two local clusters at once (issue 13): brought up together from two folders, each gets
# its own name, namespaces and subnet; each is reached by `faultline exec`; a partition
# by `faultline nemesis` on one is in force on its nodes only, measured with TCP between
# nodes of both; `cluster list` shows both; the guard refuses a nodes file that would
# dial one cluster's addresses from the other's namespace or from the root namespace;
# a name or subnet held by one is refused to the other; down of one leaves the other
# serving; and the root namespace's links, addresses and routes never change.
#
# usage: test_clusters_coexist.sh FAULTLINE
set -u
FL=$1
source "$(dirname "$0")/../../support/cluster_lib.sh"
scratch_dir # three clusters of its own, brought up below
A=$DIR/a B=$DIR/b
on_exit() {
    [ -n "${NPID:-}" ] && kill -KILL "$NPID" 2>/dev/null
    "$FL" cluster down --dir "$A" >/dev/null 2>&1
    "$FL" cluster down --dir "$B" >/dev/null 2>&1
    "$FL" cluster down --dir "$DIR/c" >/dev/null 2>&1
}
field() { jq -r "$2" "$1/nodes.json"; }
# Can node i of cluster dir reach node j of cluster dir2 on TCP port 22 (its sshd)?
reaches() { # dir i dir2 j
    ip netns exec "$(field "$1" .cluster)-n$2" timeout 2 bash -c \
        "exec 3<>/dev/tcp/$(field "$3" ".nodes[$(($4 - 1))].host")/22" 2>/dev/null
}

before=$(root_net)
# Both at once: the registry's lock must give them different names and subnets.
"$FL" cluster up --dir "$A" >"$DIR/up-a" 2>&1 & pa=$!
"$FL" cluster up --dir "$B" --nodes 3 >"$DIR/up-b" 2>&1 & pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
check "both clusters come up at once ($(cat "$DIR/up-a" "$DIR/up-b" | tr '\n' ' '))" \
    test $ra -eq 0 -a $rb -eq 0
CA=$(field "$A" .cluster) CB=$(field "$B" .cluster)
SA=$(field "$A" .subnet) SB=$(field "$B" .subnet)
check "different names ($CA, $CB) and subnets ($SA, $SB)" test "$CA" != "$CB" -a "$SA" != "$SB"
check "each has its own namespaces" test "$(ip netns list | grep -cE "^($CA|$CB)-(net|n[0-9]+)( |\$)")" -eq 10
out=$("$FL" cluster list 2>&1)
check "cluster list shows both as up" \
    test "$(grep -cE "^($CA +up +5 +$SA .*$A|$CB +up +3 +$SB .*$B)\$" <<<"$out")" -eq 2
check "A answers exec on its 5 nodes" \
    test "$("$FL" exec --nodes-file "$A/nodes.json" -- hostname 2>&1 | sort | tr '\n' ' ')" = \
    "n1: n1 n2: n2 n3: n3 n4: n4 n5: n5 "
check "B answers exec on its 3 nodes" \
    test "$("$FL" exec --nodes-file "$B/nodes.json" -- hostname 2>&1 | sort | tr '\n' ' ')" = \
    "n1: n1 n2: n2 n3: n3 "
check "root namespace unchanged after both ups" test "$(root_net)" = "$before"

# The clusters cannot reach each other at all: separate namespaces, no route between.
check "A's n1 reaches A's n2" reaches "$A" 1 "$A" 2
if reaches "$A" 1 "$B" 2; then bad "A's n1 reaches B's n2"; else ok "A's n1 cannot reach B's n2"; fi

# A partition of A (n1 cut off from everyone) is in force on A only.
"$FL" nemesis --nodes-file "$A/nodes.json" --nemesis partition:one --duration 1 --interval 4 \
    --seed 3 >"$DIR/part.jsonl" 2>"$DIR/part.err" &
NPID=$!
for _ in $(seq 100); do grep -q partition-start "$DIR/part.jsonl" && break; sleep 0.1; done
cut=$(jq -r 'select(.f=="partition-start") | .value.grudge | to_entries[]
             | select(.value | length == 4) | .key' "$DIR/part.jsonl" | head -n 1)
if [ -n "$cut" ]; then
    i=${cut#n}; j=$((i % 5 + 1))
    if reaches "$A" "$i" "$A" "$j"; then bad "A's $cut still reaches n$j while cut off"
    else ok "A's $cut cannot reach A's n$j while partitioned"; fi
else
    bad "no partition:one event ($(cat "$DIR/part.err"))"
fi
check "B's nodes carry no qdisc of the agent" test "$(for i in 1 2 3; do
    ip netns exec "$CB-n$i" tc qdisc show dev eth0 | grep -c htb; done | sort -u)" = 0
check "B's nodes still reach each other during A's partition" reaches "$B" 1 "$B" 3
check "B answers exec during A's partition" "$FL" exec --nodes-file "$B/nodes.json" -- true
wait "$NPID"; NPID=""
check "A healed after the nemesis" reaches "$A" "${i:-1}" "$A" "${j:-2}"
# And the other way round: B partitioned, A untouched.
"$FL" nemesis --nodes-file "$B/nodes.json" --nemesis partition:halves --duration 1 \
    --interval 3 --seed 5 >"$DIR/part-b.jsonl" 2>"$DIR/part-b.err" &
NPID=$!
for _ in $(seq 100); do grep -q partition-start "$DIR/part-b.jsonl" && break; sleep 0.1; done
check "B partitioned: some node of B carries the agent's qdisc" test "$(for i in 1 2 3; do
    ip netns exec "$CB-n$i" tc qdisc show dev eth0 | grep -c htb; done | sort -u | tail -n 1)" = 1
check "A's nodes carry no qdisc while B is partitioned" test "$(for i in 1 2 3 4 5; do
    ip netns exec "$CA-n$i" tc qdisc show dev eth0 | grep -c htb; done | sort -u)" = 0
wait "$NPID"; NPID=""
check "root namespace unchanged after both partitions" test "$(root_net)" = "$before"

# The guard: A's nodes dialled from B's namespace, or from the root namespace (a nodes
# file with no netns, as for VMs), are refused before any packet leaves.
jq --arg ns "$CB-net" '.netns = $ns' "$A/nodes.json" >"$DIR/mixed.json"
out=$("$FL" exec --nodes-file "$DIR/mixed.json" -- true 2>&1); rc=$?
check "A's addresses from B's namespace: refused ($out)" \
    test $rc -eq 3 -a -n "$(grep "refusing to connect" <<<"$out" | grep "$CA")"
jq 'del(.netns, .subnet, .cluster)' "$A/nodes.json" >"$DIR/vm.json"
out=$("$FL" exec --nodes-file "$DIR/vm.json" -- true 2>&1); rc=$?
check "A's addresses from the root namespace: refused ($out)" \
    test $rc -eq 3 -a -n "$(grep "refusing to connect" <<<"$out" | grep "$SA")"

# A third folder may not take a name or subnet that a live cluster holds.
out=$("$FL" cluster up --dir "$DIR/c" --name "$CA" 2>&1); rc=$?
check "a held name is refused ($out)" test $rc -eq 3 -a -n "$(grep "held by" <<<"$out")"
out=$("$FL" cluster up --dir "$DIR/c" --subnet "$SB" 2>&1); rc=$?
check "a held subnet is refused ($out)" test $rc -eq 3 -a -n "$(grep "overlaps" <<<"$out")"
check "the refused folder left nothing behind" test ! -e "$DIR/c"

# Down of A leaves B whole.
"$FL" cluster down --dir "$A" >/dev/null; rc=$?
check "down A exits 0" test $rc -eq 0
check "no namespace of A left" test -z "$(ip netns list | grep -E "^$CA-")"
check "B's 3 namespaces and bridge namespace remain" \
    test "$(ip netns list | grep -cE "^$CB-(net|n[0-9]+)( |\$)")" -eq 4
check "B answers exec after A's down" "$FL" exec --nodes-file "$B/nodes.json" -- true
check "cluster list shows B only" \
    test "$("$FL" cluster list | tail -n +2 | grep -cE "^($CA|$CB) ")" -eq 1
"$FL" cluster down --dir "$B" >/dev/null
check "no namespace of B left" test -z "$(ip netns list | grep -E "^$CB-")"
check "root namespace as before" test "$(root_net)" = "$before"

echo "$pass passed, $fail failed"
test $fail -eq 0
