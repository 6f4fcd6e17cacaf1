#!/usr/bin/env bash
# Partition shapes on a real 5-node local cluster, applied by faultline-agent on every
# node and measured, not assumed: for each shape the test writes the grudge by hand as a
# reachability matrix, asks each node's agent to drop its packets to the nodes it must
# not reach, then sends UDP datagrams from every node to every other and counts them at
# the receivers. The counts must match the matrix exactly, both directions; after heal
# every pair must reach again. Agents run in the nodes' network namespaces, their stdin a
# pipe: closing it must heal (the dead man's switch), and so must silence longer than
# the watchdog; both are checked at the end.
#
# Also: the agent keeps serving after a malformed request, and a clock bump through the
# agent moves CLOCK_REALTIME of a process under the clock shim (and only there), redis-
# server's included; the host clock never moves.
#
# usage: test_agent_shapes.sh FAULTLINE AGENT UDP_PROBE CLOCK_SHIM
set -u
FL=$1 AGENT=$2 PROBE=$3 SHIM=$4
source "$(dirname "$0")/../../support/cluster_lib.sh"
id=0
declare -a FD
on_exit() {
    [ -n "${REDIS:-}" ] && kill "$REDIS" 2>/dev/null
    stop_heartbeats
    for i in 1 2 3 4 5; do [ -n "${FD[$i]:-}" ] && eval "exec ${FD[$i]}>&-"; done
    sleep 0.3
}
# The agents are fed heartbeats, as a controller feeds them (heartbeats below), until the
# dead man's switch; the last check measures the watchdog.
WATCHDOG=8
scratch_cluster
# This cluster's name (its namespaces are $CL-net, $CL-n1 …) and node addresses: other
# clusters may be up beside it, each with its own.
CL=$(jq -r .cluster "$CDIR/nodes.json")
mapfile -t ADDRS < <(jq -r '.nodes[].host' "$CDIR/nodes.json")
addr() { echo "${ADDRS[$(($1 - 1))]}"; }
for i in 1 2 3 4 5; do
    mkfifo "$DIR/in$i"
    # The agent must not hold the other agents' pipes open (it would keep their stdin
    # from ever closing): drop the write ends opened so far before it starts.
    (for f in "${FD[@]}"; do eval "exec $f>&-"; done
     exec ip netns exec "$CL-n$i" "$AGENT" serve --watchdog "$WATCHDOG" --clock-file "$DIR/clock$i" \
         <"$DIR/in$i" >"$DIR/out$i" 2>"$DIR/err$i") &
    exec {fd}>"$DIR/in$i"
    FD[$i]=$fd
done

# The controller's heartbeats (fl_agents sends one to an agent no call reached for 3 s):
# every 2 s to every agent, each line written through an open of its own (read-write, so
# it never blocks) and this loop holding none of the agents' pipes, so that once it is
# stopped, closing a pipe here is an agent's EOF. Without them, an agent idle while
# others are tested (n1 through the clock and redis checks on a loaded machine) let go.
heartbeats() {
    for f in "${FD[@]}"; do [ -n "$f" ] && eval "exec $f>&-"; done
    while :; do
        for i in 1 2 3 4 5; do echo '{"id":0,"cmd":"heartbeat"}' 1<>"$DIR/in$i"; done
        sleep 2
    done
}
heartbeats </dev/null >/dev/null 2>&1 &
BEATS=$!
stop_heartbeats() {
    [ -n "${BEATS:-}" ] || return 0
    kill "$BEATS" 2>/dev/null; wait "$BEATS" 2>/dev/null
    BEATS=""
}

# Send one request to node i's agent and wait for its reply; fails unless "ok":true. The
# line is written from a subshell: to an agent that has exited, the write's SIGPIPE ends
# that subshell, not the test.
request() { # node, json body without id
    id=$((id + 1))
    (echo "{\"id\":$id,$2}" >&"${FD[$1]}") 2>/dev/null ||
        { echo "# n$1's agent has exited: $(tail -n 2 "$DIR/err$1")"; return 1; }
    for _ in $(seq 200); do
        grep -q "\"id\":$id[,}]" "$DIR/out$1" 2>/dev/null && break
        sleep 0.01
    done
    grep "\"id\":$id[,}]" "$DIR/out$1" | grep -q '"ok":true'
}

# The observed matrix: row i = from node i, column j = to node j; 1 reached, 0 not.
# Receivers count until every sender is done (then SIGTERM), however late a loaded
# machine starts one.
probe() {
    local receivers=() senders=()
    for j in 1 2 3 4 5; do
        rm -f "$DIR/ready$j"
        ip netns exec "$CL-n$j" "$PROBE" recv 7000 30000 >"$DIR/recv$j" 2>"$DIR/ready$j" &
        receivers+=($!)
    done
    for _ in $(seq 500); do
        [ "$(cat "$DIR"/ready[1-5] 2>/dev/null | grep -c ready)" -eq 5 ] && break
        sleep 0.02
    done
    for i in 1 2 3 4 5; do
        others=""
        for j in 1 2 3 4 5; do [ "$i" != "$j" ] && others="$others $(addr "$j")"; done
        # shellcheck disable=SC2086
        ip netns exec "$CL-n$i" "$PROBE" send 7000 10 $others &
        senders+=($!)
    done
    wait "${senders[@]}"
    sleep 0.2 # the last datagrams in flight
    kill -TERM "${receivers[@]}" 2>/dev/null
    wait "${receivers[@]}"
    for i in 1 2 3 4 5; do
        row=""
        for j in 1 2 3 4 5; do
            if [ "$i" = "$j" ]; then row="$row-"; continue; fi
            n=$(awk -v a="$(addr "$i")" '$1 == a {print $2}' "$DIR/recv$j")
            if [ "${n:-0}" -ge 10 ]; then row="${row}1"; elif [ "${n:-0}" -eq 0 ]; then row="${row}0"; else row="${row}?"; fi
        done
        echo "$row"
    done
}

shape() { # name, 5 rows of the expected matrix
    local name=$1; shift
    local expected=("$@")
    for i in 1 2 3 4 5; do
        drop=""
        row=${expected[$((i - 1))]}
        for j in 1 2 3 4 5; do
            [ "${row:$((j - 1)):1}" = 0 ] && drop="$drop${drop:+,}\"$(addr "$j")\""
        done
        request "$i" "\"cmd\":\"partition\",\"drop\":[$drop]" || bad "$name: partition request on n$i"
    done
    got=$(probe | tr '\n' ' ')
    want="${expected[*]} "
    if [ "$got" = "$want" ]; then ok "$name: reachability $got"; else bad "$name: got $got want $want"; fi
    for i in 1 2 3 4 5; do request "$i" '"cmd":"heal"' || bad "$name: heal on n$i"; done
    got=$(probe | tr '\n' ' ')
    if [ "$got" = "-1111 1-111 11-11 111-1 1111- " ]; then ok "$name: healed, every pair reaches"
    else bad "$name: after heal $got"; fi
}

got=$(probe | tr '\n' ' ')
if [ "$got" = "-1111 1-111 11-11 111-1 1111- " ]; then ok "before any fault every pair reaches"
else bad "before any fault: $got"; fi
#                 from n1  n2      n3      n4      n5    (columns: to n1..n5)
shape halves          -1000 1-000   00-11   001-1   0011-
shape isolate-one     -1011 1-011   00-00   110-1   1101-
shape majorities-ring -1001 1-100   01-10   001-1   1001-
shape bridge          -1100 1-100   11-11   001-1   0011-
shape one-way         -0111 1-111   11-11   111-1   1111-

# A malformed request gets an error reply and the agent goes on serving.
echo 'this is not json' >&"${FD[3]}"
request 3 '"cmd":"status"' && ok "after a malformed request the agent still serves" \
    || bad "agent n3 after garbage: $(tail -n 2 "$DIR/out3")"
grep -q '"ok":false,"error":"not a JSON request' "$DIR/out3" && ok "the malformed request got an error reply" \
    || bad "no error reply: $(cat "$DIR/out3")"

# Clock: bump n2 by +2500 ms through its agent; a process under the shim sees it, the
# host (and a process without the shim) does not; reset brings it back.
# skew_bounds_ms COMMAND...: COMMAND prints a clock's reading in ns; prints "LOW HIGH", the
# bounds of that clock's distance from the host's. The reading was taken between a host read
# before the command and one after it, so the command's start-up (ip netns exec, a client
# program, the shim's loading: hundreds of ms on a loaded machine) is never counted as
# skew; a bracket wider than 150 ms is read again (up to 10 times), so it stays a
# measurement.
skew_bounds_ms() {
    local before after t _
    for _ in $(seq 10); do
        before=$(date +%s%N)
        t=$("$@")
        after=$(date +%s%N)
        [[ $t =~ ^[0-9]+$ ]] || { echo "no-reading:$t"; return; }
        ((after - before <= 150000000)) && break
    done
    echo "$(( (t - after) / 1000000 )) $(( (t - before) / 1000000 ))"
}
# skew_fits LOW_OK HIGH_OK "LOW HIGH": the measured bounds overlap the expected range.
skew_fits() {
    local lo_ok=$1 hi_ok=$2 lo hi
    read -r lo hi <<<"$3"
    [[ $lo =~ ^-?[0-9]+$ && $hi =~ ^-?[0-9]+$ ]] && [ "$lo" -le "$hi_ok" ] && [ "$hi" -ge "$lo_ok" ]
}
shimmed_ns() { LD_PRELOAD=$SHIM FL_CLOCK_FILE=$1 date +%s%N; } # shimmed_ns CLOCK_FILE
# The host clock's distance from the boot-time clock: constant unless someone sets it.
host_offset_ms() {
    local up _
    read -r up _ </proc/uptime
    echo $(( $(date +%s%N) / 1000000 - ${up/./} * 10 ))
}
before_host=$(host_offset_ms)
request 2 '"cmd":"clock","op":"bump","delta_ms":2500' || bad "clock bump request"
skew=$(skew_bounds_ms shimmed_ns "$DIR/clock2")
skew_fits 2450 2700 "$skew" && ok "clock bump: the shimmed clock is ${skew/ /..} ms ahead" \
    || bad "clock bump: skew ${skew/ /..} ms"
request 2 '"cmd":"clock","op":"reset"' || bad "clock reset request"
skew=$(skew_bounds_ms shimmed_ns "$DIR/clock2")
skew_fits -50 150 "$skew" && ok "clock reset: skew ${skew/ /..} ms" || bad "clock reset: skew ${skew/ /..} ms"

# redis-server (linked with jemalloc, where libfaketime aborts) under the shim on n2:
# `redis-cli TIME` must show the bump. Debian's redis-tools ships the server binary as
# redis-check-rdb (redis-server is a symlink that picks the mode from argv[0]), so no
# service is installed or started; the test starts its own and ends it by PID.
REDIS_BIN=$(command -v redis-check-rdb)
if [ -z "$REDIS_BIN" ] || ! command -v redis-cli >/dev/null; then
    bad "redis-tools is not installed (scripts/install-deps.sh installs it)"
else
    ln -s "$REDIS_BIN" "$DIR/redis-server"
    (for f in "${FD[@]}"; do [ -n "$f" ] && eval "exec $f>&-"; done
     exec ip netns exec "$CL-n2" env LD_PRELOAD="$SHIM" FL_CLOCK_FILE="$DIR/clock2" \
         "$DIR/redis-server" --port 6390 --bind 127.0.0.1 --save "" --appendonly no \
         --daemonize no --dir "$DIR" --logfile "$DIR/redis.log" </dev/null >/dev/null 2>&1) &
    REDIS=$!
    for _ in $(seq 100); do
        ip netns exec "$CL-n2" redis-cli -p 6390 PING 2>/dev/null | grep -q PONG && break
        sleep 0.05
    done
    redis_ns() { # redis's TIME (seconds, then microseconds) in ns
        local t
        t=$(ip netns exec "$CL-n2" redis-cli -p 6390 TIME | tr '\n' ' ')
        [[ $t =~ ^([0-9]+)\ ([0-9]+)\ $ ]] || { echo "no-TIME:$t"; return; }
        echo $(( (BASH_REMATCH[1] * 1000000 + BASH_REMATCH[2]) * 1000 ))
    }
    request 2 '"cmd":"clock","op":"bump","delta_ms":4000' || bad "clock bump request (redis)"
    skew=$(skew_bounds_ms redis_ns)
    skew_fits 3900 4300 "$skew" && ok "redis-server under the shim: TIME is ${skew/ /..} ms ahead after a 4000 ms bump" \
        || bad "redis-server under the shim: TIME skew ${skew/ /..} ms (log: $(tail -n 3 "$DIR/redis.log" 2>/dev/null))"
    request 2 '"cmd":"clock","op":"reset"' || bad "clock reset request (redis)"
    skew=$(skew_bounds_ms redis_ns)
    skew_fits -100 200 "$skew" && ok "redis-server after reset: TIME skew ${skew/ /..} ms" \
        || bad "redis-server after reset: skew ${skew/ /..} ms"
    kill "$REDIS" 2>/dev/null; wait "$REDIS" 2>/dev/null
    REDIS=""
fi
moved=$(( $(host_offset_ms) - before_host ))
[ "${moved#-}" -lt 100 ] && ok "the host clock did not move (realtime - boottime changed by ${moved} ms)" \
    || bad "host clock moved by ${moved} ms"

# A process tree (a server and the workers it forked, as PostgreSQL's postmaster and
# backends): with "tree" a STOP stops the parent and both children, a CONT resumes all
# three; without it only the parent is stopped.
(for f in "${FD[@]}"; do [ -n "$f" ] && eval "exec $f>&-"; done
 sleep 1000 & sleep 1000 & wait) </dev/null >/dev/null 2>&1 &
PARENT=$!
echo "$PARENT" >"$DIR/parent.pid"
for _ in $(seq 100); do [ "$(pgrep -P "$PARENT" | wc -l)" = 2 ] && break; sleep 0.02; done
KIDS=$(pgrep -P "$PARENT" | tr '\n' ' ')
states() { for p in $PARENT $KIDS; do ps -o stat= -p "$p" | cut -c1; done | tr -d '\n'; }
# A signalled process changes state when it next runs (a loaded machine may take a
# moment): whether the states become WANT within 2 s.
states_become() { for _ in $(seq 100); do [ "$(states)" = "$1" ] && return 0; sleep 0.02; done; return 1; }
request 1 "\"cmd\":\"signal\",\"pidfile\":\"$DIR/parent.pid\",\"sig\":\"STOP\",\"tree\":true" || bad "STOP tree"
states_become TTT && ok "STOP with tree: the parent and its 2 children are in state T" \
    || bad "STOP with tree: states $(states) (parent $PARENT, children $KIDS)"
request 1 "\"cmd\":\"signal\",\"pidfile\":\"$DIR/parent.pid\",\"sig\":\"CONT\",\"tree\":true" || bad "CONT tree"
states_become SSS && ok "CONT with tree: all three run again" || bad "CONT with tree: states $(states)"
request 1 "\"cmd\":\"signal\",\"pidfile\":\"$DIR/parent.pid\",\"sig\":\"STOP\"" || bad "STOP parent"
states_become TSS && ok "STOP without tree: the parent only" || bad "STOP without tree: states $(states)"
request 1 "\"cmd\":\"signal\",\"pidfile\":\"$DIR/parent.pid\",\"sig\":\"CONT\"" || bad "CONT parent"
kill -KILL $KIDS "$PARENT" 2>/dev/null; wait "$PARENT" 2>/dev/null

# The dead man's switch: a partition, a paused process and a clock bump all in force on
# n1, then the controller's end goes away: all three must be undone. From here no
# heartbeat: n1's stdin must close, and n2 must hear nothing for its watchdog.
stop_heartbeats
(for f in "${FD[@]}"; do [ -n "$f" ] && eval "exec $f>&-"; done   # not the agents' pipes
 exec sleep 1000 </dev/null >/dev/null 2>&1) &
SLEEPER=$!
echo "$SLEEPER" >"$DIR/sleeper.pid"
request 1 "\"cmd\":\"partition\",\"drop\":[\"$(addr 2)\",\"$(addr 3)\"]" || bad "last partition"
request 1 "\"cmd\":\"signal\",\"pidfile\":\"$DIR/sleeper.pid\",\"sig\":\"STOP\"" || bad "STOP"
request 1 '"cmd":"clock","op":"bump","delta_ms":-3000' || bad "last bump"
[ "$(ps -o stat= -p "$SLEEPER" | cut -c1)" = T ] && ok "STOP: the pidfile's process is in state T" \
    || bad "STOP: state $(ps -o stat= -p "$SLEEPER")"
eval "exec ${FD[1]}>&-"
FD[1]=""
sleep 0.5
if ip netns exec "$CL-n1" tc qdisc show dev eth0 | grep -q htb; then bad "n1 still partitioned after its stdin closed"
else ok "stdin closed: the agent healed n1 and exited"; fi
[ "$(ps -o stat= -p "$SLEEPER" | cut -c1)" = S ] && ok "stdin closed: the paused process runs again" \
    || bad "stdin closed: state $(ps -o stat= -p "$SLEEPER")"
skew=$(skew_bounds_ms shimmed_ns "$DIR/clock1")
skew_fits -50 150 "$skew" && ok "stdin closed: n1's clock offset is back to 0 (${skew/ /..} ms)" \
    || bad "stdin closed: n1's clock still off by ${skew/ /..} ms"
kill -KILL "$SLEEPER"; wait "$SLEEPER" 2>/dev/null
grep -q "stdin closed; undid everything" "$DIR/err1" && ok "the agent says why it let go" || bad "agent log: $(cat "$DIR/err1")"

# The watchdog: n2 partitioned, then no request for longer than --watchdog.
request 2 "\"cmd\":\"partition\",\"drop\":[\"$(addr 4)\"]" || bad "watchdog partition"
ip netns exec "$CL-n2" tc qdisc show dev eth0 | grep -q htb || bad "n2 not partitioned"
start=$(date +%s%N)
while ip netns exec "$CL-n2" tc qdisc show dev eth0 | grep -q htb; do
    sleep 0.1
    [ $(( ($(date +%s%N) - start) / 1000000 )) -gt $((WATCHDOG * 1000 + 4000)) ] && break
done
waited=$(( ($(date +%s%N) - start) / 1000000 ))
if [ "$waited" -le $((WATCHDOG * 1000 + 2500)) ] && grep -q "watchdog" "$DIR/err2"; then
    ok "watchdog: n2 healed ${waited} ms after its last request (watchdog $WATCHDOG s)"
else bad "watchdog: n2 after ${waited} ms; log: $(cat "$DIR/err2")"; fi

echo "$pass passed, $fail failed"
test "$fail" -eq 0
