#!/usr/bin/env bash
# scripts/nightly.sh end to end on a local cluster of its own: a night of a two-test
# suite (quorumkv correct without faults, and --bug stale-quorum under partitions, which
# reads miss acknowledged writes within seconds) exits 1 with both tests in its
# junit.xml (valid against tests/support/junit.xsd: the stale read a failure, the correct
# run none), the night folder (store, summary table, exit code), `latest` and --junit's
# copy; then a second, shorter night with --keep 1 removes the first.
#
# usage: test_nightly.sh FAULTLINE REPO JUNIT_XSD   (KEEP=1 keeps the scratch folder)
set -u
FL=$1
REPO=$2
XSD=$3
source "$(dirname "$0")/../support/cluster_lib.sh"
scratch_cluster
cat >"$DIR/suite.json" <<'JSON'
{"defaults": {"target": "quorumkv", "time-limit": 5, "rate": 200, "recovery-time": 1},
 "tests": [{"name": "qkv-correct", "nemesis": null, "seed": 7},
           {"name": "qkv-stale", "bug": "stale-quorum", "nemesis": "partition",
            "nemesis-interval": 1, "seed": 1}]}
JSON
nightly() { # suite, args...
    local suite=$1; shift
    (cd "$DIR" && "$REPO/scripts/nightly.sh" --faultline "$FL" --nodes-file "$CDIR/nodes.json" \
        --store "$DIR/n" "$@" "$suite") >"$DIR/out" 2>"$DIR/err"
}
N=$DIR/n/nights

nightly "$DIR/suite.json" --junit "$DIR/ci/junit.xml"; rc=$?
check "night 1: exit 1 (the stale read caught)" [ "$rc" = 1 ]
[ "$rc" = 1 ] || { cat "$DIR/out"; tail -n 20 "$DIR/err"; }
first=$(readlink "$N/latest")
D=$N/$first
check "the night is DIR/nights/<UTC stamp>, latest -> it" bash -c "[[ '$first' =~ ^[0-9]{8}T[0-9]{6}Z$ ]] && [ -d '$D' ]"
check "its exit-code file says 1" [ "$(cat "$D/exit-code" 2>/dev/null)" = 1 ]
grep -Eq "^qkv-correct +valid +7 " "$D/summary.txt" && grep -Eq "^qkv-stale +INVALID +1 " "$D/summary.txt" \
    && grep -q "2 tests, 2 runs: 1 valid, 1 invalid" "$D/summary.txt" \
    && ok "summary.txt: the suite's table, qkv-correct valid and qkv-stale INVALID" \
    || bad "summary.txt: $(cat "$D/summary.txt")"
check "the runs are in the night's store" bash -c "[ -f '$D/store/qkv-correct/latest/results.json' ] && [ -f '$D/store/qkv-stale/latest/history.jsonl' ]"
xmllint --noout --schema "$XSD" "$D/junit.xml" 2>"$DIR/xsd.err" && ok "junit.xml validates against junit.xsd" \
    || bad "junit.xml: $(cat "$DIR/xsd.err")"
names=$(xmllint --xpath '//testsuite/@name' "$D/junit.xml" 2>/dev/null | grep -o 'name="[^"]*"' | sort | tr '\n' ' ')
check "junit.xml has both tests ($names)" [ "$names" = 'name="qkv-correct" name="qkv-stale" ' ]
[ "$(xmllint --xpath 'count(//testsuite[@name="qkv-stale"]//failure)' "$D/junit.xml")" -ge 1 ] \
    && [ "$(xmllint --xpath 'count(//testsuite[@name="qkv-correct"]//failure)' "$D/junit.xml")" = 0 ] \
    && ok "JUnit: qkv-stale failed, qkv-correct passed" || bad "JUnit outcomes: $(grep -c '<failure' "$D/junit.xml")"
check "--junit FILE: a copy of the night's junit.xml" cmp -s "$D/junit.xml" "$DIR/ci/junit.xml"

# A second night (one short correct test) with --keep 1: the first night goes.
jq '.tests = [.tests[0]] | .defaults."time-limit" = 2' "$DIR/suite.json" >"$DIR/short.json"
nightly "$DIR/short.json" --keep 1; rc=$?
second=$(readlink "$N/latest")
check "night 2: exit 0 (valid)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || { cat "$DIR/out"; tail -n 20 "$DIR/err"; }
[ -n "$second" ] && [ "$second" != "$first" ] && [ -d "$N/$second" ] && [ ! -e "$D" ] \
    && [ "$(ls -A "$N" | sort | tr '\n' ' ')" = "$second latest " ] \
    && grep -q "removing the old night $N/$first" "$DIR/err" \
    && ok "--keep 1: night 1 removed, night 2 kept, latest -> night 2" \
    || bad "pruning: first $first second $second; $(ls -A "$N")"

echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
