#!/usr/bin/env bash
# raftkv's transactions under `faultline test` on a real local cluster: the correct mode
# with the txn-list-append workload under the target's default faults is valid, and its
# history has ok txns whose reads were filled in (DESIGN.md "History"); --bug split-txn is
# caught on txn-rw-register with no faults at all (micro-ops interleaved: G1b, G1c,
# internal); --bug dirty-read is caught on txn-list-append with the target's default
# faults (a deposed leader's uncommitted appends read, then lost: incompatible-order).
#
# usage: test_raftkv_txn_cluster.sh FAULTLINE
set -u
FL=$1
source "$(dirname "$0")/../../support/cluster_lib.sh"
scratch_cluster
run() { fl_test raftkv "$1" --recovery-time 2 "${@:2}"; } # name, extra flags…
txn_verdict() { run_result "$1" .checkers.txn.valid; }

run correct --workload txn-list-append --time-limit 10 --seed 1
rc=$?
R=$STORE/correct/latest
[ "$rc" = 0 ] && ok "raftkv correct, txn-list-append under the default faults: valid" \
    || bad "correct: exit $rc: $(tail -n 5 "$DIR/correct.err")"
[ "$(txn_verdict correct)" = true ] && ok "the txn checker ran: valid" || bad "txn verdict $(txn_verdict correct)"
oks=$(jq -c 'select(.type == "ok" and .f == "txn")' "$R/history.jsonl" | wc -l)
[ "$oks" -ge 300 ] && ok "$oks ok txns" || bad "only $oks ok txns"
# an ok read of a list filled in, and no ok read left as the invocation's null everywhere
filled=$(jq -c 'select(.type == "ok" and .f == "txn") | .value[] | select(.[0] == "r" and (.[2] | type) == "array")' \
    "$R/history.jsonl" | wc -l)
[ "$filled" -gt 0 ] && ok "$filled reads filled in with lists" || bad "no read returned a list"
bad_shape=$(jq -c 'select(.f == "txn") | .value[] | select((. | length) != 3 or (.[0] | IN("append", "r") | not) or (.[1] | type) != "number")' \
    "$R/history.jsonl" | wc -l)
[ "$bad_shape" = 0 ] && ok "every micro-op is [append|r, integer key, value]" || bad "$bad_shape micro-ops of another shape"
inv=$(jq -c 'select(.type == "invoke" and .f == "txn") | .value[] | select(.[0] == "r" and .[2] != null)' "$R/history.jsonl" | wc -l)
[ "$inv" = 0 ] && ok "invocations carry reads as null" || bad "$inv invoked reads not null"

run split --bug split-txn --workload txn-rw-register --nemesis none --time-limit 6 --seed 1
rc=$?
[ "$rc" = 1 ] && [ "$(txn_verdict split)" = false ] \
    && ok "split-txn: anomalies without faults ($(run_result split '.checkers.txn["anomaly-types"] | join(",")'))" \
    || bad "split-txn: exit $rc, txn $(txn_verdict split) $(tail -n 3 "$DIR/split.err")"

run dirty --bug dirty-read --workload txn-list-append --time-limit 14 --seed 1
rc=$?
[ "$rc" = 1 ] && [ "$(txn_verdict dirty)" = false ] \
    && ok "dirty-read: anomalies under the default faults ($(run_result dirty '.checkers.txn["anomaly-types"] | join(",")'))" \
    || bad "dirty-read: exit $rc, txn $(txn_verdict dirty) $(tail -n 3 "$DIR/dirty.err")"
echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
