#!/usr/bin/env bash
# Target files (long; ctest label `acceptance`; issue 21), on a local cluster of its own:
#   1. quorumkv through examples/quorumkv (a Python client) and through the built-in
#      adapter, at the same seeds and the target's defaults: the correct mode valid and
#      stale-quorum caught alike (≥ 4 of 5 each);
#   2. Redis with replicas through examples/redis (redis-py), 5 runs under its file's
#      defaults (partitions and kills): each run completes with ops done and a verdict
#      (exit 0 or 1, never a harness error); the anomalies named.
# A table per scenario: seed, exit, ok / info / fail, verdict, anomaly shapes.
#
# usage: [FL_SCENARIOS="quorumkv redis"] [FL_MODES="correct stale-quorum"]
#        scenario_target_file.sh FAULTLINE [SECONDS]
source "$(dirname "$0")/../support/cluster_lib.sh"
acceptance_cluster "$@"
EXAMPLES=$(cd "$HERE/../../examples" && pwd)

# row NAME SEED FLAG…: one run into STORE/NAME; prints a row, sets rc and v.
row() {
    local name=$1 seed=$2; shift 2
    "$FL" test --nodes-file "$NODES" --store "$STORE" --name "$name" --seed "$seed" \
        --time-limit "$SECS" "$@" >/dev/null 2>"$DIR/err"
    rc=$?
    local R
    R=$(readlink -f "$STORE/$name/latest")
    [ "$rc" -le 2 ] || tail -n 3 "$DIR/err"
    read -r v okn info fl shapes < <(jq -r '.checkers as $c | "\($c.linearizable.valid) \($c.stats.ok)
        \($c.stats.info) \($c.stats.fail) \([$c.linearizable.keys[]? | .anomaly.shape // empty] | unique | join(","))"' \
        "$R/results.json" | tr '\n' ' ')
    printf '%-22s %4s %4s %6s %5s %5s %-6s %s\n' "$name" "$seed" "$rc" "$okn" "$info" "$fl" "$v" "${shapes:--}"
}
header() { printf '%-22s %4s %4s %6s %5s %5s %-6s %s\n' run seed exit ok info fail valid shapes; }
want() { [[ " ${FL_SCENARIOS:-quorumkv redis} " == *" $1 "* ]]; }

if want quorumkv; then
    header
    for mode in ${FL_MODES:-correct stale-quorum}; do
        bug=() && [ "$mode" = correct ] || bug=(--bug "$mode")
        file_hits=0 builtin_hits=0
        for seed in 1 2 3 4 5; do
            row "file-$mode" "$seed" --target-file "$EXAMPLES/quorumkv/quorumkv.json" "${bug[@]}"
            if [ "$mode" = correct ]; then [ "$rc" = 0 ] && file_hits=$((file_hits + 1))
            else [ "$rc" = 1 ] && file_hits=$((file_hits + 1)); fi
            row "builtin-$mode" "$seed" --target quorumkv "${bug[@]}"
            if [ "$mode" = correct ]; then [ "$rc" = 0 ] && builtin_hits=$((builtin_hits + 1))
            else [ "$rc" = 1 ] && builtin_hits=$((builtin_hits + 1)); fi
        done
        what=$([ "$mode" = correct ] && echo valid || echo caught)
        [ "$file_hits" -ge 4 ] && ok "quorumkv $mode through the target file: $what in $file_hits of 5 (built-in: $builtin_hits of 5)" \
            || bad "quorumkv $mode through the target file: $what in only $file_hits of 5 (built-in: $builtin_hits of 5)"
    done
fi
if want redis; then
    header
    done_runs=0
    for seed in 1 2 3 4 5; do
        row redis-file "$seed" --target-file "$EXAMPLES/redis/redis.json"
        { [ "$rc" = 0 ] || [ "$rc" = 1 ]; } && [ "${okn:-0}" -gt 100 ] && done_runs=$((done_runs + 1))
    done
    [ "$done_runs" = 5 ] && ok "Redis through its target file: 5 of 5 runs completed with a verdict" \
        || bad "Redis through its target file: only $done_runs of 5 completed with a verdict"
fi
echo "$pass passed, $fail failed"
test "$fail" -eq 0
