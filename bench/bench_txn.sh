#!/usr/bin/env bash
# The txn checker on generated list-append histories (bench/txn_gen.c): wall time and
# peak RSS of `faultline check --checker txn` (a child process: reading, inference, cycle
# search), verdicts and anomaly types checked. Generation is not timed.
#   serial-1e5    100,000 txns, 10 active keys rotated after 32 appends, 1-4 micro-ops,
#                 concurrency 10, strict serializable: valid
#   serial-1e6    the same, 1,000,000 txns
#   si-1e4        10,000 txns under snapshot isolation: a component of thousands of txns
#                 full of G2-item (write skew) — the shape of Elle's huge-scc
#   hidden-3e4    30,000 txns under snapshot isolation plus one G-single-item whose
#                 dependency path is 1,000 txns long, on keys of its own — the shape of
#                 Elle's unfindable-g-single: it must be found, exactly
#   certify-1e5   serial-1e5's SI twin with --certify (every reported anomaly re-checked)
# usage: bench_txn.sh FAULTLINE TXN_GEN [CASE…]
set -eu
FL=$1
GEN=$2
shift 2
CASES=${*:-serial-1e5 serial-1e6 si-1e4 hidden-3e4 certify-1e5}
DIR=$(mktemp -d /tmp/fl-bench-txn.XXXXXX)
trap 'rm -rf "$DIR"' EXIT

run() { # name, expected verdict, must-have anomaly or -, checker flags…
    local name=$1 want=$2 must=$3
    shift 3
    local out="$DIR/$name.json" t
    /usr/bin/time -o "$DIR/time" -f "%e %M" "$FL" check --checker txn --json "$@" "$DIR/$name.jsonl" >"$out" 2>/dev/null || true
    t=$(tail -1 "$DIR/time")
    local got types ok=ok
    got=$(jq -r '.checkers.txn.valid' "$out")
    types=$(jq -r '.checkers.txn["anomaly-types"] | join(",")' "$out")
    [ "$got" = "$want" ] || ok="WRONG VERDICT ($got, want $want)"
    if [ "$must" != - ] && ! jq -e --arg a "$must" '.checkers.txn["anomaly-types"] | index($a)' "$out" >/dev/null; then
        ok="MISSING $must"
    fi
    local cert
    cert=$(jq -r '.checkers.txn.certified // "-"' "$out")
    printf '%-12s %7s txns %8.2f s %7.0f MiB  valid=%-5s certified=%-4s %s  [%s]\n' "$name" \
        "$(jq -r '.checkers.txn.txns | .ok + .info + .fail' "$out")" "${t% *}" \
        "$(echo "${t#* } / 1024" | bc -l)" "$got" "$cert" "$ok" "${types:0:90}"
}

for c in $CASES; do
    case $c in
    serial-1e5) "$GEN" --txns 100000 --seed 1 >"$DIR/$c.jsonl"; run $c true - ;;
    serial-1e6) "$GEN" --txns 1000000 --seed 2 >"$DIR/$c.jsonl"; run $c true - ;;
    si-1e4) "$GEN" --txns 10000 --mode si --keys 5 --seed 3 >"$DIR/$c.jsonl"; run $c false G2-item ;;
    hidden-3e4) "$GEN" --txns 30000 --mode si --hide-g-single 1000 --seed 4 >"$DIR/$c.jsonl"
        run $c false G-single-item ;;
    certify-1e5) "$GEN" --txns 100000 --mode si --seed 5 >"$DIR/$c.jsonl"; run $c false - --certify ;;
    *) echo "unknown case $c" >&2; exit 64 ;;
    esac
done
