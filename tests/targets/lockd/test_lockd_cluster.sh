#!/usr/bin/env bash
# lockd under `faultline test` on a real local cluster at the target's defaults (faults on
# fl-lockd's leader: pause, kill, partition, clock bumps; holders that stall past their
# leases), short versions of tests/scenarios/scenario_lockd.sh: the correct mode is valid
# with stalled holders fenced out; write-before-fence is caught, the stale write named
# with its token, the write it undid and why the holders overlapped — in results.json and
# on the report's page in headless Chromium (when there is one); early-grant alone is
# valid (the storage fences it).
#
# usage: test_lockd_cluster.sh FAULTLINE
set -u
FL=$1
# The browser helpers first: cluster_lib's ok/bad/check are the ones counted here.
source "$(dirname "$0")/../../reports/browser_lib.sh"
source "$(dirname "$0")/../../support/cluster_lib.sh"
scratch_cluster
scratch=$DIR # chromium_run's profiles
run() { # name, extra flags…
    local name=$1; shift
    "$FL" test --target lockd --nodes-file "$NODES" --store "$STORE" --name "$name" \
        --time-limit 20 --recovery-time 2 "$@" >"$DIR/$name.out" 2>"$DIR/$name.err"
}
fencing() { jq -r ".checkers.fencing.$2" "$STORE/$1/latest/results.json"; }

run correct --seed 1
rc=$?
[ "$rc" = 0 ] && ok "lockd correct at its defaults: valid" \
    || bad "lockd correct: exit $rc: $(tail -n 5 "$DIR/correct.err")"
writes=$(grep -c '"type":"ok","f":"write"' "$STORE/correct/latest/history.jsonl")
[ "$writes" -ge 40 ] && ok "$writes critical sections acknowledged" || bad "only $writes ok writes"
rejected=$(fencing correct '"stalled-holders".rejected')
[ "$rejected" -ge 1 ] && ok "$rejected stalled holders fenced out (the fence was exercised)" \
    || bad "no stalled holder was fenced out"
[ "$(jq -r '.checkers.linearizable.model' "$STORE/correct/latest/results.json")" = fenced-register ] \
    && ok "the register checked with the fenced-register model" || bad "model"
grep -q '"process":"nemesis","type":"info","f":"\(pause\|kill\|partition\|clock\)-start"' \
    "$STORE/correct/latest/history.jsonl" && ok "the target's default faults ran" \
    || bad "no fault of the target's defaults started"

run wbf --bug write-before-fence --seed 1
rc=$?
[ "$rc" = 1 ] && ok "write-before-fence: anomaly found (exit 1)" \
    || bad "write-before-fence: exit $rc $(tail -n 3 "$DIR/wbf.err")"
first=$(jq -c '[.checkers.fencing.anomalies[] | select(.type == "stale-accepted")][0]' \
        "$STORE/wbf/latest/results.json")
[ "$(jq -r '.ops | length' <<<"$first")" -ge 2 ] && ok "the stale access and the newer one named" \
    || bad "stale-accepted without its ops: $first"
jq -r '.explanation' <<<"$first" | grep -q "with token [0-9]*.*after p[0-9]*'s token-[0-9]*.*Why two holders" \
    && ok "explained: $(jq -r '.explanation' <<<"$first" | cut -c1-160)…" || bad "explanation: $first"

if find_chromium; then
    page=$STORE/wbf/latest/report.html
    dump_dom "$(readlink -f "$page")" "$DIR/dom.html" "$DIR/console.txt"
    grep -q 'class="explanation">p[0-9]* wrote [0-9]* with token [0-9]*.*Why two holders' "$DIR/dom.html" \
        && ok "the report's page shows the stale write explained" \
        || bad "the page lacks the fencing explanation ($(grep -c explanation "$DIR/dom.html") explanations)"
    grep -q "Uncaught" "$DIR/console.txt" && bad "script errors on the page: $(grep Uncaught "$DIR/console.txt" | head -2)"
else
    echo "# no Chromium: the page is not checked"
fi

run early --bug early-grant --seed 2
rc=$?
[ "$rc" = 0 ] && ok "early-grant alone: valid (the storage fences the overlapping holders)" \
    || bad "early-grant alone: exit $rc $(tail -n 3 "$DIR/early.err")"
echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
