#!/usr/bin/env bash
# payments under `faultline test` on a real local cluster at the target's defaults (10 s of
# calm, then payments paused, its replies cut one way, orders killed; the bug's run starts
# its faults after 1 s to be short), short versions of
# tests/scenarios/scenario_payments.sh: the correct mode's ledger is valid and retry-storm
# measured every fault window from fl-payments' request log; no-idempotency-key is caught
# by ledger, each anomaly naming its order, the client's ops and the ledger entries.
#
# usage: test_payments_cluster.sh FAULTLINE
set -u
FL=$1
source "$(dirname "$0")/../../support/cluster_lib.sh"
scratch_cluster
run() { # name, extra flags…
    local name=$1; shift
    "$FL" test --target payments --nodes-file "$NODES" --store "$STORE" --name "$name" \
        --recovery-time 2 "$@" >"$DIR/$name.out" 2>"$DIR/$name.err"
}
result() { jq -r "$2" "$STORE/$1/latest/results.json"; }

run correct --seed 3 --time-limit 16
rc=$?
[ "$rc" = 0 ] && ok "payments correct at its defaults: valid" \
    || bad "payments correct: exit $rc: $(tail -n 3 "$DIR/correct.err") $(result correct '.checkers | tojson' | cut -c1-600)"
[ "$(result correct '.checkers.ledger.valid')" = true ] && ok "ledger valid: $(result correct \
    '.checkers.ledger | "\(.order_count) orders, \(.charge_count) charges, \(.refund_count) refunds"')" \
    || bad "ledger: $(result correct '.checkers.ledger | tojson' | cut -c1-400)"
windows=$(result correct '.checkers["retry-storm"].windows | length')
[ "$windows" -ge 1 ] && ok "retry-storm measured $windows fault window(s): $(result correct \
    '.checkers["retry-storm"].summary | tojson')" || bad "retry-storm measured no window"
[ -s "$STORE/correct/latest/nodes/n1/payments-requests.jsonl" ] \
    && ok "fl-payments' request log fetched ($(wc -l <"$STORE/correct/latest/nodes/n1/payments-requests.jsonl") requests)" \
    || bad "no request log in nodes/n1"
grep -q "retry-storm-section" "$STORE/correct/latest/report.html" && grep -q "\"max_wave_ratio\"" "$STORE/correct/latest/report.html" \
    && ok "the report has its retry-storm section" || bad "no retry-storm section in report.html"

run dup --bug no-idempotency-key --seed 3 --time-limit 12 --nemesis-delay 1
rc=$?
[ "$rc" = 1 ] && [ "$(result dup '.checkers.ledger.valid')" = false ] \
    && ok "no-idempotency-key: ledger invalid ($(result dup '.checkers.ledger["anomaly-types"] | join(",")'))" \
    || bad "no-idempotency-key: exit $rc, ledger $(result dup '.checkers.ledger.valid')"
result dup '.checkers.ledger.anomalies[0] | tojson' | jq -e '(.order | type) == "number" and
    (.ops | length) >= 1 and (.entries | length) >= 2 and (.explanation | test("order [0-9]+"))' >/dev/null \
    && ok "the anomaly names its order, ops and entries: $(result dup '.checkers.ledger.anomalies[0].explanation' | cut -c1-160)" \
    || bad "anomaly without order, ops or entries: $(result dup '.checkers.ledger.anomalies[0] | tojson' | cut -c1-300)"
echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
