#!/usr/bin/env bash
# The payments checkers on a large generated run directory: `ledger` and `retry-storm`
# through `faultline check` (a child process: wall time and peak RSS), verdicts checked.
# The run: ORDERS orders over 10 accounts at 100 ops/s of history time, a third of them
# cancelled and refunded, a fault every 60 s (20 s long); fl-payments' request log with
# one arrival per charge and refund plus a retry for one in ten, in the shape fl-payments
# writes. Generation is not timed.
#
# usage: bench_payments_check.sh FAULTLINE [ORDERS (default 100000)]
set -eu
FL=$1
ORDERS=${2:-100000}
DIR=$(mktemp -d /tmp/fl-bench-payments.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$DIR"' EXIT
mkdir -p "$DIR/nodes/n1"
ORIGIN=1000000000000
echo "{\"history_origin_mono_ns\": $ORIGIN}" >"$DIR/test.json"
awk -v n="$ORDERS" -v origin="$ORIGIN" -v hist="$DIR/history.jsonl" \
    -v reqlog="$DIR/nodes/n1/payments-requests.jsonl" '
function ms(t) { return t * 1000000 }
BEGIN {
    srand(7); t = 0; entries = ""; sep = ""
    for (a = 0; a < 10; a++) bal[a] = 1000000
    for (o = 1; o <= n; o++) {
        t += 10                                   # 100 orders a second of history time
        if (t % 60000 < 10) printf "{\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"pause-start\",\"time\":%.0f}\n", ms(t) > hist
        if (t % 60000 >= 20000 && t % 60000 < 20010) printf "{\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"pause-stop\",\"time\":%.0f}\n", ms(t) > hist
        a = o % 10; amt = 1 + o % 100; p = o % 100
        printf "{\"process\":%d,\"type\":\"invoke\",\"f\":\"order\",\"key\":%d,\"value\":{\"account\":\"a%d\",\"amount\":%d},\"time\":%.0f}\n", p, o, a, amt, ms(t) > hist
        printf "{\"process\":%d,\"type\":\"ok\",\"f\":\"order\",\"key\":%d,\"value\":{\"account\":\"a%d\",\"amount\":%d},\"time\":%.0f}\n", p, o, a, amt, ms(t + 3) > hist
        printf "{\"arrived_ns\":%.0f,\"done_ns\":%.0f,\"call\":\"n2-1-%d\",\"attempt\":1,\"order\":%d,\"kind\":\"charge\",\"outcome\":\"ok\"}\n", origin + ms(t + 1), origin + ms(t + 2), o, o > reqlog
        if (o % 10 == 0) printf "{\"arrived_ns\":%.0f,\"done_ns\":%.0f,\"call\":\"n2-1-%d\",\"attempt\":2,\"order\":%d,\"kind\":\"charge\",\"outcome\":\"repeat\"}\n", origin + ms(t + 2), origin + ms(t + 3), o, o > reqlog
        bal[a] -= amt
        entries = entries sep sprintf("{\"order\":%d,\"account\":\"a%d\",\"kind\":\"charge\",\"amount\":%d,\"key\":\"charge:%d\"}", o, a, amt, o); sep = ","
        if (o % 3 == 0) {
            printf "{\"process\":%d,\"type\":\"invoke\",\"f\":\"cancel\",\"key\":%d,\"time\":%.0f}\n", p, o, ms(t + 4) > hist
            printf "{\"process\":%d,\"type\":\"ok\",\"f\":\"cancel\",\"key\":%d,\"value\":{\"state\":\"cancelled\"},\"time\":%.0f}\n", p, o, ms(t + 8) > hist
            printf "{\"arrived_ns\":%.0f,\"done_ns\":%.0f,\"call\":\"n2-1-r%d\",\"attempt\":1,\"order\":%d,\"kind\":\"refund\",\"outcome\":\"ok\"}\n", origin + ms(t + 5), origin + ms(t + 6), o, o > reqlog
            bal[a] += amt
            entries = entries sep sprintf("{\"order\":%d,\"account\":\"a%d\",\"kind\":\"refund\",\"amount\":%d,\"key\":\"refund:%d\"}", o, a, amt, o)
        }
    }
    b = ""; i = ""
    for (a = 0; a < 10; a++) { b = b (a ? "," : "") sprintf("\"a%d\":%d", a, bal[a]); i = i (a ? "," : "") sprintf("\"a%d\":1000000", a) }
    printf "{\"process\":999,\"type\":\"invoke\",\"f\":\"ledger\",\"time\":%.0f}\n", ms(t + 100) > hist
    printf "{\"process\":999,\"type\":\"ok\",\"f\":\"ledger\",\"time\":%.0f,\"value\":{\"entries\":[%s],\"balances\":{%s},\"initial\":{%s},\"pending\":{}}}\n", ms(t + 200), entries, b, i > hist
}'
printf '%s orders: history %s, request log %s lines (%s)\n' "$ORDERS" \
    "$(du -h "$DIR/history.jsonl" | cut -f1)" "$(wc -l <"$DIR/nodes/n1/payments-requests.jsonl")" \
    "$(du -h "$DIR/nodes/n1/payments-requests.jsonl" | cut -f1)"
for checker in ledger retry-storm; do
    /usr/bin/time -f "%e %M" -o "$DIR/time" "$FL" check --checker "$checker" --out "$DIR/out.json" \
        "$DIR" >/dev/null 2>"$DIR/err" || true
    read -r secs kib < <(tail -n 1 "$DIR/time")
    valid=$(jq -r ".checkers[\"$checker\"].valid // .valid" "$DIR/out.json" 2>/dev/null)
    [ "$valid" = true ] && verdict=ok || verdict="WRONG VERDICT ($valid: $(head -c 300 "$DIR/err"))"
    printf '%-12s %6.2f s %6d MiB  %s\n' "$checker" "$secs" "$((kib / 1024))" "$verdict"
done
