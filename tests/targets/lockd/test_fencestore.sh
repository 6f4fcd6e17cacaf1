#!/usr/bin/env bash
# test_fencestore.sh FL_FENCESTORE CLIENT: one fl-fencestore on 127.0.0.1 (a free port below
# the ephemeral range, a temporary folder), driven through qkv_client: fenced reads and
# writes (accepted, rejected, seq), peek, ping, status, bad lines, durability across
# SIGKILL (value, fence and seq; a rejection's seq too), a torn journal tail cut at start,
# a corrupt record refusing the start, bad flags, clean SIGTERM, and each seeded bug's
# behaviour. Every daemon is stopped by its pid and the folder removed, whatever happens.
set -euo pipefail

FS=$1
CLIENT=$2
# TMP, DATA, PID, P1..P4, PEERS, fail, port, start, kill9, stop, req, expect, expect_has,
# expect_starts, run_bad (and the cleanup on exit)
source "$(dirname "${BASH_SOURCE[0]}")/../daemons.sh" "$FS" "$CLIENT" fl-fencestore-test

# w ID TOKEN VALUE / r ID TOKEN / p ID: request lines on resource "r"
w() { echo "{\"id\":$1,\"f\":\"write\",\"key\":\"r\",\"value\":{\"token\":$2,\"value\":$3}}"; }
r() { echo "{\"id\":$1,\"f\":\"read\",\"key\":\"r\",\"value\":{\"token\":$2}}"; }
p() { echo "{\"id\":$1,\"f\":\"peek\",\"key\":\"r\"}"; }
# ok ID TOKEN VALUE FENCE SEQ / stale ID TOKEN FENCE SEQ / peeked ID VALUE FENCE SEQ: replies
ok() { echo "{\"id\":$1,\"type\":\"ok\",\"value\":{\"token\":$2,\"value\":$3,\"fence\":$4,\"seq\":$5}}"; }
stale() {
    echo "{\"id\":$1,\"type\":\"fail\",\"error\":\"stale-token\",\"value\":{\"token\":$2,\"fence\":$3,\"seq\":$4}}"
}
peeked() { echo "{\"id\":$1,\"type\":\"ok\",\"value\":{\"value\":$2,\"fence\":$3,\"seq\":$4}}"; }
JOURNAL=$DATA/n1/data/fences.log

echo "== fenced accesses: the fence rises, a lower token is rejected, every decision takes a seq"
start n1
expect n1 '{"id":1,"f":"ping"}' '{"id":1,"type":"ok","node":"n1"}'
expect n1 "$(p 2)" "$(peeked 2 null null 0)"
expect n1 "$(r 3 2)" "$(ok 3 2 null 2 1)"     # a read of a never-written register: null
expect n1 "$(w 4 5 1)" "$(ok 4 5 1 5 2)"
expect n1 "$(r 5 4)" "$(stale 5 4 5 3)"       # a stale read is rejected too
expect n1 "$(w 6 4 9)" "$(stale 6 4 5 4)"     # rejected before it touches the value
expect n1 "$(r 7 5)" "$(ok 7 5 1 5 5)"        # the same token again: accepted
expect n1 "$(w 8 7 2)" "$(ok 8 7 2 7 6)"
expect n1 "$(p 9)" "$(peeked 9 2 7 6)"        # peek: no fence, no seq
expect n1 "$(p 10)" "$(peeked 10 2 7 6)"
expect n1 '{"id":11,"f":"write","key":1,"value":{"token":0,"value":[1]}}' \
    '{"id":11,"type":"ok","value":{"token":0,"value":[1],"fence":0,"seq":1}}'  # 1 is not "r"
expect_has n1 '{"id":12,"f":"status"}' '"mode":"correct"' '"resources":2' '"accepted":5' \
    '"rejected":2'

echo "== bad lines get a fail reply and the connection keeps working"
# each bad line, and the start of its reply (the error's detail names what was wrong)
bad=('garbage' '{"id":null,"type":"fail","error":"malformed","detail":"not JSON'
     '{"id":13,"f":"cas","key":"r"}' '{"id":13,"type":"fail","error":"unknown-f",'
     '{"id":14,"f":"write","key":"r","value":{"token":9}}' '{"id":14,"type":"fail","error":"malformed","detail":"a write'
     '{"id":15,"f":"read","key":"r","value":{"token":-3}}' '{"id":15,"type":"fail","error":"malformed","detail":"value.token'
     '{"id":16,"f":"read","key":[1],"value":{"token":1}}' '{"id":16,"type":"fail","error":"malformed","detail":"key'
     '{"id":17,"f":"ping"}' '{"id":17,"type":"ok","node":"n1"}')
expect_starts n1 "${bad[@]}"
expect n1 "$(p 18)" "$(peeked 18 2 7 6)"      # bad lines took no seq

echo "== pipelining: 50 writes at once, tokens 8 and 7 in turn: 25 accepted, 25 rejected"
lines=()
for i in $(seq 50); do lines+=("$(w "$i" $((7 + i % 2)) "$i")"); done
out=$(req n1 --pipeline "${lines[@]}") || fail "pipelined writes"
[ "$(grep -c '"type":"ok"' <<<"$out")" = 25 ] || fail "pipelined writes: $out"
[ "$(grep -c '"error":"stale-token"' <<<"$out")" = 25 ] || fail "pipelined writes: $out"
[ "$(sed -n 49p <<<"$out")" = "$(ok 49 8 49 8 55)" ] || fail "pipelined writes: $out"
[ "$(sed -n 50p <<<"$out")" = "$(stale 50 7 8 56)" ] || fail "pipelined writes: $out"

echo "== SIGKILL right after the acks: value, fence and seq survive, a rejection's seq too"
expect n1 "$(r 19 3)" "$(stale 19 3 8 57)"
kill9 n1
start n1
grep -q "recovered 2 resources" "$DATA/n1/log" || fail "n1 did not recover its 2 resources"
expect n1 "$(p 20)" "$(peeked 20 49 8 57)"
expect n1 "$(w 21 7 0)" "$(stale 21 7 8 58)"
expect n1 '{"id":22,"f":"peek","key":1}' '{"id":22,"type":"ok","value":{"value":[1],"fence":0,"seq":1}}'

echo "== a torn journal tail is cut at start-up"
size=$(stat -c %s "$JOURNAL")
expect n1 "$(w 23 9 3)" "$(ok 23 9 3 9 59)"
kill9 n1
truncate -s -4 "$JOURNAL"     # the last record loses its end: a write the crash cut
start n1
grep -q "fences.log: truncated a torn tail of .* bytes (1 line) after record" "$DATA/n1/log" ||
    fail "n1 did not report the torn tail"
[ "$(stat -c %s "$JOURNAL")" = "$size" ] || fail "the torn tail is still in $JOURNAL"
expect n1 "$(p 24)" "$(peeked 24 49 8 58)"
expect n1 "$(w 25 9 3)" "$(ok 25 9 3 9 59)"

echo "== startup errors: clear message, non-zero exit"
ONE="--id n4 --listen 127.0.0.1:$P4 --peers n4=127.0.0.1:$P4"
run_bad 64 "known bugs are write-before-fence, no-fence" $ONE --data-dir "$TMP/x" --bug early-grant
run_bad 64 "only one bug at a time" $ONE --data-dir "$TMP/x" --bug no-fence \
    --bug write-before-fence
run_bad 64 "--data-dir is required" $ONE
run_bad 1 "locked" $ONE --data-dir "$DATA/n1/data"
mkdir -p "$TMP/corrupt"
cp "$JOURNAL" "$TMP/corrupt/fences.log"
sed -i '2s/"seq":2/"seq":3/' "$TMP/corrupt/fences.log"   # a middle record's bit flipped
! cmp -s "$JOURNAL" "$TMP/corrupt/fences.log" || fail "the corruption changed nothing"
run_bad 1 "$TMP/corrupt/fences.log line 2: CRC mismatch; .*corruption" $ONE --data-dir "$TMP/corrupt"

echo "== SIGTERM: a clean exit, the pidfile removed"
stop n1

echo "== --bug write-before-fence: a stale token is applied, then the fence is max(fence, token)"
DATA=$TMP/bug-wbf
start n1 --bug write-before-fence
grep -q "bugs: write-before-fence" "$DATA/n1/log" || fail "n1 does not say it runs with the bug"
expect n1 "$(w 1 5 1)" "$(ok 1 5 1 5 1)"
expect n1 "$(w 2 3 2)" "$(ok 2 3 2 5 2)"      # the stale write lands
expect n1 "$(r 3 1)" "$(ok 3 1 2 5 3)"
expect n1 "$(w 4 6 4)" "$(ok 4 6 4 6 4)"
stop n1

echo "== --bug no-fence: tokens ignored, no fence kept"
DATA=$TMP/bug-no-fence
start n1 --bug no-fence
grep -q "bugs: no-fence" "$DATA/n1/log" || fail "n1 does not say it runs with the bug"
expect n1 "$(w 1 5 1)" "$(ok 1 5 1 null 1)"
expect n1 "$(w 2 3 2)" "$(ok 2 3 2 null 2)"
expect n1 "$(r 3 0)" "$(ok 3 0 2 null 3)"
kill9 n1
start n1 --bug no-fence
expect n1 "$(p 4)" "$(peeked 4 2 null 3)"
stop n1

echo "PASS"
