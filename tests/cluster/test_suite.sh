#!/usr/bin/env bash
# `faultline suite` end to end on a local cluster of its own: a two-test suite (quorumkv
# correct, and --bug stale-quorum, both under partitions) split over two shards as two CI
# workers would run it. Checks each shard's exit code (0, then 1) and summary table, that
# each shard's JUnit file validates against tests/junit/junit.xsd and that the two merge
# to exactly one testsuite per test; then that a time budget stops the suite (the test
# running is cut short and checked, the next one is "not run", exit 2).
#
# usage: test_suite.sh FAULTLINE JUNIT_XSD   (KEEP=1 keeps the scratch folder to look at)
set -u
FL=$1
XSD=$2
DIR=$(mktemp -d /tmp/fl-test-suite.XXXXXX)
CDIR=$DIR/cluster
cleanup() {
    "$FL" cluster down --dir "$CDIR" >/dev/null 2>&1
    [ -n "${KEEP:-}" ] && { echo "kept $DIR"; return; }; rm -rf "$DIR"
}
trap cleanup EXIT
pass=0 fail=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }

"$FL" cluster up --dir "$CDIR" >/dev/null || { echo "cluster up failed"; exit 1; }
cat >"$DIR/suite.json" <<'JSON'
{"defaults": {"time-limit": 9, "nemesis": "partition", "nemesis-interval": 2, "rate": 200,
              "recovery-time": 2},
 "tests": [{"name": "qkv-correct", "seed": 7},
           {"name": "qkv-stale", "bug": "stale-quorum", "seed": 1}]}
JSON
shard() { # I
    "$FL" suite --shard "$1/2" --nodes-file "$CDIR/nodes.json" --store "$DIR/store" \
        --junit "$DIR/shard$1.xml" "$DIR/suite.json" >"$DIR/shard$1.out" 2>"$DIR/shard$1.err"
}
"$FL" suite --list --shard 1/2 "$DIR/suite.json" 2>/dev/null | cut -f1 >"$DIR/list1"
[ "$(cat "$DIR/list1")" = qkv-correct ] && ok "shard 1/2 holds qkv-correct" || bad "shard 1/2 lists: $(cat "$DIR/list1")"

shard 1; rc=$?
[ "$rc" = 0 ] && ok "shard 1/2 (correct mode): exit 0" || bad "shard 1: exit $rc: $(tail -n 5 "$DIR/shard1.err")"
grep -Eq "^qkv-correct +valid +7 +[0-9]+ +- +$DIR/store/qkv-correct/" "$DIR/shard1.out" \
    && grep -q "1 tests, 1 runs: 1 valid" "$DIR/shard1.out" && ok "shard 1's summary: qkv-correct valid, seed 7, its run directory" \
    || bad "shard 1 summary: $(cat "$DIR/shard1.out")"
shard 2; rc=$?
[ "$rc" = 1 ] && ok "shard 2/2 (stale-quorum): exit 1" || bad "shard 2: exit $rc: $(tail -n 5 "$DIR/shard2.err")"
grep -Eq "^qkv-stale +INVALID +1 +[0-9]+ +[0-9]+\.[0-9] s +$DIR/store/qkv-stale/" "$DIR/shard2.out" \
    && ok "shard 2's summary: qkv-stale INVALID with the time of its first anomaly" \
    || bad "shard 2 summary: $(cat "$DIR/shard2.out")"

for i in 1 2; do
    xmllint --noout --schema "$XSD" "$DIR/shard$i.xml" 2>"$DIR/xsd$i.err" \
        && ok "shard $i's JUnit validates against junit.xsd" || bad "shard $i junit: $(cat "$DIR/xsd$i.err")"
done
names=$(for i in 1 2; do xmllint --xpath '//testsuite/@name' "$DIR/shard$i.xml"; echo; done \
        | grep -o 'name="[^"]*"' | sort | tr '\n' ' ')
[ "$names" = 'name="qkv-correct" name="qkv-stale" ' ] && ok "the two files merge to one testsuite per test" \
    || bad "testsuites across shards: $names"
[ "$(xmllint --xpath 'count(//testsuite[@name="qkv-stale"]/testcase[@name="linearizable"]/failure)' "$DIR/shard2.xml")" = 1 ] \
    && [ "$(xmllint --xpath 'count(//failure)' "$DIR/shard1.xml")" = 0 ] \
    && ! grep -q '<error' "$DIR/shard1.xml" "$DIR/shard2.xml" \
    && ok "JUnit: the stale read is a failure of linearizable; the correct run has none" \
    || bad "JUnit outcomes: $(grep -c '<failure' "$DIR/shard1.xml" "$DIR/shard2.xml")"
xmllint --xpath 'string(//testsuite[@name="qkv-stale"]/system-out)' "$DIR/shard2.xml" | grep -q "run 1: INVALID, seed 1" \
    && ok "the testsuite's output lists the run: verdict, seed, run directory" || bad "system-out: $(cat "$DIR/shard2.xml" | head -c 600)"

# A budget shorter than the first test: it is cut short and checked, the second never starts.
"$FL" suite --budget 3 --nodes-file "$CDIR/nodes.json" --store "$DIR/store" "$DIR/suite.json" \
    >"$DIR/budget.out" 2>"$DIR/budget.err"; rc=$?
[ "$rc" = 2 ] && grep -Eq "^qkv-stale +not run .*time budget" "$DIR/budget.out" \
    && grep -Eq "^qkv-correct +(valid|unknown) " "$DIR/budget.out" \
    && ok "--budget 3: the first test cut short and checked, the second not run, exit 2" \
    || bad "budget: exit $rc $(cat "$DIR/budget.out") $(tail -n 3 "$DIR/budget.err")"

echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
