#!/usr/bin/env bash
# Issue 7's checkers on real runs (short versions of tests/scenarios/scenario_sessions.sh):
# quorumkv --bug stale-quorum under partitions breaks read-your-writes on the register
# workload and correct quorumkv does not; raftkv on the list-append workload is valid
# when correct and invalid with --bug stale-read (the session guarantees it broke, if
# any, are printed); every run carries perf and log-pattern results, junit.xml and a
# report.html that a headless Chromium opens and checks against the run's files.
#
# usage: test_checkers_cluster.sh FAULTLINE
set -u
FL=$1
source "$(dirname "$0")/../support/cluster_lib.sh"
scratch_cluster
run() { # name target, extra flags…
    local name=$1 target=$2; shift 2
    "$FL" test --target "$target" --nodes-file "$NODES" --store "$STORE" --name "$name" \
        --rate 200 --concurrency 10 --recovery-time 2 "$@" >"$DIR/$name.out" 2>"$DIR/$name.err"
}
verdicts() { # run dir → "guarantee=verdict …"
    jq -r '[.checkers.session.guarantees | to_entries[] | "\(.key)=\(.value.valid)"] | join(" ")' "$1/results.json"
}

run qkv-stale quorumkv --bug stale-quorum --nemesis partition --nemesis-interval 5 --time-limit 20 --seed 1
rc=$?
R=$STORE/qkv-stale/latest
[ "$rc" = 1 ] && ok "quorumkv stale-quorum: anomaly (exit 1)" || bad "quorumkv stale-quorum: exit $rc $(tail -n 3 "$DIR/qkv-stale.err")"
[ "$(jq -r '.checkers.session.guarantees.ryw.valid' "$R/results.json")" = false ] \
    && ok "stale-quorum breaks read-your-writes ($(verdicts "$R"))" || bad "ryw not flagged: $(verdicts "$R")"
jq -e '.checkers.session.guarantees.ryw.violations[0].ops | length > 0' "$R/results.json" >/dev/null \
    && ok "the ryw violation names its ops" || bad "ryw violation without ops"
[ -s "$R/report.html" ] && [ -s "$R/junit.xml" ] && ok "the run wrote report.html and junit.xml" \
    || bad "no report.html or junit.xml in $R"
[ "$(xmllint --xpath 'count(//testcase[failure])' "$R/junit.xml" 2>/dev/null)" = \
  "$(jq '[.checkers[] | select(.valid == false)] | length' "$R/results.json")" ] \
    && ok "junit.xml fails exactly the checkers that found anomalies" || bad "junit.xml failures differ from results.json"
# The real run's report in headless Chromium: one bar per op, one band per fault window,
# the anomaly's ops exactly those of results.json, no script errors.
bash "$(dirname "$0")/../reports/test_report_browser.sh" "$FL" "$R" >"$DIR/browser.out" 2>&1
case $? in
0) ok "the real run's report checks out in Chromium" ;;
77) echo "skip - no chromium for the real run's report" ;;
*) bad "the real run's report in Chromium: $(grep -m 3 FAIL "$DIR/browser.out")" ;;
esac

run qkv-correct quorumkv --nemesis partition --nemesis-interval 5 --time-limit 20 --seed 1
rc=$?
R=$STORE/qkv-correct/latest
[ "$rc" = 0 ] && ok "quorumkv correct: valid" || bad "quorumkv correct: exit $rc $(tail -n 3 "$DIR/qkv-correct.err")"
[ "$(jq -r '.checkers.session.valid' "$R/results.json")" = true ] && ok "correct quorumkv keeps every session guarantee" \
    || bad "correct quorumkv: session $(verdicts "$R")"
for c in perf log-pattern; do
    [ "$(jq -r --arg c "$c" '.checkers[$c].valid' "$R/results.json")" = true ] && ok "$c: valid" \
        || bad "$c: $(jq -c --arg c "$c" '.checkers[$c] | {valid, reason}' "$R/results.json")"
done

run rkv-correct raftkv --workload list-append --nemesis partition,kill --nemesis-interval 4 --time-limit 20 --seed 3
rc=$?
R=$STORE/rkv-correct/latest
[ "$rc" = 0 ] && ok "raftkv list-append correct: valid ($(verdicts "$R"))" \
    || bad "raftkv list-append correct: exit $rc $(tail -n 3 "$DIR/rkv-correct.err") $(verdicts "$R")"
[ "$(jq -r '.checkers.linearizable.model' "$R/results.json")" = list-append ] && ok "model list-append" || bad "model"
reads=$(jq -r 'select(.type == "ok" and .f == "read" and (.value | type) == "array" and (.value | length) > 1) | .index' "$R/history.jsonl" | wc -l)
[ "$reads" -gt 50 ] && ok "$reads reads of lists longer than one" || bad "only $reads list reads"

run rkv-stale raftkv --workload list-append --bug stale-read --nemesis partition:primaries --nemesis-interval 8 \
    --op-timeout 1 --time-limit 25 --seed 1
rc=$?
R=$STORE/rkv-stale/latest
[ "$rc" = 1 ] && ok "raftkv list-append stale-read: anomaly (exit 1); session: $(verdicts "$R")" \
    || bad "raftkv list-append stale-read: exit $rc $(tail -n 3 "$DIR/rkv-stale.err")"
echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
