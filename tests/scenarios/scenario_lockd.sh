#!/usr/bin/env bash
# lockd at the target's defaults on the local cluster (long; ctest label `acceptance`):
#   1. correct: 10 runs × 60 s (seeds 1–10) all valid, each with ≥ 300 acknowledged
#      critical sections (ok writes) and ≥ 10 holders whose lease expired while they were
#      stalled (accesses with a token below one already granted: the fencing checker's
#      stalled-holders, counted from the history);
#   2. write-before-fence and no-fence: invalid in ≥ 4 of 5 runs, results.json naming the
#      stale access, its token and the newer access it came after;
#   3. early-grant alone: valid in 5 of 5 (the storage fences it); early-grant+no-fence:
#      invalid in ≥ 4 of 5, every stale access saying why the two holders overlapped, and
#      the lease overlaps the lock service itself made counted by reason.
# A table per scenario: seed, exit, ok writes, stalled holders (fenced), anomalies, lease
# overlaps by reason.
#
# usage: [FL_SCENARIOS="correct write-before-fence no-fence early-grant"] scenario_lockd.sh FAULTLINE [SECONDS]
source "$(dirname "$0")/../support/cluster_lib.sh"
acceptance_cluster "$@"

scenario() { # name seeds [--bug BUG]
    local name=$1 seeds=$2; shift 2
    valid=0 invalid=0
    printf '%-22s %4s %4s %7s %8s %8s %9s  %s\n' scenario seed exit writes stalled fenced anomalies overlaps
    for seed in $seeds; do
        "$FL" test --target lockd --nodes-file "$NODES" --store "$STORE" --name "$name" \
            --seed "$seed" --time-limit "$SECS" "$@" >/dev/null 2>"$DIR/err"
        rc=$?
        R=$(readlink -f "$STORE/$name/latest")
        case $rc in 0) valid=$((valid + 1));; 1) invalid=$((invalid + 1));; *) tail -n 3 "$DIR/err";; esac
        writes=$(grep -c '"type":"ok","f":"write"' "$R/history.jsonl")
        read -r stalled fenced anomalies overlaps < <(jq -r '.checkers.fencing |
            "\(."stalled-holders".count) \(."stalled-holders".rejected) \(.anomaly_count)
             \(."lease-overlaps".reasons | tojson)"' "$R/results.json" | tr -d '\n')
        printf '%-22s %4s %4s %7s %8s %8s %9s  %s\n' "$name" "$seed" "$rc" "$writes" "$stalled" \
            "$fenced" "$anomalies" "$overlaps"
        echo "$name $seed $rc $writes $stalled $R" >>"$DIR/rows"
    done
}

want() { [[ " ${FL_SCENARIOS:-correct write-before-fence no-fence early-grant} " == *" $1 "* ]]; }

if want correct; then
    scenario correct "1 2 3 4 5 6 7 8 9 10"
    [ "$valid" = 10 ] && ok "correct: 10 of 10 valid" || bad "correct: $valid of 10 valid"
    while read -r name seed rc writes stalled R; do
        [ "$name" = correct ] || continue
        [ "$writes" -ge 300 ] || bad "correct seed $seed: only $writes acknowledged critical sections"
        [ "$stalled" -ge 10 ] || bad "correct seed $seed: only $stalled holders stalled past their lease"
    done <"$DIR/rows"
    ok "correct rows checked (≥ 300 critical sections, ≥ 10 stalled holders each)"
fi

for bug in write-before-fence no-fence; do
    want "$bug" || continue
    scenario "$bug" "1 2 3 4 5" --bug "$bug"
    [ "$invalid" -ge 4 ] && ok "$bug: $invalid of 5 invalid" || bad "$bug: only $invalid of 5 invalid"
    R=$(readlink -f "$STORE/$bug/latest")
    jq -e '[.checkers.fencing.anomalies[] | select(.type == "stale-accepted")][0] |
           (.ops | length) >= 2 and (.explanation | test("with token [0-9]+.*token-[0-9]+"))' \
        "$R/results.json" >/dev/null && ok "$bug: results.json names the stale access, its token and the newer one" \
        || bad "$bug: no named stale access in $R/results.json"
done

if want early-grant; then
    scenario early-grant "1 2 3 4 5" --bug early-grant
    [ "$valid" = 5 ] && ok "early-grant alone: 5 of 5 valid (the storage fences it)" \
        || bad "early-grant alone: $valid of 5 valid"
    scenario early-grant+no-fence "1 2 3 4 5" --bug early-grant+no-fence
    [ "$invalid" -ge 4 ] && ok "early-grant+no-fence: $invalid of 5 invalid" \
        || bad "early-grant+no-fence: only $invalid of 5 invalid"
    whys=$(for d in "$STORE"/early-grant+no-fence/2*/; do jq -r '.checkers.fencing.anomalies[] |
           select(.type == "stale-accepted") | .overlap' "$d/results.json"; done | sort | uniq -c | tr '\n' ' ')
    missing=$(for d in "$STORE"/early-grant+no-fence/2*/; do jq -r '.checkers.fencing.anomalies[] |
           select(.type == "stale-accepted" and (.explanation | contains("Why two holders") | not)) | .type' \
           "$d/results.json"; done | wc -l)
    [ "$missing" = 0 ] && ok "every stale access says why the holders overlapped: $whys" \
        || bad "$missing stale accesses without a why"
    grants=$(for d in "$STORE"/early-grant*/2*/; do jq -r '.checkers.fencing."lease-overlaps".reasons."early-grant" // 0' \
             "$d/results.json"; done | paste -sd+ | bc)
    echo "# early grants inside a live lease, over the early-grant runs: $grants"
fi

echo "$pass passed, $fail failed"
test "$fail" -eq 0
