#!/usr/bin/env bash
# `faultline zoo` without a cluster: --help documents the flags and exit codes; bad flags
# are refused with 64 and a message naming the flag and what is allowed (an unknown
# target or bug lists the known ones); --list shows one row per target's correct mode
# and per seeded bug (as `faultline targets` lists them), each with only the zoo's own
# settings, every row of a target with the same defaults, and a bug's needs; --target
# and --bug select one row.
#
# usage: test_zoo_cli.sh FAULTLINE
set -u
FL=$1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_zoo_cli.XXXXXX") || exit 3
trap 'rm -rf "$TMP"' EXIT
source "$(dirname "$0")/../../support/cluster_lib.sh" # ok, bad and their counts

# --- help ---
"$FL" zoo --help >"$TMP/help" 2>&1; rc=$?
[ "$rc" = 0 ] && grep -q -- "--sim-seeds K" "$TMP/help" && grep -q "1 a correct mode raised" "$TMP/help" \
    && grep -q "64 usage" "$TMP/help" && ok "--help: the flags and the exit codes" || bad "--help: exit $rc $(head -3 "$TMP/help")"
"$FL" --help | grep -q "^  zoo " && ok "faultline --help lists zoo" || bad "faultline --help has no zoo"

# --- bad flags: 64, naming the flag ---
refused() { # description, pattern, flags…
    local what=$1 want=$2; shift 2
    "$FL" zoo "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?
    [ "$rc" = 64 ] && grep -q -- "$want" "$TMP/err" && ok "$what: 64, '$want'" \
        || bad "$what: exit $rc: $(head -3 "$TMP/err")"
}
refused "an unknown target" "--target nope: no such target; known: quorumkv, raftkv" --target nope --list
refused "an unknown bug" "--bug nope: no target has this bug; known: correct, stale-quorum, .*old-term-commit" --bug nope --list
refused "another target's bug" "--bug stale-read: no such bug of this target; known: correct, stale-quorum, no-write-back, wall-clock-lww" \
    --target quorumkv --bug stale-read --list
refused "--runs 0" "--runs 0: want a number from 1 to 1000" --runs 0 --list
refused "--runs 2.5" "--runs 2.5: want a whole number" --runs 2.5 --list
refused "--correct-runs x" "--correct-runs x: want a number" --correct-runs x --list
refused "--time-limit 0" "--time-limit 0: want a number from 0.1" --time-limit 0 --list
refused "--sim-seeds -1" "--sim-seeds -1: want a number from 0" --sim-seeds -1 --list
refused "--seed x" "--seed x: want a number" --seed x --list
refused "an unknown flag" "--only: an unknown flag" --only x
refused "a flag without its value" "--runs: an unknown flag, or one without its value" --list --runs
refused "an argument" 'unexpected argument "quorumkv"' quorumkv

# --- the rows ---
# Per target: its correct mode (unless a known finding holds at its defaults), its bugs,
# then its known findings, as `faultline targets` lists them.
"$FL" targets | awk 'function flush() { if (t != "") printf "%s%s%s", unsafe ? "" : "zoo-" t "-correct\n", bugs, finds }
    /^[a-z]/ {flush(); t=$1; bugs=""; finds=""; unsafe=0; sec=""; next}
    /^  seeded bugs/ {sec="bug"; next} /^  known findings/ {sec="finding"; next} /^  [a-z]/ {sec=""; next}
    sec == "bug" && /^    [a-z]/ {bugs = bugs "zoo-" t "-" $1 "\n"}
    sec == "finding" && /^    [a-z]/ {n=$1; sub(/:$/, "", n); finds = finds "zoo-" t "-" n "\n"
        if ($0 ~ /: with the defaults/) unsafe=1}
    END {flush()}' >"$TMP/want"
"$FL" zoo --list >"$TMP/list" 2>"$TMP/list.err"; rc=$?
cut -f1 "$TMP/list" >"$TMP/names"
[ -s "$TMP/want" ] && cmp -s "$TMP/want" "$TMP/names" \
    && ok "--list: a row per correct mode and per bug ($(wc -l <"$TMP/names") rows, as faultline targets lists them)" \
    || bad "--list rows: $(diff "$TMP/want" "$TMP/names" | head)"
[ "$rc" = 0 ] && ok "--list: exit 0, every row resolves" \
    || bad "--list: exit $rc: $(grep 'cannot run' "$TMP/list" | head -3) $(cat "$TMP/list.err")"
grep -q "rows (about" "$TMP/list.err" && ok "--list says how many rows and how long" || bad "list footer: $(cat "$TMP/list.err")"
extra=$(cut -f2 "$TMP/list" | jq -r 'keys[]' | sort -u | grep -vxE 'target|bug|target-opt|time-limit|seed|test-count|store|nodes-file')
[ -z "$extra" ] && ok "--list: each row sets only target, bug, target-opt, time-limit, seed, test-count, store" \
    || bad "--list: per-row settings beyond the zoo's: $extra"
# A target option is a known finding's setting, and only a finding's row has one.
opt_rows=$(awk -F'\t' '$2 ~ /"target-opt"/' "$TMP/list" | cut -f1 | tr '\n' ' ')
opt_known=$(awk -F'\t' '$2 ~ /"target-opt"/ && /\tknown finding: /' "$TMP/list" | cut -f1 | tr '\n' ' ')
[ -n "$opt_rows" ] && [ "$opt_rows" = "$opt_known" ] \
    && ok "--list: target options only on known findings' rows ($opt_rows)" \
    || bad "--list: target-opt rows '$opt_rows', known findings '$opt_known'"
row_of() { grep "^$1	" "$TMP/list"; }
[ "$(row_of zoo-etcd-stale-serializable-reads | cut -f2 | jq -c '.["target-opt"]')" = '["serializable-reads=true"]' ] \
    && row_of zoo-etcd-stale-serializable-reads | grep -q '	known finding: .*etcd' \
    && [ "$(row_of zoo-etcd-stale-serializable-reads | cut -f2 | jq -c '.["test-count"]')" = 5 ] \
    && ok "a known finding: its option, where it is documented, runs as many as a bug" \
    || bad "etcd finding row: $(row_of zoo-etcd-stale-serializable-reads)"
same=yes
for t in $(cut -f1 "$TMP/list" | sed -n 's/^zoo-\([a-z0-9]*\)-correct$/\1/p'); do
    n=$(grep "^zoo-$t-" "$TMP/list" | cut -f3 | sort -u | wc -l)
    [ "$n" = 1 ] || same="no ($t: $n different)"
done
[ "$same" = yes ] && ok "--list: every row of a target has the same defaults (none per bug)" || bad "--list defaults: $same"
row() { grep "^$1	" "$TMP/list"; }
[ "$(row zoo-quorumkv-stale-quorum | cut -f2 | jq -c .)" = '{"bug":"stale-quorum","seed":"1","store":"store","target":"quorumkv","test-count":5,"time-limit":60}' ] \
    && [ "$(row zoo-quorumkv-correct | cut -f2 | jq -c '.["test-count"]')" = 10 ] \
    && ok "defaults: 5 runs a bug, 10 a correct mode, 60 s, seed 1" || bad "defaults: $(row zoo-quorumkv-stale-quorum)"
row zoo-quorumkv-no-write-back | grep -q "	needs: packets reordered" && ok "a bug that needs netem says so" \
    || bad "no-write-back: $(row zoo-quorumkv-no-write-back)"
# On machines of their own (every clock "system": VMs), a bug's row runs with the fault it
# needs, for as long as it needs; other rows keep the zoo's settings.
touch "$TMP/key" "$TMP/known_hosts"
jq -n --arg key "$TMP/key" --arg kh "$TMP/known_hosts" '{known_hosts: $kh, nodes: [range(3) | {name: "n\(. + 1)", host: "10.213.0.\(. + 11)",
    user: "faultline", key: $key, workdir: "/w", clock: "system", sudo: true}]}' >"$TMP/vms.json"
"$FL" zoo --target quorumkv --nodes-file "$TMP/vms.json" --list >"$TMP/vm" 2>"$TMP/vm.err"
vm_row() { grep "^$1	" "$TMP/vm" | cut -f2; }
[ "$(vm_row zoo-quorumkv-no-write-back | jq -c '[.nemesis, .["time-limit"]]')" = '["netem:reorder:all",180]' ] \
    && [ "$(vm_row zoo-quorumkv-stale-quorum | jq -c '[.nemesis, .["time-limit"]]')" = '[null,60]' ] \
    && ok "on VMs: no-write-back runs with netem:reorder:all for 180 s; stale-quorum as given" \
    || bad "on VMs: $(cat "$TMP/vm" "$TMP/vm.err")"
"$FL" zoo --target quorumkv --bug no-write-back --time-limit 300 --nodes-file "$TMP/vms.json" --list \
    >"$TMP/vm" 2>&1
[ "$(vm_row zoo-quorumkv-no-write-back | jq -c '.["time-limit"]')" = 300 ] \
    && ok "on VMs: a longer --time-limit than the bug needs stands" || bad "on VMs, 300 s: $(cat "$TMP/vm")"
"$FL" targets | grep -q "the zoo runs it with --nemesis netem:reorder:all for 180 s at least" \
    && ok "faultline targets says so" || bad "targets: $("$FL" targets | grep -A2 no-write-back)"
# A target file's rows: its correct mode and its bugs, with the needs a bug declares.
examples=$(dirname "$0")/../../../examples
"$FL" zoo --target-file "$examples/quorumkv/quorumkv.json" --nodes-file "$TMP/vms.json" --list \
    >"$TMP/file" 2>"$TMP/file.err"; rc=$?
[ "$rc" = 0 ] && [ "$(cut -f1 "$TMP/file" | tr '\n' ' ')" = "zoo-quorumkv-file-correct zoo-quorumkv-file-stale-quorum zoo-quorumkv-file-no-write-back zoo-quorumkv-file-wall-clock-lww " ] \
    && [ "$(grep '^zoo-quorumkv-file-no-write-back	' "$TMP/file" | cut -f2 | jq -c '[.nemesis, .["time-limit"]]')" = '["netem:reorder:all",180]' ] \
    && grep -q "	needs: packets reordered" "$TMP/file" \
    && ok "--target-file: the file's target's rows only, a bug's needs and length on VMs" \
    || bad "--target-file: exit $rc $(cat "$TMP/file" "$TMP/file.err")"
echo '{"name": "x"' >"$TMP/broken.json"
"$FL" zoo --target-file "$TMP/broken.json" --list >/dev/null 2>"$TMP/broken.err"; rc=$?
[ "$rc" = 65 ] && grep -q "faultline zoo: --target-file .*broken.json:" "$TMP/broken.err" \
    && ok "--target-file that does not parse: 65, naming the file" || bad "broken file: exit $rc $(cat "$TMP/broken.err")"
row zoo-raftkv-lease-read | grep -q "	simulator: raft-sim, 2000 seeds" && ! row zoo-quorumkv-correct | grep -q simulator \
    && ok "a target with a simulator says so; one without does not" || bad "simulator: $(row zoo-raftkv-lease-read)"

# --- selecting rows ---
"$FL" zoo --target raftkv --bug lease-read --list >"$TMP/one" 2>/dev/null
[ "$(cut -f1 "$TMP/one")" = zoo-raftkv-lease-read ] && ok "--target raftkv --bug lease-read: one row" \
    || bad "one row: $(cut -f1 "$TMP/one")"
"$FL" zoo --target quorumkv --runs 3 --time-limit 9 --seed 42 --sim-seeds 0 --store S --nodes-file N --list \
    >"$TMP/q" 2>"$TMP/q.err"; rc=$?
[ "$rc" = 0 ] && [ "$(cut -f1 "$TMP/q" | tr '\n' ' ')" = "zoo-quorumkv-correct zoo-quorumkv-stale-quorum zoo-quorumkv-no-write-back zoo-quorumkv-wall-clock-lww " ] \
    && [ "$(head -1 "$TMP/q" | cut -f2 | jq -c .)" = '{"nodes-file":"N","seed":"42","store":"S","target":"quorumkv","test-count":6,"time-limit":9}' ] \
    && ok "--target quorumkv --runs 3 …: 4 rows, 2 × 3 runs of the correct mode, the flags' settings" \
    || bad "quorumkv list: exit $rc $(head -2 "$TMP/q") $(cat "$TMP/q.err")"
"$FL" zoo --bug correct --list 2>/dev/null | cut -f1 | tr '\n' ' ' >"$TMP/c"
[ "$(cat "$TMP/c")" = "zoo-quorumkv-correct zoo-raftkv-correct zoo-lockd-correct zoo-payments-correct zoo-postgres-correct zoo-etcd-correct " ] && ok "--bug correct: the correct modes" \
    || bad "--bug correct: $(cat "$TMP/c")"

echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
