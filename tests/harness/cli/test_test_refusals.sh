#!/usr/bin/env bash
# `faultline test` refusing what it cannot honestly do, with no cluster: clock faults for
# a target the clock shim cannot reach (etcd, a Go program) on nodes whose clock is the
# shim's are refused with exit 64 and the reason — before any node is contacted (the
# nodes file names addresses nobody listens on) — rather than recorded and not applied.
# Known findings and the clock restriction are listed by `faultline targets`.
#
# usage: test_test_refusals.sh FAULTLINE
set -u
FL=$1
TMP=$(mktemp -d /tmp/fl-test-refusals.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
pass=0 fail=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }

nodes() { # clock mode
    printf '{"known_hosts": "%s/known_hosts",\n "nodes": [{"name": "n1", "host": "10.213.250.11", "user": "root", "key": "%s/k", "workdir": "/tmp/w1", "clock": "%s"},\n' "$TMP" "$TMP" "$1"
    printf '           {"name": "n2", "host": "10.213.250.12", "user": "root", "key": "%s/k", "workdir": "/tmp/w2", "clock": "%s"}]}\n' "$TMP" "$1"
}
nodes faketime >"$TMP/nodes.json"
start=$(date +%s)
"$FL" test --target etcd --nemesis partition,clock --nodes-file "$TMP/nodes.json" --store "$TMP/store" \
    --time-limit 5 >"$TMP/out" 2>"$TMP/err"
rc=$?
took=$(( $(date +%s) - start ))
[ "$rc" = 64 ] && grep -q "etcd cannot take clock faults on n1" "$TMP/err" && grep -q "Go program" "$TMP/err" \
    && grep -q '"clock": "system"' "$TMP/err" \
    && ok "etcd with clock faults on faketime nodes: exit 64, naming the node, why and what to do" \
    || bad "clock refusal: exit $rc: $(cat "$TMP/err")"
[ "$took" -le 3 ] && ok "refused before contacting a node (${took} s)" || bad "took $took s: a node was contacted?"

"$FL" targets >"$TMP/targets"
grep -q 'clock faults: only on nodes with "clock": "system"' "$TMP/targets" \
    && grep -q "stale-serializable-reads: with serializable-reads=true" "$TMP/targets" \
    && grep -q "lost-writes-on-failover: with the defaults" "$TMP/targets" \
    && ok "faultline targets lists the known findings and the clock restriction" \
    || bad "targets: $(grep -A3 '^etcd' "$TMP/targets")"
echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
