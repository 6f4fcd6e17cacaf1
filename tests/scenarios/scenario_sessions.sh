#!/usr/bin/env bash
# Session guarantees, issue 7's acceptance runs on the local cluster (long; ctest label
# `acceptance`): the session checker on real systems.
#   quorumkv --bug stale-quorum under partitions, register workload: read-your-writes
#   flagged in ≥ 4 of 5 runs; correct quorumkv under the same faults: every session
#   guarantee kept in 5 of 5. raftkv on list-append: correct under partition,kill,pause
#   valid in 5 of 5; --bug stale-read (leader cut off) invalid in ≥ 4 of 5, with the
#   guarantees that broke (if any) printed per run.
#
# usage: [FL_SCENARIOS="qkv-stale qkv-correct rkv-correct rkv-stale"] scenario_sessions.sh FAULTLINE [SECONDS]
source "$(dirname "$0")/../support/cluster_lib.sh"
acceptance_cluster "$@"

want() { [[ " ${FL_SCENARIOS:-qkv-stale qkv-correct rkv-correct rkv-stale} " == *" $1 "* ]]; }

scenario() { # name target seeds flags…
    local name=$1 target=$2 seeds=$3; shift 3
    valid=0 invalid=0 ryw=0 kept=0
    printf '%-12s %4s %4s %7s %5s  %s\n' scenario seed exit ok info "session guarantees (violations)"
    for seed in $seeds; do
        "$FL" test --target "$target" --nodes-file "$NODES" --store "$STORE" --name "$name" \
            --seed "$seed" --time-limit "$SECS" --rate 200 --concurrency 10 "$@" >/dev/null 2>"$DIR/err"
        rc=$?
        R=$(readlink -f "$STORE/$name/latest")
        case $rc in 0) valid=$((valid + 1));; 1) invalid=$((invalid + 1));; *) tail -n 3 "$DIR/err";; esac
        [ "$(jq -r '.checkers.session.guarantees.ryw.valid' "$R/results.json")" = false ] && ryw=$((ryw + 1))
        [ "$(jq -r '.checkers.session.valid' "$R/results.json")" = true ] && kept=$((kept + 1))
        printf '%-12s %4s %4s %7s %5s  %s\n' "$name" "$seed" "$rc" \
            "$(jq -r '.checkers.stats.ok' "$R/results.json")" "$(jq -r '.checkers.stats.info' "$R/results.json")" \
            "$(jq -r '[.checkers.session.guarantees | to_entries[] | "\(.key)=\(.value.valid)(\(.value.violation_count // 0))"] | join(" ")' "$R/results.json")"
    done
}

if want qkv-stale; then
scenario qkv-stale quorumkv "1 2 3 4 5" --bug stale-quorum --nemesis partition --nemesis-interval 5
[ "$ryw" -ge 4 ] && ok "quorumkv stale-quorum: read-your-writes broken in $ryw of 5" \
    || bad "quorumkv stale-quorum: read-your-writes broken in only $ryw of 5"
fi
if want qkv-correct; then
scenario qkv-correct quorumkv "1 2 3 4 5" --nemesis partition --nemesis-interval 5
[ "$kept" = 5 ] && ok "quorumkv correct: every guarantee kept in 5 of 5" || bad "quorumkv correct: kept in $kept of 5"
[ "$valid" = 5 ] && ok "quorumkv correct: 5 of 5 valid" || bad "quorumkv correct: $valid of 5 valid"
fi
if want rkv-correct; then
scenario rkv-correct raftkv "1 2 3 4 5" --workload list-append --nemesis partition,kill,pause --nemesis-interval 5
[ "$valid" = 5 ] && ok "raftkv list-append correct: 5 of 5 valid" || bad "raftkv list-append correct: $valid of 5 valid"
fi
if want rkv-stale; then
scenario rkv-stale raftkv "1 2 3 4 5" --workload list-append --bug stale-read --nemesis partition:primaries \
    --nemesis-interval 8 --op-timeout 1
[ "$invalid" -ge 4 ] && ok "raftkv list-append stale-read: $invalid of 5 invalid" \
    || bad "raftkv list-append stale-read: only $invalid of 5 invalid"
echo "raftkv stale-read: session guarantees kept in $kept of 5 runs"
fi

echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
