#!/usr/bin/env bash
# The CI examples (ci/github-actions.yml, ci/gitlab-ci.yml) and the nightly suite file
# they run, without a cluster. ci_examples.py parses both YAML files and checks their
# structure (schedule, shard matrix, JUnit publishing and artifact upload that run even
# after a failure, pointed at what nightly.sh writes) and that every command in them is
# one the tests run; then each scripts/nightly.sh invocation, as each shard's job would
# run it, is run here with --list against a four-test suite (the same flags, so
# nightly.sh and faultline suite accept them, and the shards together cover the suite
# exactly once, making nothing). Last, ci/nightly-suite.json: every target's correct mode
# (no bug: a night is green when nothing is found) at the target's defaults, 60 s,
# several seeds, a budget; and `faultline suite --list` accepts it.
#
# usage: test_ci_examples.sh FAULTLINE REPO BUILD_DIR
set -u
FL=$(realpath "$1")
REPO=$2
BUILD=$3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_ci_examples.XXXXXX") || exit 3
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }

# Debian's python3 and python3-yaml (scripts/install-deps.sh), not whatever else is first
# on PATH.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
if "$PY" -c 'import yaml' 2>/dev/null; then
    "$PY" "$REPO/tests/ci/ci_examples.py" "$REPO" "$BUILD" "$TMP/invocations" >"$TMP/py.out" 2>&1; rc=$?
    cat "$TMP/py.out"
    [ "$rc" = 0 ] && ok "ci_examples.py: both YAML files' structure and commands" \
        || bad "ci_examples.py: exit $rc"
else
    bad "no python3 with PyYAML ($PY): scripts/install-deps.sh installs python3-yaml"
fi

# Each nightly.sh invocation, from a folder laid out like a checkout, with --list: the
# CI's flags on a four-test suite in place of ci/nightly-suite.json.
mkdir -p "$TMP/co/ci"
ln -s "$REPO/scripts" "$TMP/co/scripts"
cat >"$TMP/co/ci/nightly-suite.json" <<'JSON'
{"defaults": {"target": "quorumkv", "time-limit": 5, "nemesis": null},
 "tests": [{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "d"}]}
JSON
if [ -s "$TMP/invocations" ]; then
    for file in github gitlab; do
        : >"$TMP/$file.listed"
        n=0 good=0
        while IFS=$'\t' read -r where _ argv; do
            case $where in "$file"*) ;; *) continue ;; esac
            mapfile -t args < <(jq -r '.[]' <<<"$argv")
            n=$((n + 1))
            (cd "$TMP/co" && "${args[@]}" --list --faultline "$FL") >"$TMP/out" 2>"$TMP/err"; rc=$?
            if [ "$rc" = 0 ]; then
                good=$((good + 1)); cut -f1 "$TMP/out" >>"$TMP/$file.listed"
            else
                bad "$where: ${args[*]} --list: exit $rc: $(cat "$TMP/err")"
            fi
        done <"$TMP/invocations"
        [ "$n" -gt 1 ] && [ "$good" = "$n" ] && ok "$file: nightly.sh takes every shard job's flags ($n jobs)" \
            || bad "$file: $good of $n nightly.sh invocations accepted"
        [ "$(sort "$TMP/$file.listed" | tr '\n' ' ')" = "a b c d " ] \
            && ok "$file: the shard jobs together list every test of the suite exactly once" \
            || bad "$file: the shards listed $(sort "$TMP/$file.listed" | tr '\n' ' ')"
    done
    [ -z "$(ls -A "$TMP/co" | grep -v '^ci$\|^scripts$')" ] && ok "--list made nothing (no night, no store)" \
        || bad "--list left: $(ls -A "$TMP/co")"
else
    bad "ci_examples.py found no nightly.sh invocation"
fi

# The nightly suite file: every target of `faultline targets`, correct mode only (a night
# is green when nothing is found: the seeded bugs are the zoo's), at the target's defaults.
# Except a real system whose known finding shows at its defaults (a finding "with the
# defaults": it has no safe setting, so every night of it would be red), such as redis,
# whose Sentinel failover loses acknowledged writes.
S=$REPO/ci/nightly-suite.json
"$FL" targets >"$TMP/targets"
unsafe=$(awk '/^[a-z][a-z0-9_-]* — / {t=$1} /^    [a-z0-9-]+: with the defaults/ {print t}' "$TMP/targets")
targets=$(grep -E '^[a-z][a-z0-9_-]* — ' "$TMP/targets" | cut -d' ' -f1 | grep -vxF "${unsafe:-%none%}" | sort | tr '\n' ' ')
[ -n "$unsafe" ] && ok "targets without a safe setting, left out of the night: $unsafe" \
    || bad "no target says its finding holds at its defaults (redis should)"
[ "$(jq -r '[.matrix[].target[]] | unique | .[]' "$S" | tr '\n' ' ')" = "$targets" ] \
    && ok "nightly suite: every target ($targets)" || bad "nightly suite targets: $(jq -c '[.matrix[].target]' "$S") vs $targets"
[ "$(jq '[.matrix[] | select(has("bug") or (.settings | has("bug")))] | length' "$S")" = 0 ] \
    && ok "nightly suite: correct modes only" || bad "nightly suite names a bug"
[ "$(jq -c '[.matrix[].settings] | unique' "$S")" = '[{"time-limit":60}]' ] && [ "$(jq 'has("defaults")' "$S")" = false ] \
    && ok "nightly suite: 60 s each, every other setting the target's default" \
    || bad "nightly suite settings: $(jq -c '[.matrix[].settings], .defaults' "$S")"
[ "$(jq '[.matrix[].seed | length] | min' "$S")" -ge 2 ] && [ "$(jq '.budget > 0' "$S")" = true ] \
    && ok "nightly suite: $(jq -c '[.matrix[].seed]' "$S") seeds, a budget of $(jq .budget "$S") s" \
    || bad "nightly suite seeds/budget: $(jq -c '[.matrix[].seed], .budget' "$S")"
"$FL" suite --list "$S" >"$TMP/nightly.list" 2>"$TMP/nightly.err"; rc=$?
want=$(jq '[.matrix[] | (.target | length) * (.workload | length) * (.seed | length)] | add' "$S")
[ "$rc" = 0 ] && [ "$(wc -l <"$TMP/nightly.list")" = "$want" ] \
    && ok "faultline suite --list accepts the nightly suite (every workload served by its target): $want tests" \
    || bad "faultline suite --list $S: exit $rc, $(wc -l <"$TMP/nightly.list") tests (want $want): $(cat "$TMP/nightly.err")"

echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
