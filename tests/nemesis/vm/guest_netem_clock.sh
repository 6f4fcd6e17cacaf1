#!/bin/sh
# Runs inside the test VM (busybox sh, as /fl-guest.sh): faultline-agent's netem and
# `system` clock mode on a real Debian kernel. Two namespaces a (10.213.0.11) and b
# (10.213.0.12) joined by a veth pair; the agent serves in a, driven with JSON lines
# through a FIFO. Checks: hello reports netem and system clock; netem delay 100 ms raises
# the RTT a->b by >= 100 ms; loss 100% blocks; heal restores; clock bump moves this
# guest's realtime clock, reset puts it back; stdin EOF undoes everything; an agent told
# the controller runs on this very kernel refuses a clock bump. Every check prints
# PASS/FAIL with what it measured; the exit status is the number of failures.
# Needs FL_HOST_BOOT_ID (from /etc/fl-vm.env, written by make-initramfs.sh).
set -u
trap '' PIPE # a dead agent makes a request fail, not this script

# busybox sh runs its own applets before PATH: call iproute2 and tc by path.
IP=/sbin/ip
TC=/sbin/tc
AGENT=/bin/faultline-agent
A=10.213.0.11
B=10.213.0.12
fails=0
pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
info() { echo "INFO: $*"; }
# Numeric comparisons of decimals (sh has integers only).
is_true() { awk "BEGIN { exit !($1) }"; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }

t_start=$(cut -d' ' -f1 /proc/uptime)

# --- two namespaces joined by a veth pair
if ! { $IP netns add a && $IP netns add b &&
  $IP link add va netns a type veth peer name vb netns b &&
  $IP -n a addr add $A/24 dev va && $IP -n b addr add $B/24 dev vb &&
  $IP -n a link set lo up && $IP -n b link set lo up &&
  $IP -n a link set va up && $IP -n b link set vb up; }; then
  fail "setting up namespaces a and b with a veth pair"
  exit 1
fi

# ping a->b COUNT times; sets SENT, RECEIVED, AVG and MED (ms; empty with no reply) and
# RTTS (each reply's). Checks compare medians: one slow reply under TCG moves an average.
ping_ab() { # count wait_s
  out=$($IP netns exec a ping -c "$1" -i 0.2 -W "$2" $B 2>&1)
  SENT=$(echo "$out" | sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p')
  RECEIVED=$(echo "$out" | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
  AVG=$(echo "$out" | sed -n 's|^round-trip min/avg/max = [0-9.]*/\([0-9.]*\)/.*|\1|p')
  RTTS=$(echo "$out" | sed -n 's/.*time=\([0-9.]*\) ms.*/\1/p' | tr '\n' ' ')
  MED=$(echo "$RTTS" | tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 }
    END { if (NR) printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
  : "${SENT:=0}" "${RECEIVED:=0}"
}

show_qdiscs() { # what is on a's veth, for the log
  [ -x $TC ] && $IP netns exec a $TC qdisc show dev va | sed 's/^/INFO:   qdisc: /'
}

# Realtime minus time since boot (s, µs resolution; /proc/uptime is not moved by
# clock_settime): its change is how far the realtime clock was moved.
clock_offset() {
  up=$(cut -d' ' -f1 /proc/uptime)
  busybox adjtimex | awk -v up="$up" '/time.tv_sec/ { s = $2 } /time.tv_usec/ { u = $2 }
    END { printf "%.3f", s + u / 1e6 - up }'
}

# --- baseline (after one warm-up ping so that ARP is resolved)
ping_ab 1 3
ping_ab 10 3
if [ "$RECEIVED" -ge 9 ] && [ -n "$MED" ]; then
  base=$MED
  pass "baseline: $RECEIVED/$SENT replies a->b, RTT median $base ms, avg $AVG ms (each: $RTTS)"
else
  fail "baseline: $RECEIVED/$SENT replies a->b; the veth pair does not work"
  exit "$fails"
fi

# --- the agent in namespace a, fed through a FIFO whose write end stays open (fd 3)
work=$(mktemp -d /tmp/agent.XXXXXX)
mkfifo "$work/in"
: >"$work/out"
$IP netns exec a $AGENT serve --clock system --watchdog 60 \
  --controller-boot-id "$FL_HOST_BOOT_ID" <"$work/in" >"$work/out" 2>"$work/err" &
agent_pid=$!
exec 3>"$work/in"
sent=0
# Sends one request line and waits (30 s at most) for its reply line: sets REP.
req() {
  sent=$((sent + 1))
  echo "INFO: -> $1"
  echo "$1" >&3 2>/dev/null
  i=0
  while [ "$(wc -l <"$work/out")" -lt "$sent" ]; do
    i=$((i + 1))
    if [ $i -gt 300 ] || ! kill -0 $agent_pid 2>/dev/null; then
      REP=""
      echo "INFO: <- (no reply; agent stderr: $(cat "$work/err"))"
      return 1
    fi
    sleep 0.1
  done
  REP=$(sed -n "${sent}p" "$work/out")
  echo "INFO: <- $REP"
}
ok() { echo "$REP" | grep -q '"ok":true'; }

# 1. hello
req '{"id":1,"cmd":"hello"}'
if ok && echo "$REP" | grep -q '"netem":true' && echo "$REP" | grep -q '"clock":"system"'; then
  pass "hello: netem true and clock system on $(uname -r)"
else
  fail "hello: wanted ok, \"netem\":true and \"clock\":\"system\"; got: $REP"
fi

# 2. netem delay 100 ms to b
req '{"id":2,"cmd":"netem","delay_ms":100,"peers":["'$B'"]}'
ok || fail "netem delay_ms 100: the agent refused: $REP"
show_qdiscs
ping_ab 10 3
if [ "$RECEIVED" -ge 9 ] && [ -n "$MED" ] && is_true "$MED - $base >= 100"; then
  pass "netem delay 100 ms: RTT median $MED ms (avg $AVG) vs baseline $base ms" \
    "(+$(calc "$MED - $base") ms; each: $RTTS)"
else
  fail "netem delay 100 ms: $RECEIVED/$SENT replies, RTT median ${MED:-none} ms vs baseline" \
    "$base ms (each: $RTTS); wanted +100 ms or more"
fi

# 3. netem loss 100% to b
req '{"id":3,"cmd":"netem","loss_pct":100,"peers":["'$B'"]}'
ok || fail "netem loss_pct 100: the agent refused: $REP"
show_qdiscs
ping_ab 5 1
if [ "$RECEIVED" = 0 ] && [ "$SENT" -ge 5 ]; then
  pass "netem loss 100%: 0/$SENT replies a->b"
else
  fail "netem loss 100%: $RECEIVED/$SENT replies a->b (wanted none)"
fi

# 4. heal netem
req '{"id":4,"cmd":"heal","only":"netem"}'
ok || fail "heal only netem: the agent refused: $REP"
show_qdiscs
ping_ab 10 3
if [ "$RECEIVED" -ge 9 ] && [ -n "$MED" ] && is_true "$MED <= $base + 20"; then
  pass "heal: $RECEIVED/$SENT replies, RTT median $MED ms (avg $AVG) vs baseline $base ms"
else
  fail "heal: $RECEIVED/$SENT replies, RTT median ${MED:-none} ms vs baseline $base ms" \
    "(each: $RTTS; wanted all back within 20 ms of baseline)"
fi

# 5. clock bump +5000 ms, then 6. reset
off0=$(clock_offset)
req '{"id":5,"cmd":"clock","op":"bump","delta_ms":5000}'
ok || fail "clock bump 5000 ms: the agent refused: $REP"
off1=$(clock_offset)
moved=$(calc "$off1 - $off0")
if is_true "$moved >= 4 && $moved <= 6"; then
  pass "clock bump +5000 ms: realtime moved $moved s against the monotonic clock"
else
  fail "clock bump +5000 ms: realtime moved $moved s against the monotonic clock (wanted 4..6)"
fi
info "guest date after the bump: $(date -u '+%F %T')"
req '{"id":6,"cmd":"clock","op":"reset"}'
ok || fail "clock reset: the agent refused: $REP"
off2=$(clock_offset)
left=$(calc "$off2 - $off0")
if is_true "$left >= -1 && $left <= 1"; then
  pass "clock reset: realtime is $left s from where it was before the bump"
else
  fail "clock reset: realtime is $left s from where it was before the bump (wanted within 1 s)"
fi

# 7. status
req '{"id":7,"cmd":"status"}'
ok || fail "status: $REP"

# 8. stdin EOF undoes what is in force: a delay and a skew, then close the FIFO.
req '{"id":8,"cmd":"netem","delay_ms":100,"peers":["'$B'"]}'
ok || fail "netem delay_ms 100 (before EOF): the agent refused: $REP"
req '{"id":9,"cmd":"clock","op":"bump","delta_ms":-3000}'
ok || fail "clock bump -3000 ms (before EOF): the agent refused: $REP"
info "skew before EOF: $(calc "$(clock_offset) - $off0") s"
exec 3>&-
i=0
while kill -0 $agent_pid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 $agent_pid 2>/dev/null; then
  fail "the agent did not exit within 10 s of stdin EOF"
  kill $agent_pid
fi
wait $agent_pid
info "agent exit status $?; its stderr: $(cat "$work/err")"
show_qdiscs
ping_ab 5 3
left=$(calc "$(clock_offset) - $off0")
if [ "$RECEIVED" -ge 4 ] && [ -n "$MED" ] && is_true "$MED <= $base + 20" &&
   is_true "$left >= -1 && $left <= 1"; then
  pass "stdin EOF undid everything: RTT median $MED ms, realtime $left s from before"
else
  fail "stdin EOF: $RECEIVED/$SENT replies, RTT median ${MED:-none} ms (baseline $base)," \
    "realtime $left s from before (wanted both undone)"
fi

# 9. An agent told that the controller runs on this kernel refuses system clock mode.
guest_boot_id=$(cat /proc/sys/kernel/random/boot_id)
info "boot ids: guest $guest_boot_id, host (controller) $FL_HOST_BOOT_ID"
off0=$(clock_offset)
printf '%s\n' '{"id":1,"cmd":"clock","op":"bump","delta_ms":5000}' |
  $IP netns exec b $AGENT serve --clock system --watchdog 10 \
    --controller-boot-id "$guest_boot_id" >"$work/out2" 2>"$work/err2"
REP=$(head -n 1 "$work/out2")
info "<- $REP"
moved=$(calc "$(clock_offset) - $off0")
if echo "$REP" | grep -q '"ok":false' && echo "$REP" | grep -q 'refusing system clock mode' &&
   is_true "$moved >= -1 && $moved <= 1"; then
  pass "same boot id as the controller: clock bump refused, realtime moved $moved s"
else
  fail "same boot id as the controller: wanted ok:false \"refusing system clock mode\" and" \
    "no move; got $REP, realtime moved $moved s"
fi

rm -rf "$work"
$IP netns del a
$IP netns del b
info "guest checks took $(calc "$(cut -d' ' -f1 /proc/uptime) - $t_start") s; $fails failed"
[ $fails -le 50 ] || fails=50 # never 77 (skip) by accident
exit $fails
