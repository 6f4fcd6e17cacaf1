#!/usr/bin/env bash
# `faultline nemesis` on a real local cluster, measured on the nodes: pause leaves the
# pidfile's process in state T and its stop resumes it; kill ends it and its stop
# restarts it; a partition is in force on every node while held; and when the
# controller is SIGKILLed in the middle of a partition, every node is healed within the
# watchdog (its SSH channels close, each agent heals and exits); --primary-cmd names the
# primaries and is watched (primaries events).
#
# usage: test_nemesis.sh FAULTLINE
set -u
FL=$1
source "$(dirname "$0")/../support/cluster_lib.sh"
on_exit() { [ -n "${NPID:-}" ] && kill -KILL "$NPID" 2>/dev/null; }
on_all() { "$FL" exec --nodes-file "$NODES" -- "$1" 2>&1 | sort; }
scratch_cluster
START='sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > /root/sleep.pid'
# kill:all below names the pidfile through {workdir}: a copy lives in every work dir.
COPY='cp /root/sleep.pid '"$CDIR"'/nodes/$(hostname)/sleep.pid'
on_all "$START" >/dev/null
STATE='ps -o stat= -p "$(cat /root/sleep.pid)" | cut -c1'

# pause:all — held for 2 s; the state is read on the nodes while it is held.
"$FL" nemesis --nodes-file "$NODES" --nemesis pause:all --duration 1 --interval 2 --seed 1 \
    --process "sleep=/root/sleep.pid" >"$DIR/pause.jsonl" 2>"$DIR/pause.err" &
NPID=$!
sleep 1.2
got=$(on_all "$STATE" | tr '\n' ' ')
[ "$got" = "n1: T n2: T n3: T n4: T n5: T " ] && ok "pause: every sleep stopped (T)" || bad "pause: $got"
wait "$NPID"; NPID=""
got=$(on_all "$STATE" | tr '\n' ' ')
[ "$got" = "n1: S n2: S n3: S n4: S n5: S " ] && ok "pause stop: every sleep running again" || bad "resume: $got"
grep -q '"f":"pause-start"' "$DIR/pause.jsonl" && grep -q '"f":"pause-stop"' "$DIR/pause.jsonl" \
    && ok "pause start and stop are nemesis events" || bad "events: $(cat "$DIR/pause.jsonl")"

# kill:all — KILL ends it; the stop runs the start command, so a new sleep runs.
before=$(on_all 'cat /root/sleep.pid' | tr '\n' ' ')
on_all "$COPY" >/dev/null
"$FL" nemesis --nodes-file "$NODES" --nemesis kill:all --duration 1 --interval 1 --seed 1 \
    --process "sleep={workdir}/sleep.pid:$START; $COPY" >"$DIR/kill.jsonl" 2>"$DIR/kill.err"
after=$(on_all 'cat /root/sleep.pid; kill -0 "$(cat /root/sleep.pid)" && echo alive' | tr '\n' ' ')
[ "$(grep -o alive <<<"$after" | wc -l)" -eq 5 ] && [ "$before" != "$(on_all 'cat /root/sleep.pid' | tr '\n' ' ')" ] \
    && ok "kill: killed and restarted on every node" || bad "kill: before $before after $after $(cat "$DIR/kill.err")"

# partition:primaries — the target says who is primary (here --primary-cmd: n3 has a
# marker file); n3 must be cut off from all, and nobody else from anybody.
on_all '[ "$(hostname)" != n3 ] || touch '"$CDIR"'/nodes/n3/primary' >/dev/null
"$FL" nemesis --nodes-file "$NODES" --nemesis partition:primaries --duration 1 --interval 2 \
    --seed 1 --primary-cmd 'test -e {workdir}/primary' >"$DIR/prim.jsonl" 2>"$DIR/prim.err" &
NPID=$!
for _ in $(seq 100); do grep -q partition-start "$DIR/prim.jsonl" && break; sleep 0.1; done
filters=$(on_all 'tc filter show dev eth0 | grep -c match' | tr '\n' ' ')
wait "$NPID"; NPID=""
[ "$filters" = "n1: 1 n2: 1 n3: 4 n4: 1 n5: 1 " ] && grep -q '"primaries":\["n3"\]' "$DIR/prim.jsonl" \
    && ok "partition:primaries isolates n3, the node --primary-cmd names" \
    || bad "primaries: filters $filters; $(cat "$DIR/prim.jsonl" "$DIR/prim.err")"
# --primary-cmd is also watched: the first answer (n3) and the end are printed as
# primaries events among the faults' events, lines whole, indices and times in order.
[ "$(jq -c 'select(.f == "primaries") | .value.nodes' "$DIR/prim.jsonl" | head -n 1)" = '["n3"]' ] \
    && [ "$(jq -c 'select(.f == "primaries") | .value' "$DIR/prim.jsonl" | tail -n 1)" = '{"nodes":null,"end":true}' ] \
    && ok "the primaries watcher printed n3, then its end" || bad "primaries events: $(cat "$DIR/prim.jsonl")"
jq -s -e '. as $e | [range(1; length) | select($e[.].index != $e[. - 1].index + 1 or $e[.].time < $e[. - 1].time)]
          | length == 0' "$DIR/prim.jsonl" >/dev/null \
    && ok "printed events: indices and times in order" || bad "events out of order: $(cat "$DIR/prim.jsonl")"

# SIGKILL the controller while a partition is held: every node heals on its own.
"$FL" nemesis --nodes-file "$NODES" --nemesis partition:halves --duration 60 --interval 30 \
    --seed 3 >"$DIR/part.jsonl" 2>"$DIR/part.err" &
NPID=$!
for _ in $(seq 100); do grep -q partition-start "$DIR/part.jsonl" && break; sleep 0.1; done
held=$(on_all 'tc qdisc show dev eth0 | grep -c htb' | tr '\n' ' ')
[ "$held" = "n1: 1 n2: 1 n3: 1 n4: 1 n5: 1 " ] && ok "partition in force on every node" || bad "held: $held"
kill -KILL "$NPID"; NPID=""
start=$(date +%s%N)
while [ "$(on_all 'tc qdisc show dev eth0 | grep -c htb' | grep -c ': 1')" -gt 0 ]; do
    sleep 0.1
    [ $(( ($(date +%s%N) - start) / 1000000 )) -gt 15000 ] && break
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -le 12000 ] && ok "controller SIGKILLed: every node healed in $ms ms (watchdog 10 s)" \
    || bad "still partitioned after $ms ms"

# SIGKILL the controller with a partition, a pause and a clock bump in force together:
# every node heals, resumes and resets on its own.
SKEW='W='"$CDIR"'/nodes/$(hostname); a=$(date +%s%N); b=$(LD_PRELOAD=$W/bin/libflclock.so FL_CLOCK_FILE=$W/clock.offset date +%s%N); echo $(( (b - a) / 100000000 ))'
"$FL" nemesis --nodes-file "$NODES" --nemesis partition:halves,pause:all,clock:bump --at-once 3 \
    --duration 60 --interval 2 --seed 5 --process "sleep=/root/sleep.pid" \
    >"$DIR/all.jsonl" 2>"$DIR/all.err" &
NPID=$!
# The third start comes 4 s in; the first stop not before 6 s: look in between.
for _ in $(seq 100); do [ "$(grep -c -- '-start' "$DIR/all.jsonl")" -ge 3 ] && break; sleep 0.1; done
held=$(on_all 'tc qdisc show dev eth0 | grep -c htb; '"$STATE" | tr '\n' ' ')
skews=$(on_all "$SKEW" | grep -vc ': 0$')
[ "$held" = "n1: 1 n1: T n2: 1 n2: T n3: 1 n3: T n4: 1 n4: T n5: 1 n5: T " ] && [ "$skews" -ge 1 ] \
    && ok "partition, pause and clock bump in force together ($skews nodes skewed)" \
    || bad "together: $held, skewed nodes $skews; $(cat "$DIR/all.err")"
kill -KILL "$NPID"; NPID=""
start=$(date +%s%N)
while :; do
    now=$(on_all 'tc qdisc show dev eth0 | grep -c htb; '"$STATE"'; '"$SKEW" | tr '\n' ' ')
    [ "$now" = "n1: 0 n1: 0 n1: S n2: 0 n2: 0 n2: S n3: 0 n3: 0 n3: S n4: 0 n4: 0 n4: S n5: 0 n5: 0 n5: S " ] && break
    [ $(( ($(date +%s%N) - start) / 1000000 )) -gt 15000 ] && break
    sleep 0.1
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -le 12000 ] && ok "controller SIGKILLed: healed, resumed and reset everywhere in $ms ms" \
    || bad "after $ms ms: $now"

echo "$pass passed, $fail failed"
test "$fail" -eq 0
