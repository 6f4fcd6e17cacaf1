#!/usr/bin/env bash
# `faultline suite` without a cluster: a suite file of a list and a matrix expands to the
# expected tests in the documented order (targets without a bug dropped, exclusions
# applied, defaults under each test's settings), --shard 1/2 and 2/2 with --list cover
# every test exactly once and split by estimated length; bad files, settings and flags
# are refused with 65/64 and a message naming the file, the test and the field; and a
# suite whose runs cannot reach their nodes reports harness errors as JUnit <error>s
# (valid against tests/support/junit.xsd), with the summary table and exit 3.
#
# usage: test_suite_cli.sh FAULTLINE SUITE_DIR XSD
set -u
FL=$1
SUITES=$2
XSD=$3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_suite_cli.XXXXXX") || exit 3
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }

# --- expansion and listing ---
S=$SUITES/listing.json
"$FL" suite --list "$S" >"$TMP/all" 2>"$TMP/all.err"; rc=$?
names=$(cut -f1 "$TMP/all" | tr '\n' ' ')
want="qkv-correct qkv-stale raft-lease qkv-calm quorumkv-correct-s1 quorumkv-correct-s2 quorumkv-stale-quorum-s1 quorumkv-stale-quorum-s2 raftkv-correct-s1 raftkv-stale-read-s1 "
[ "$rc" = 0 ] && [ "$names" = "$want" ] && ok "--list: 10 tests in file order, the matrix's target outermost and seed innermost" \
    || bad "--list: exit $rc, got '$names' $(cat "$TMP/all.err")"
grep -q "10 tests; shard 1/1 has 10" "$TMP/all.err" && ok "--list says how many tests and how long" || bad "list header: $(cat "$TMP/all.err")"
line() { grep "^$1	" "$TMP/all" | cut -f2; }
[ "$(line qkv-correct | jq -c .)" = '{"nemesis":"partition","nemesis-interval":2,"rate":200,"target":"quorumkv","time-limit":10}' ] \
    && ok "a listed test gets the defaults under its own settings" || bad "qkv-correct: $(line qkv-correct)"
[ "$(line raft-lease | jq -r '."time-limit", .nemesis, ."target-opt"[0]')" = "30
partition:primaries,clock:strobe:primaries
lease_ms=500" ] && ok "a test's own settings win over the defaults" || bad "raft-lease: $(line raft-lease)"
[ "$(line qkv-calm | jq -r 'has("nemesis")')" = false ] && ok "\"nemesis\": null takes the default's faults away" \
    || bad "qkv-calm: $(line qkv-calm)"
[ "$(line quorumkv-stale-quorum-s2 | jq -c '[.target, .bug, .seed, ."time-limit", .nemesis]')" = '["quorumkv","stale-quorum",2,8,"partition"]' ] \
    && ok "a matrix combination: its axes over the matrix's settings over the defaults" \
    || bad "matrix test: $(line quorumkv-stale-quorum-s2)"
[ "$(line quorumkv-correct-s1 | jq -r 'has("bug")')" = false ] && ok "bug null is the correct mode" || bad "correct mode: $(line quorumkv-correct-s1)"
grep -q "raftkv-correct-s2\|stale-read-s2\|quorumkv-stale-read\|raftkv-stale-quorum" "$TMP/all" \
    && bad "an excluded combination or a bug its target lacks was listed" \
    || ok "exclusions applied, and bugs only with the targets that have them"
"$FL" suite --list "$S" 2>/dev/null | cmp -s - "$TMP/all" && ok "--list is deterministic" || bad "--list differs between two calls"

# --- sharding ---
"$FL" suite --list --shard 1/2 "$S" >"$TMP/s1" 2>/dev/null; r1=$?
"$FL" suite --list --shard 2/2 "$S" >"$TMP/s2" 2>/dev/null; r2=$?
cut -f1 "$TMP/s1" "$TMP/s2" | sort >"$TMP/union"
cut -f1 "$TMP/all" | sort >"$TMP/every"
[ "$r1" = 0 ] && [ "$r2" = 0 ] && cmp -s "$TMP/union" "$TMP/every" && [ -z "$(uniq -d "$TMP/union")" ] \
    && ok "--shard 1/2 and 2/2 cover every test exactly once ($(wc -l <"$TMP/s1") + $(wc -l <"$TMP/s2"))" \
    || bad "shards: exit $r1 $r2; $(cut -f1 "$TMP/s1" | tr '\n' ' ') | $(cut -f1 "$TMP/s2" | tr '\n' ' ')"
# longest first to the least loaded shard: qkv-calm (2 runs) and raft-lease (30 s) apart
[ "$(cut -f1 "$TMP/s1" | tr '\n' ' ')" = "qkv-stale qkv-calm quorumkv-correct-s2 quorumkv-stale-quorum-s2 raftkv-stale-read-s1 " ] \
    && ok "the split balances estimated time: the two longest tests on different shards" \
    || bad "shard 1/2: $(cut -f1 "$TMP/s1" | tr '\n' ' ')"
covered=yes
for n in 3 7 10 13; do
    : >"$TMP/u"
    for i in $(seq "$n"); do "$FL" suite --list --shard "$i/$n" "$S" 2>/dev/null | cut -f1 >>"$TMP/u"; done
    sort "$TMP/u" | cmp -s - "$TMP/every" || { covered=no; bad "--shard I/$n does not cover the suite once"; }
done
[ "$covered" = yes ] && ok "--shard I/N for N = 3, 7, 10, 13 covers the suite once (a shard may be empty)"

# --- bad input: 65 for the file, naming it and the field; 64 for flags ---
refuse() { # description, expected exit, pattern in stderr, file contents, [flags…]
    local what=$1 want=$2 pat=$3 body=$4; shift 4
    printf '%s\n' "$body" >"$TMP/bad.json"
    "$FL" suite --list "$@" "$TMP/bad.json" >/dev/null 2>"$TMP/bad.err"; local rc=$?
    if [ "$rc" = "$want" ] && grep -q -- "$pat" "$TMP/bad.err"; then ok "$what: exit $rc"
    else bad "$what: exit $rc (want $want), stderr: $(cat "$TMP/bad.err")"; fi
}
refuse "malformed JSON names file:line:column" 65 'bad.json:3:' '{"tests": [
  {"name": "a"},
  ]}'
refuse "unknown top-level key" 65 'bad.json: unknown key "test"' '{"test": []}'
refuse "no tests and no matrix" 65 'nothing to run' '{"defaults": {}}'
refuse "a test without a name" 65 'tests\[0\]: want an object with a "name"' '{"tests": [{"target": "quorumkv"}]}'
refuse "an unknown setting names the test and the setting" 65 'tests\[1\] "b": unknown setting "tme-limit"' \
    '{"tests": [{"name": "a"}, {"name": "b", "tme-limit": 5}]}'
refuse "the test's line in the file" 65 'bad.json:4: tests\[3\] "c": unknown setting "x"' '{"tests": [
  {"name": "a"}, {"name": "b"},
  {"name": "b2"},
  {"name": "c", "x": "[,]\" {"}]}'
refuse "the matrix's line in the file" 65 'bad.json:3: matrix\[1\].bug: an empty list' '{"matrix": [
  {"seed": [1]},
  {"bug": []}]}'
refuse "a bad value names the setting" 65 'tests\[0\] "a": "time-limit": soon: want a number' \
    '{"tests": [{"name": "a", "time-limit": "soon"}]}'
refuse "an unknown default setting" 65 'unknown setting "colour"' '{"defaults": {"colour": 1}, "tests": [{"name": "a"}]}'
refuse "an unknown target" 65 'tests\[0\] "a": no target "nosuch"' '{"tests": [{"name": "a", "target": "nosuch"}]}'
refuse "a bug the target lacks" 65 'has no seeded bug "stale-read"' '{"tests": [{"name": "a", "bug": "stale-read"}]}'
refuse "a bad fault spec" 65 'tests\[0\] "a": ' '{"tests": [{"name": "a", "nemesis": "earthquake"}]}'
refuse "two tests of one name" 65 'named "a" (names must be unique)' '{"tests": [{"name": "a"}, {"name": "a"}]}'
refuse "a name that is no folder name" 65 'the name must be' '{"tests": [{"name": "../x"}]}'
refuse "junit inside a test" 65 '"junit": not a setting' '{"tests": [{"name": "a", "junit": "x.xml"}]}'
refuse "a matrix that expands to nothing" 65 'matrix: every one of its 2 combinations is excluded' \
    '{"matrix": {"seed": [1, 2], "exclude": [{"seed": 1}, {"seed": 2}]}}'
refuse "an empty axis" 65 'matrix.bug: an empty list' '{"matrix": {"bug": []}}'
refuse "a bug no target of the matrix has" 65 'matrix.bug: "stale-quorom": no target' \
    '{"matrix": {"target": ["quorumkv"], "bug": [null, "stale-quorom"]}}'
refuse "an unknown matrix key" 65 'matrix: unknown key "targets"' '{"matrix": {"targets": ["quorumkv"]}}'
refuse "an exclusion on no axis" 65 'matrix.exclude: item 0: "bug" is not an axis' \
    '{"matrix": {"seed": [1], "exclude": [{"bug": null}]}}'
refuse "a bad seed in the matrix" 65 'matrix.seed: item 1: want an integer' '{"matrix": {"seed": [1, "x"]}}'
refuse "a bad budget" 65 '"budget" must be' '{"budget": -1, "tests": [{"name": "a"}]}'
refuse "the second matrix of a list" 65 'matrix\[1\].target: an empty list' \
    '{"matrix": [{"seed": [1]}, {"target": []}]}'
GOOD='{"tests": [{"name": "a"}]}'
refuse "--shard 3/2" 64 '\-\-shard 3/2: want I/N' "$GOOD" --shard 3/2
refuse "--shard 0/2" 64 '\-\-shard 0/2' "$GOOD" --shard 0/2
refuse "--shard 1/x" 64 '\-\-shard 1/x' "$GOOD" --shard 1/x
refuse "--budget 0" 64 '\-\-budget 0' "$GOOD" --budget 0
"$FL" suite --list >/dev/null 2>&1; rc=$?
[ "$rc" = 64 ] && ok "no suite file: exit 64" || bad "no suite file: exit $rc"
"$FL" suite --list "$TMP/none.json" >/dev/null 2>"$TMP/none.err"; rc=$?
[ "$rc" = 65 ] && grep -q "none.json" "$TMP/none.err" && ok "a missing suite file: exit 65 naming it" \
    || bad "missing file: exit $rc $(cat "$TMP/none.err")"
"$FL" suite --help | grep -q -- "--shard I/N" && ok "--help describes --shard" || bad "--help"

# --- harness errors: nodes that cannot be reached are errors, not failures ---
cat >"$TMP/err.json" <<JSON
{"defaults": {"nodes-file": "$TMP/no-such-nodes.json", "time-limit": 1},
 "tests": [{"name": "e1"}, {"name": "e2", "test-count": 2}]}
JSON
"$FL" suite --store "$TMP/store" --junit "$TMP/err.xml" "$TMP/err.json" >"$TMP/err.out" 2>"$TMP/err.err"; rc=$?
[ "$rc" = 3 ] && ok "runs that cannot reach their nodes: exit 3" || bad "error suite: exit $rc $(tail -n 5 "$TMP/err.err")"
grep -q "^test .*verdict .*seed .*ok ops .*first anomaly .*run directory" "$TMP/err.out" \
    && [ "$(grep -c '^e[12] .* ERROR ' "$TMP/err.out")" = 3 ] \
    && grep -q "2 tests, 3 runs: 0 valid, 0 invalid, 0 unknown, 3 errors; 0 tests not run" "$TMP/err.out" \
    && ok "the summary table: one ERROR row per run, and the totals" || bad "summary: $(cat "$TMP/err.out")"
xmllint --noout --schema "$XSD" "$TMP/err.xml" 2>"$TMP/xsd.err" && ok "the JUnit file validates against junit.xsd" \
    || bad "junit.xsd: $(cat "$TMP/xsd.err")"
[ "$(xmllint --xpath 'count(//testsuite)' "$TMP/err.xml")" = 2 ] \
    && [ "$(xmllint --xpath 'count(//testcase/error[@type="harness"])' "$TMP/err.xml")" = 3 ] \
    && [ "$(xmllint --xpath 'count(//failure)' "$TMP/err.xml")" = 0 ] \
    && [ "$(xmllint --xpath 'string(/testsuites/@errors)' "$TMP/err.xml")" = 3 ] \
    && ok "JUnit: one testsuite per test, each run's harness error an <error>, no failure" \
    || bad "JUnit shape: $(cat "$TMP/err.xml")"
xmllint --xpath 'string(//testsuite[@name="e2"]/testcase[2]/@name)' "$TMP/err.xml" | grep -q "^run 2: harness$" \
    && xmllint --xpath 'string(//testsuite[@name="e1"]/testcase/error/@message)' "$TMP/err.xml" | grep -q "no-such-nodes.json" \
    && ok "a test of several runs names its cases \"run K: …\"; the error says what failed" \
    || bad "case names/messages: $(cat "$TMP/err.xml")"

echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
