# daemons.sh DAEMON CLIENT TMP_PREFIX: sourced (under set -euo pipefail) by the daemon tests
# (test_quorumkv.sh, ../raftkv_server/test_raftkv.sh) to run in-tree servers on 127.0.0.1.
# CLIENT must answer "free-ports N" (N free ports below the ephemeral range, one a line)
# and "--wait-ms MS HOST:PORT LINE" (retry until a reply). It sets TMP (a temporary folder,
# removed on exit), DATA (the cluster's folder: $DATA/<node>/{data,pid,log}), PID (node ->
# pid), P1..P4, PEERS (n1..n3 on P1..P3) and defines fail, port, start, kill9, stop, req,
# expect, expect_has, expect_starts, until_ok and run_bad.
# Every daemon is stopped by its pid and the folder removed, whatever happens.

DAEMON=$1
CLIENT=$2
TMP=$(mktemp -d "/tmp/$3.XXXXXX")
declare -A PID=()   # node -> pid of the daemon running as it
cleanup() {
    local n
    for n in "${!PID[@]}"; do kill -KILL "${PID[$n]}" 2>/dev/null || true; done
    for n in "${!PID[@]}"; do wait "${PID[$n]}" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    local log
    for log in "$TMP"/*/log "$TMP"/*/*/log; do
        [ -f "$log" ] && { echo "--- $log (last lines)" >&2; tail -n 15 "$log" >&2; }
    done
    exit 1
}

ports=$("$CLIENT" free-ports 4) || fail "no free ports"
read -r P1 P2 P3 P4 <<<"$(tr '\n' ' ' <<<"$ports")"
PEERS="n1=127.0.0.1:$P1,n2=127.0.0.1:$P2,n3=127.0.0.1:$P3"
port() { case $1 in n1) echo "$P1" ;; n2) echo "$P2" ;; n3) echo "$P3" ;; *) echo "$P4" ;; esac; }
DATA=$TMP   # the cluster's folder: $DATA/<node>/{data,pid,log}

# start NODE [FLAGS...]: in the background; returns once it answers a ping.
start() {
    local n=$1
    shift
    mkdir -p "$DATA/$n"
    "$DAEMON" --id "$n" --listen "127.0.0.1:$(port "$n")" --peers "$PEERS" \
        --data-dir "$DATA/$n/data" --pidfile "$DATA/$n/pid" "$@" 2>>"$DATA/$n/log" &
    PID[$n]=$!
    "$CLIENT" --wait-ms 10000 "127.0.0.1:$(port "$n")" '{"id":0,"f":"ping"}' >/dev/null ||
        fail "$n did not answer a ping"
    [ "$(cat "$DATA/$n/pid")" = "${PID[$n]}" ] || fail "$n: the pidfile does not hold its pid"
}

kill9() {
    local n
    for n in "$@"; do
        kill -KILL "${PID[$n]}"
        wait "${PID[$n]}" 2>/dev/null || true
        unset "PID[$n]"
    done
}

# stop NODE: SIGTERM must end it with status 0, remove its pidfile, and leave no
# sanitizer report in its log.
stop() {
    local n=$1 rc=0
    kill -TERM "${PID[$n]}"
    wait "${PID[$n]}" || rc=$?
    unset "PID[$n]"
    [ "$rc" = 0 ] || fail "$n exited with $rc after SIGTERM"
    [ ! -e "$DATA/$n/pid" ] || fail "$n left its pidfile behind"
    ! grep -q "AddressSanitizer\|runtime error\|LeakSanitizer" "$DATA/$n/log" ||
        fail "$n: sanitizer report in its log"
}

# req NODE [--pipeline] LINE...: prints the replies.
req() {
    local n=$1 flags=()
    shift
    while [[ ${1:-} == --* ]]; do flags+=("$1"); shift; done
    "$CLIENT" "${flags[@]}" "127.0.0.1:$(port "$n")" "$@"
}

# expect NODE LINE WANT: the reply to LINE is exactly WANT.
expect() {
    local got
    got=$(req "$1" "$2") || fail "$1: no reply to $2"
    [ "$got" = "$3" ] || fail "$1: $2: got $got, want $3"
}

# expect_has NODE LINE TEXT...: the reply to LINE contains every TEXT.
expect_has() {
    local got t
    got=$(req "$1" "$2") || fail "$1: no reply to $2"
    for t in "${@:3}"; do
        [[ "$got" == *"$t"* ]] || fail "$1: $2: got $got, want it to contain $t"
    done
}

# expect_starts NODE LINE WANT [LINE WANT]...: the LINEs sent on one connection, one after
# the other; each reply starts with its WANT.
expect_starts() {
    local n=$1 i got out lines=()
    shift
    local pairs=("$@")
    for ((i = 0; i < ${#pairs[@]}; i += 2)); do lines+=("${pairs[i]}"); done
    out=$(req "$n" "${lines[@]}") || fail "$n: no replies to ${lines[*]}"
    for ((i = 0; i < ${#pairs[@]}; i += 2)); do
        got=$(sed -n "$((i / 2 + 1))p" <<<"$out")
        [[ $got == "${pairs[i + 1]}"* ]] || fail "$n: ${pairs[i]}: got $got, want ${pairs[i + 1]}..."
    done
}

# until_ok NODE LINE: retries LINE (a read or write) until ok, for up to 10 s (peers
# reconnect with backoff after a start, a cluster elects a leader).
until_ok() {
    local i
    for i in $(seq 200); do
        [[ "$(req "$1" "$2" 2>/dev/null)" == *'"type":"ok"'* ]] && return 0
        sleep 0.05
    done
    fail "$1: $2 never succeeded"
}

# run_bad WANT_STATUS WANT_TEXT FLAGS...: a daemon that must not start; it exits with
# WANT_STATUS and says WANT_TEXT.
run_bad() {
    local want=$1 text=$2 rc=0
    shift 2
    timeout 10 "$DAEMON" "$@" >"$TMP/bad.out" 2>&1 || rc=$?
    [ "$rc" = "$want" ] || fail "${DAEMON##*/} $*: exit $rc, want $want: $(cat "$TMP/bad.out")"
    grep -q -- "$text" "$TMP/bad.out" || fail "${DAEMON##*/} $*: no '$text' in: $(cat "$TMP/bad.out")"
}
