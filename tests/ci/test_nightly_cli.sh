#!/usr/bin/env bash
# scripts/nightly.sh without a cluster: usage errors (exit 64, a message, nothing made),
# suite files faultline refuses (65, no night made), --list (a dry run), which faultline
# it finds (--faultline, build/harness/faultline of the checkout, PATH; none: exit 3);
# nights of an empty shard with the real faultline (folder naming, the files of a night,
# `latest`, --junit's copy) and --keep pruning only its own folders of the same shard;
# and the suite's exit codes 1, 2, 3 passed through (a stub faultline). The real runs on
# a cluster are tests/ci/test_nightly.sh.
#
# usage: test_nightly_cli.sh FAULTLINE REPO
set -u
FL=$(realpath "$1")
REPO=$2
NIGHTLY=$REPO/scripts/nightly.sh
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_nightly_cli.XXXXXX") || exit 3
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }

cat >"$TMP/one.json" <<'JSON'
{"tests": [{"name": "only", "target": "quorumkv", "time-limit": 2, "nemesis": null}]}
JSON
echo '{"tests": 5}' >"$TMP/bad.json"
echo '{"tests": [{"name": "x", "target": "quorumkv", "bug": "no-such-bug"}]}' >"$TMP/badbug.json"

# --- usage errors: 64, a message naming the problem, nothing made ---
usage_case() { # what to find in the message, args...
    local want=$1; shift
    (cd "$TMP" && "$NIGHTLY" --faultline "$FL" --store "$TMP/u" "$@") >"$TMP/out" 2>"$TMP/err"; local rc=$?
    [ "$rc" = 64 ] && grep -q -- "$want" "$TMP/err" && grep -q "^usage: scripts/nightly.sh" "$TMP/err" \
        && [ ! -e "$TMP/u" ] && ok "usage: $* -> 64, '$want'" \
        || bad "usage: $*: exit $rc, $(cat "$TMP/err"), $(ls "$TMP/u" 2>&1)"
}
usage_case "want a suite file"
usage_case "want one suite file" one.json one.json
usage_case "unknown flag --bogus" --bogus one.json
usage_case "--keep 0: want a whole number" --keep 0 one.json
usage_case "--keep x: want a whole number" --keep x one.json
usage_case "--shard 0/2: want I/N" --shard 0/2 one.json
usage_case "--shard 3/2: want I/N" --shard 3/2 one.json
usage_case "--shard 2: want I/N" --shard 2 one.json
usage_case "--budget 0: want seconds" --budget 0 one.json
usage_case "--budget abc: want seconds" --budget abc one.json
usage_case "--junit needs a value" one.json --junit
usage_case "no-such.json: no such file" no-such.json
usage_case "--faultline /nonexistent: not an executable" --faultline /nonexistent one.json
"$NIGHTLY" --help >"$TMP/help" 2>&1; rc=$?
[ "$rc" = 0 ] && grep -q -- "--keep K" "$TMP/help" && ok "--help: the usage on stdout, exit 0" || bad "--help: exit $rc"

# --- files faultline suite refuses: its exit code, no night ---
for f in bad badbug; do
    "$NIGHTLY" --faultline "$FL" --store "$TMP/r" "$TMP/$f.json" >"$TMP/out" 2>"$TMP/err"; rc=$?
    [ "$rc" = 65 ] && grep -q "no night made" "$TMP/err" && [ ! -e "$TMP/r" ] \
        && ok "$f.json: faultline suite's 65 passed through, no night made" \
        || bad "$f.json: exit $rc $(cat "$TMP/err") $(ls -R "$TMP/r" 2>&1)"
done

# --- --list: faultline suite --list of this shard, nothing made ---
"$NIGHTLY" --faultline "$FL" --store "$TMP/l" --shard 1/2 --budget 60 --list "$TMP/one.json" >"$TMP/out" 2>"$TMP/err"; rc=$?
[ "$rc" = 0 ] && [ "$(cut -f1 "$TMP/out")" = only ] && [ ! -e "$TMP/l" ] \
    && ok "--list prints the shard's tests and makes nothing" || bad "--list: exit $rc $(cat "$TMP/out" "$TMP/err")"

# --- which faultline: the checkout's build, else PATH, else exit 3 ---
cat >"$TMP/stub" <<'SH'
#!/usr/bin/env bash
# A stand-in faultline: --version; `suite --list` lists one test; `suite` prints a table,
# writes --junit's file (unless STUB_NO_JUNIT) and exits $STUB_RC.
[ "$1" = --version ] && { echo "faultline stub"; exit 0; }
[ "$1" = suite ] || exit 64
shift
junit="" list=0
while [ $# -gt 1 ]; do
    case $1 in --junit) junit=$2; shift 2 ;; --list) list=1; shift ;; --*) shift 2 ;; *) shift ;; esac
done
[ "$list" = 1 ] && { printf 'stubbed\t{}\n'; exit 0; }
echo "stub run line"; echo "stubbed  verdict-$STUB_RC"
echo "stub progress" >&2
[ -n "$junit" ] && [ -z "${STUB_NO_JUNIT:-}" ] && echo '<testsuites tests="1"/>' >"$junit"
exit "$STUB_RC"
SH
chmod +x "$TMP/stub"
mkdir -p "$TMP/co/build/harness" "$TMP/path"
ln -s "$REPO/scripts" "$TMP/co/scripts"
ln -s "$TMP/stub" "$TMP/co/build/harness/faultline"
(cd "$TMP/co" && STUB_RC=0 scripts/nightly.sh --store s --list "$TMP/one.json") >"$TMP/out" 2>&1; rc=$?
[ "$rc" = 0 ] && grep -q stubbed "$TMP/out" && ok "no --faultline: the checkout's build/harness/faultline" \
    || bad "default faultline: exit $rc $(cat "$TMP/out")"
rm "$TMP/co/build/harness/faultline"
ln -s "$TMP/stub" "$TMP/path/faultline"
(cd "$TMP/co" && PATH="$TMP/path:$PATH" scripts/nightly.sh --list "$TMP/one.json") >"$TMP/out" 2>&1; rc=$?
[ "$rc" = 0 ] && grep -q stubbed "$TMP/out" && ok "no build: faultline on PATH" || bad "PATH faultline: exit $rc $(cat "$TMP/out")"
if ! command -v faultline >/dev/null; then
    (cd "$TMP/co" && scripts/nightly.sh "$TMP/one.json") >"$TMP/out" 2>&1; rc=$?
    [ "$rc" = 3 ] && grep -q "no faultline: build it" "$TMP/out" && ok "no faultline anywhere: exit 3, says to build it" \
        || bad "no faultline: exit $rc $(cat "$TMP/out")"
fi

# --- nights of an empty shard (the real faultline, nothing to run): naming, files, latest ---
S=$TMP/store
N=$S/nights
mkdir -p "$N/notes" "$N/20200101T000000Z-shard-2-of-2" "$N/20200101T000001Z"
echo keep >"$N/20200101T000002Z-shard-2-of-2"                  # a file with its name
echo "made by scripts/nightly.sh" >"$N/20200101T000001Z/.nightly" # another shard's (none) night
ln -s notes "$N/20200101T000003Z-shard-2-of-2"                  # a symlink with its name
night() { # args...
    (cd "$TMP" && "$NIGHTLY" --faultline "$FL" --store "$S" --shard 2/2 "$@" "$TMP/one.json") >"$TMP/out" 2>"$TMP/err"
}
night --keep 2 --junit "$TMP/ci/junit.xml"; rc=$?
first=$(readlink "$N/latest")
[ "$rc" = 0 ] && [[ $first =~ ^[0-9]{8}T[0-9]{6}Z-shard-2-of-2$ ]] && [ -d "$N/$first" ] \
    && ok "an empty shard: exit 0, a night $first, latest -> it" || bad "night 1: exit $rc, latest '$first' $(cat "$TMP/err")"
D=$N/$first
[ "$(cat "$D/exit-code" 2>/dev/null)" = 0 ] && [ -f "$D/.nightly" ] && cmp -s "$D/suite.json" "$TMP/one.json" \
    && grep -q "^faultline " "$D/faultline-version" && grep -q "0 tests, 0 runs" "$D/summary.txt" \
    && [ -f "$D/suite.log" ] && grep -q -- "--store $D/store --junit $D/junit.xml" "$D/command" \
    && ok "the night holds exit-code, suite.json, faultline-version, summary.txt, suite.log, command" \
    || bad "night files: $(ls -A "$D"; cat "$D/command")"
grep -q '<testsuites' "$D/junit.xml" && cmp -s "$D/junit.xml" "$TMP/ci/junit.xml" \
    && ok "junit.xml in the night, and --junit's copy" || bad "junit: $(ls "$D" "$TMP/ci" 2>&1)"
night --keep 2; night --keep 2; rc=$?
mapfile -t left < <(cd "$N" && ls -d 2*/.nightly | grep -E '^[0-9]{8}T[0-9]{6}Z-shard-2-of-2/' | cut -d/ -f1)
[ "$rc" = 0 ] && [ ! -e "$D" ] && [ "${#left[@]}" = 2 ] && [ "$(readlink "$N/latest")" = "${left[1]}" ] \
    && ok "--keep 2 over three nights: the oldest of its own is gone, latest -> the newest" \
    || bad "pruning: exit $rc, left ${left[*]}, latest $(readlink "$N/latest"); $(ls -A "$N")"
[ -d "$N/notes" ] && [ -d "$N/20200101T000000Z-shard-2-of-2" ] && [ -d "$N/20200101T000001Z" ] \
    && [ -f "$N/20200101T000002Z-shard-2-of-2" ] && [ -L "$N/20200101T000003Z-shard-2-of-2" ] \
    && ok "pruning left alone: another name, a folder without its marker, another shard's night, a file, a symlink" \
    || bad "pruning removed something not its own: $(ls -A "$N")"

# --- the suite's exit codes pass through; summary.txt and suite.log get its output ---
for code in 1 2 3; do
    STUB_RC=$code "$NIGHTLY" --faultline "$TMP/stub" --store "$TMP/p" --junit "$TMP/p.xml" "$TMP/one.json" >"$TMP/out" 2>"$TMP/err"; rc=$?
    D=$TMP/p/nights/$(readlink "$TMP/p/nights/latest")
    [ "$rc" = "$code" ] && [ "$(cat "$D/exit-code")" = "$code" ] && grep -q "verdict-$code" "$D/summary.txt" \
        && grep -q "verdict-$code" "$TMP/out" && grep -q "stub progress" "$D/suite.log" && [ -f "$TMP/p.xml" ] \
        && ok "the suite's exit $code is nightly.sh's, and in exit-code; output in summary.txt and suite.log" \
        || bad "exit $code: got $rc $(cat "$TMP/err")"
    rm -rf "$TMP/p" "$TMP/p.xml"
done
STUB_RC=3 STUB_NO_JUNIT=1 "$NIGHTLY" --faultline "$TMP/stub" --store "$TMP/p" --junit "$TMP/p.xml" "$TMP/one.json" >"$TMP/out" 2>"$TMP/err"; rc=$?
[ "$rc" = 3 ] && grep -q "wrote no junit.xml" "$TMP/err" && [ ! -e "$TMP/p.xml" ] \
    && ok "no junit.xml from the suite: said, and the exit code stays 3" || bad "no junit: exit $rc $(cat "$TMP/err")"

echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
