#!/usr/bin/env bash
# `faultline suite` end to end on a local cluster of its own: a six-test suite (quorumkv
# correct and --bug stale-quorum under partitions, and four short calm runs) split over
# two shards as two CI workers would run it. Checks that the shards' lists split the six
# tests between them, each shard's exit code (1 for the shard holding stale-quorum, else
# 0) and summary table, that each shard's JUnit file and the two merged into one validate
# against tests/support/junit.xsd with exactly one testsuite per test; then that a time
# budget stops the suite (the test running is cut short and checked, the next ones are
# "not run", exit 2).
#
# usage: test_suite.sh FAULTLINE JUNIT_XSD   (KEEP=1 keeps the scratch folder to look at)
set -u
FL=$1
XSD=$2
source "$(dirname "$0")/../../support/cluster_lib.sh"
scratch_cluster
cat >"$DIR/suite.json" <<'JSON'
{"defaults": {"time-limit": 9, "nemesis": "partition", "nemesis-interval": 2, "rate": 200,
              "recovery-time": 2},
 "tests": [{"name": "qkv-correct", "seed": 7},
           {"name": "qkv-stale", "bug": "stale-quorum", "seed": 1},
           {"name": "qkv-calm-1", "time-limit": 2, "nemesis": "none", "recovery-time": 0, "seed": 1},
           {"name": "qkv-calm-2", "time-limit": 2, "nemesis": "none", "recovery-time": 0, "seed": 2},
           {"name": "qkv-calm-3", "time-limit": 2, "nemesis": "none", "recovery-time": 0, "seed": 3},
           {"name": "qkv-calm-4", "time-limit": 2, "nemesis": "none", "recovery-time": 0, "seed": 4}]}
JSON
all="qkv-calm-1 qkv-calm-2 qkv-calm-3 qkv-calm-4 qkv-correct qkv-stale "
shard() { # I
    "$FL" suite --shard "$1/2" --nodes-file "$CDIR/nodes.json" --store "$DIR/store" \
        --junit "$DIR/shard$1.xml" "$DIR/suite.json" >"$DIR/shard$1.out" 2>"$DIR/shard$1.err"
}
for i in 1 2; do "$FL" suite --list --shard "$i/2" "$DIR/suite.json" 2>/dev/null | cut -f1 >"$DIR/list$i"; done
[ "$(sort "$DIR/list1" "$DIR/list2" | tr '\n' ' ')" = "$all" ] && [ -s "$DIR/list1" ] && [ -s "$DIR/list2" ] \
    && ok "the two shards' lists split the six tests: $(tr '\n' ' ' <"$DIR/list1")| $(tr '\n' ' ' <"$DIR/list2")" \
    || bad "shard lists: $(cat "$DIR/list1") | $(cat "$DIR/list2")"
stale_shard=$(grep -qx qkv-stale "$DIR/list1" && echo 1 || echo 2)
correct_shard=$(grep -qx qkv-correct "$DIR/list1" && echo 1 || echo 2)

for i in 1 2; do
    shard "$i"; rc=$?
    want=$([ "$i" = "$stale_shard" ] && echo 1 || echo 0)
    [ "$rc" = "$want" ] && ok "shard $i/2: exit $rc" || bad "shard $i: exit $rc (want $want): $(tail -n 5 "$DIR/shard$i.err")"
done
grep -Eq "^qkv-correct +valid +7 +[0-9]+ +- +$DIR/store/qkv-correct/" "$DIR/shard$correct_shard.out" \
    && ok "qkv-correct's summary line: valid, seed 7, its run directory" \
    || bad "summary of shard $correct_shard: $(cat "$DIR/shard$correct_shard.out")"
grep -Eq "^qkv-stale +INVALID +1 +[0-9]+ +[0-9]+\.[0-9] s +$DIR/store/qkv-stale/" "$DIR/shard$stale_shard.out" \
    && ok "qkv-stale's summary line: INVALID with the time of its first anomaly" \
    || bad "summary of shard $stale_shard: $(cat "$DIR/shard$stale_shard.out")"
for i in 1 2; do
    [ "$(grep -Eo '^qkv-[a-z0-9-]+' "$DIR/shard$i.out" | sort -u)" = "$(sort "$DIR/list$i")" ] \
        && ok "shard $i ran exactly its listed tests" || bad "shard $i ran: $(grep -Eo '^qkv-[a-z0-9-]+' "$DIR/shard$i.out" | sort -u | tr '\n' ' ')"
done

for i in 1 2; do
    xmllint --noout --schema "$XSD" "$DIR/shard$i.xml" 2>"$DIR/xsd$i.err" \
        && ok "shard $i's JUnit validates against junit.xsd" || bad "shard $i junit: $(cat "$DIR/xsd$i.err")"
done
# The merged file, as a CI would merge the workers' files: both shards' testsuites under
# one <testsuites> whose counts are the sums of the shards'.
sum() { # ATTRIBUTE
    local total=0 i
    for i in 1 2; do total=$(awk -v a="$total" -v b="$(xmllint --xpath "string(/testsuites/@$1)" "$DIR/shard$i.xml")" \
                               'BEGIN { print a + b }'); done
    echo "$total"
}
{ echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo "<testsuites name=\"merged\" tests=\"$(sum tests)\" failures=\"$(sum failures)\" errors=\"$(sum errors)\" skipped=\"$(sum skipped)\" time=\"$(sum time)\">"
  for i in 1 2; do xmllint --xpath '/testsuites/testsuite' "$DIR/shard$i.xml"; echo; done
  echo '</testsuites>'; } >"$DIR/merged.xml"
xmllint --noout --schema "$XSD" "$DIR/merged.xml" 2>"$DIR/xsdm.err" \
    && ok "the merged JUnit validates against junit.xsd" || bad "merged junit: $(cat "$DIR/xsdm.err")"
names=$(xmllint --xpath '//testsuite/@name' "$DIR/merged.xml" | grep -o 'name="[^"]*"' | sed 's/name="\(.*\)"/\1/' \
        | sort | tr '\n' ' ')
[ "$names" = "$all" ] && ok "the merged file has exactly one testsuite per test" \
    || bad "testsuites across shards: $names"
[ "$(xmllint --xpath 'count(//testsuite[@name="qkv-stale"]/testcase[@name="linearizable"]/failure)' "$DIR/merged.xml")" = 1 ] \
    && [ "$(xmllint --xpath 'count(//testsuite[@name!="qkv-stale"]//failure)' "$DIR/merged.xml")" = 0 ] \
    && ! grep -q '<error' "$DIR/shard1.xml" "$DIR/shard2.xml" \
    && ok "JUnit: the stale read is a failure of linearizable; no other test has a failure" \
    || bad "JUnit outcomes: $(grep -c '<failure' "$DIR/shard1.xml" "$DIR/shard2.xml")"
xmllint --xpath 'string(//testsuite[@name="qkv-stale"]/system-out)' "$DIR/merged.xml" | grep -q "run 1: INVALID, seed 1" \
    && ok "the testsuite's output lists the run: verdict, seed, run directory" || bad "system-out: $(head -c 600 "$DIR/merged.xml")"

# A budget shorter than the first test: it is cut short and checked, the rest never start.
"$FL" suite --budget 3 --nodes-file "$CDIR/nodes.json" --store "$DIR/store" "$DIR/suite.json" \
    >"$DIR/budget.out" 2>"$DIR/budget.err"; rc=$?
[ "$rc" = 2 ] && grep -Eq "^qkv-stale +not run .*time budget" "$DIR/budget.out" \
    && grep -Eq "^qkv-correct +(valid|unknown) " "$DIR/budget.out" \
    && ok "--budget 3: the first test cut short and checked, the others not run, exit 2" \
    || bad "budget: exit $rc $(cat "$DIR/budget.out") $(tail -n 3 "$DIR/budget.err")"

echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
