#!/usr/bin/env bash
# test_payments.sh FL_PAYMENTS CLIENT: one fl-payments on 127.0.0.1 (a free port below the
# ephemeral range, a temporary folder), driven through qkv_client: charges, a repeat under
# the same idempotency key, a mismatch, refunds, the ledger read, ping and status, bad
# lines, replies in request order, shedding past the capacity, the request log, durability
# across SIGKILL (entries, balances and keys), a torn journal tail cut at start, a corrupt
# record refusing the start, bad flags, clean SIGTERM. Every daemon is stopped by its pid
# and the folder removed, whatever happens.
set -euo pipefail

PAY=$1
CLIENT=$2
# TMP, DATA, PID, P1..P4, PEERS, fail, port, start, kill9, stop, req, expect, expect_has,
# expect_starts, run_bad (and the cleanup on exit)
source "$(dirname "${BASH_SOURCE[0]}")/../daemons.sh" "$PAY" "$CLIENT" fl-payments-test

# money ID F ORDER ACCOUNT AMOUNT IDEM CALL ATTEMPT: a charge or refund line (IDEM: a JSON
# string or null; ORDER: JSON)
money() {
    echo "{\"id\":$1,\"f\":\"$2\",\"key\":$3,\"value\":{\"account\":\"$4\",\"amount\":$5,\"idem\":$6,\"call\":\"$7\",\"attempt\":$8}}"
}
# done ID ENTRY ORDER ACCOUNT KIND AMOUNT BALANCE REPEAT: its ok reply
done_() {
    echo "{\"id\":$1,\"type\":\"ok\",\"value\":{\"entry\":$2,\"order\":$3,\"account\":\"$4\",\"kind\":\"$5\",\"amount\":$6,\"balance\":$7,\"repeat\":$8}}"
}
JOURNAL=$DATA/n1/data/ledger.log
REQLOG=$DATA/n1/requests.jsonl   # the default: beside the data dir

echo "== charges, a repeat, a mismatch, refunds"
start n1 --initial-balance 500
expect n1 '{"id":1,"f":"ping"}' '{"id":1,"type":"ok","node":"n1"}'
expect n1 "$(money 2 charge '"o1"' alice 120 '"k1"' c1 1)" "$(done_ 2 1 '"o1"' alice charge 120 380 false)"
# the same call retried: the first result, nothing new
expect n1 "$(money 3 charge '"o1"' alice 120 '"k1"' c1 2)" "$(done_ 3 1 '"o1"' alice charge 120 380 true)"
# the key for another amount, kind or order: refused, nothing done
for line in "$(money 4 charge '"o1"' alice 121 '"k1"' c1 3)" "$(money 4 refund '"o1"' alice 120 '"k1"' c1 3)" \
            "$(money 4 charge 1 alice 120 '"k1"' c1 3)" "$(money 4 charge '"o1"' bob 120 '"k1"' c1 3)"; do
    expect_has n1 "$line" '{"id":4,"type":"fail","error":"idem-mismatch","detail":"the idempotency key was used for entry 1'
done
expect n1 "$(money 5 refund '"o1"' alice 120 '"r1"' c2 1)" "$(done_ 5 2 '"o1"' alice refund 120 500 false)"
# no key: each call is a new entry (the caller's key is what stops a double refund)
expect n1 "$(money 6 refund '"o1"' alice 120 null c3 1)" "$(done_ 6 3 '"o1"' alice refund 120 620 false)"
expect n1 "$(money 7 charge 42 bob 900 null c4 1)" "$(done_ 7 4 42 bob charge 900 -400 false)"  # no overdraft check
expect n1 '{"id":8,"f":"ledger"}' '{"id":8,"type":"ok","value":{"entries":[{"seq":1,"order":"o1","account":"alice","kind":"charge","amount":120,"key":"k1"},{"seq":2,"order":"o1","account":"alice","kind":"refund","amount":120,"key":"r1"},{"seq":3,"order":"o1","account":"alice","kind":"refund","amount":120,"key":null},{"seq":4,"order":42,"account":"bob","kind":"charge","amount":900,"key":null}],"balances":{"alice":620,"bob":-400},"initial":{"alice":500,"bob":500}}}'
expect_has n1 '{"id":9,"f":"status"}' '"capacity":4' '"service_ms":5' '"queue":32' '"served":9' \
    '"repeats":1' '"entries":4' '"accounts":2' '"shed":0' '"in_service":0' '"queued":0'

echo "== bad lines get a fail reply and the connection keeps working"
bad=('garbage' '{"id":null,"type":"fail","error":"malformed","detail":"not JSON'
     '{"id":10,"f":"transfer"}' '{"id":10,"type":"fail","error":"unknown-f",'
     "$(money 11 charge '"o"' alice 0 null c5 1)" '{"id":11,"type":"fail","error":"malformed","detail":"value.amount'
     "$(money 12 charge '[1]' alice 1 null c5 1)" '{"id":12,"type":"fail","error":"malformed","detail":"key'
     '{"id":13,"f":"refund","key":"o","value":{"account":"a","amount":1}}' '{"id":13,"type":"fail","error":"malformed","detail":"value.call'
     '{"id":14,"f":"ping"}' '{"id":14,"type":"ok","node":"n1"}')
expect_starts n1 "${bad[@]}"
expect_has n1 '{"id":15,"f":"status"}' '"entries":4' '"malformed":5'

echo "== pipelined: replies in request order (a ping answered at once waits for the charge before it)"
out=$(req n1 --pipeline "$(money 16 charge '"o2"' carol 1 null c6 1)" '{"id":17,"f":"ping"}' \
      "$(money 18 charge '"o2"' carol 1 null c7 1)" '{"id":19,"f":"ledger"}') || fail "pipelined"
[ "$(grep -o '^{"id":[0-9]*' <<<"$out" | tr '\n' ' ')" = '{"id":16 {"id":17 {"id":18 {"id":19 ' ] ||
    fail "pipelined replies out of order: $out"
# the ledger read bypasses the service: it shows the ledger when its line was read, before
# the charges still in service ahead of it (README.md)
[[ $(sed -n 4p <<<"$out") != *carol* ]] || fail "the ledger read waited for the service: $out"
expect_has n1 '{"id":19,"f":"ledger"}' '"balances":{"alice":620,"bob":-400,"carol":498}'

echo "== the request log: one line per charge or refund, with its outcome"
stop n1   # the last turn's lines are written by now
n=$(wc -l <"$REQLOG")
[ "$n" = 14 ] || fail "$n request log lines, want 14: $(cat "$REQLOG")"
grep -q '"call":"c1","attempt":2,"order":"o1","kind":"charge","outcome":"repeat"}$' "$REQLOG" || fail "no repeat line"
[ "$(grep -c '"outcome":"idem-mismatch"' "$REQLOG")" = 4 ] || fail "mismatch lines: $(cat "$REQLOG")"
[ "$(grep -c '"outcome":"malformed"' "$REQLOG")" = 3 ] || fail "malformed lines: $(cat "$REQLOG")"
grep -q '"call":null,"attempt":null,"order":null,"kind":"refund","outcome":"malformed"}$' "$REQLOG" ||
    fail "the refund without call is not logged"
grep -q '"call":"c4","attempt":1,"order":42,"kind":"charge","outcome":"ok"}$' "$REQLOG" || fail "no ok line"
# every line: arrived_ns <= done_ns, and a charge's service (5 ms) between them
while read -r a d; do
    [ "$a" -le "$d" ] || fail "arrived_ns $a after done_ns $d"
done < <(sed 's/^{"arrived_ns":\([0-9]*\),"done_ns":\([0-9]*\),.*/\1 \2/' "$REQLOG")
line=$(grep '"call":"c4"' "$REQLOG")
a=$(sed 's/^{"arrived_ns":\([0-9]*\),.*/\1/' <<<"$line")
d=$(sed 's/^{"arrived_ns":[0-9]*,"done_ns":\([0-9]*\),.*/\1/' <<<"$line")
[ $((d - a)) -ge 4000000 ] || fail "a charge took $((d - a)) ns, under its 5 ms of service"

echo "== SIGKILL right after the acks: entries, balances and keys survive"
start n1 --initial-balance 500
expect n1 "$(money 20 charge '"o3"' alice 7 '"k3"' c8 1)" "$(done_ 20 7 '"o3"' alice charge 7 613 false)"
kill9 n1
start n1 --initial-balance 500
grep -q "recovered 7 entries (3 accounts, 3 idempotency keys)" "$DATA/n1/log" || fail "n1 did not recover its entries"
expect n1 "$(money 21 charge '"o3"' alice 7 '"k3"' c8 2)" "$(done_ 21 7 '"o3"' alice charge 7 613 true)"
expect n1 "$(money 22 charge '"o1"' alice 120 '"k1"' c1 4)" "$(done_ 22 1 '"o1"' alice charge 120 380 true)"
expect_has n1 '{"id":23,"f":"ledger"}' '"balances":{"alice":613,"bob":-400,"carol":498}'

echo "== a torn journal tail is cut at start-up (its key goes with its entry)"
size=$(stat -c %s "$JOURNAL")
expect n1 "$(money 24 refund '"o3"' alice 7 '"k4"' c9 1)" "$(done_ 24 8 '"o3"' alice refund 7 620 false)"
kill9 n1
truncate -s -4 "$JOURNAL"     # the last record loses its end: a write the crash cut
start n1 --initial-balance 500
grep -q "ledger.log: truncated a torn tail of .* bytes (1 line) after record 7" "$DATA/n1/log" ||
    fail "n1 did not report the torn tail"
[ "$(stat -c %s "$JOURNAL")" = "$size" ] || fail "the torn tail is still in $JOURNAL"
expect n1 "$(money 25 refund '"o3"' alice 7 '"k4"' c9 2)" "$(done_ 25 8 '"o3"' alice refund 7 620 false)"

echo "== startup errors: clear message, non-zero exit"
ONE="--id n4 --listen 127.0.0.1:$P4 --peers n4=127.0.0.1:$P4"
run_bad 64 "unknown flag or missing value: --bug" $ONE --data-dir "$TMP/x" --bug no-idempotency-key
run_bad 64 "\--capacity '0': expected an integer in 1..4096" $ONE --data-dir "$TMP/x" --capacity 0
run_bad 64 "\--queue '-1'" $ONE --data-dir "$TMP/x" --queue -1
run_bad 64 "\--service-ms 'x'" $ONE --data-dir "$TMP/x" --service-ms x
run_bad 64 "\--data-dir is required" $ONE
run_bad 1 "locked" $ONE --data-dir "$DATA/n1/data"
run_bad 1 "request log $TMP/no/such/dir/r.jsonl" $ONE --data-dir "$TMP/y" --request-log "$TMP/no/such/dir/r.jsonl"
mkdir -p "$TMP/corrupt"
cp "$JOURNAL" "$TMP/corrupt/ledger.log"
sed -i '2s/"amount":120/"amount":121/' "$TMP/corrupt/ledger.log"   # a middle record changed
! cmp -s "$JOURNAL" "$TMP/corrupt/ledger.log" || fail "the corruption changed nothing"
run_bad 1 "$TMP/corrupt/ledger.log line 2: CRC mismatch; .*corruption" $ONE --data-dir "$TMP/corrupt"

echo "== SIGTERM: a clean exit, the pidfile removed"
stop n1

echo "== past the capacity: 1 in service for 50 ms, 2 waiting, the rest shed at once"
DATA=$TMP/shed
start n1 --capacity 1 --service-ms 50 --queue 2 --request-log "$TMP/shed.jsonl"
lines=()
for i in $(seq 12); do lines+=("$(money "$i" charge "$i" dave 1 "\"s$i\"" "s$i" 1)"); done
out=$(req n1 --pipeline "${lines[@]}") || fail "pipelined charges"
ok=$(grep -c '"type":"ok"' <<<"$out" || true)
shed=$(grep -c '"error":"overloaded"' <<<"$out" || true)
[ $((ok + shed)) = 12 ] && [ "$ok" -ge 3 ] && [ "$shed" -ge 6 ] || fail "ok $ok, shed $shed: $out"
[ "$(grep -o '^{"id":[0-9]*' <<<"$out" | tr -d '{"id:' | tr '\n' ' ')" = "$(seq -s ' ' 12) " ] ||
    fail "replies out of order: $out"
[[ $(head -1 <<<"$out") == '{"id":1,"type":"ok"'* ]] || fail "the first charge was not served: $out"
expect_has n1 '{"id":13,"f":"status"}' "\"shed\":$shed" "\"entries\":$ok" '"in_service":0'
# shed: nothing done, so the same key again is a new entry once there is room
first_shed=$(grep -m1 '"overloaded"' <<<"$out" | sed 's/^{"id":\([0-9]*\),.*/\1/')
expect_has n1 "$(money 14 charge "$first_shed" dave 1 "\"s$first_shed\"" "s$first_shed" 2)" \
    "\"entry\":$((ok + 1))" '"repeat":false'
stop n1
[ "$(grep -c '"outcome":"overloaded"' "$TMP/shed.jsonl")" = "$shed" ] || fail "shed lines: $(cat "$TMP/shed.jsonl")"
grep -q "\"call\":\"s$first_shed\",\"attempt\":2,.*\"outcome\":\"ok\"" "$TMP/shed.jsonl" || fail "no retry line"

echo "PASS"
