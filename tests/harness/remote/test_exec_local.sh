#!/usr/bin/env bash
# `faultline exec` through the "local" remote (harness/remote/remote_local.c): a nodes file with
# "remote": "local" and no host, key or known_hosts; each node's output prefixed with its
# name, stderr on stderr, a failing node's exit status named, exit 3 unless all exited 0;
# a timeout that names the node and ends the command; an unknown remote refused with 65.
# Needs no root; as root it also runs once as nobody (setpriv) to show that.
#
# usage: test_exec_local.sh FAULTLINE
set -u
FL=$1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_exec_local.XXXXXX") || exit 3
chmod 755 "$TMP"
trap 'rm -rf "$TMP"' EXIT
source "$(dirname "$0")/../../support/cluster_lib.sh" # ok, bad and their counts

cat >"$TMP/nodes.json" <<JSON
{"remote": "local",
 "nodes": [{"name": "n1", "workdir": "$TMP/n1"}, {"name": "n2", "workdir": "$TMP/n2"}]}
JSON
chmod 644 "$TMP/nodes.json"

"$FL" exec --nodes-file "$TMP/nodes.json" -- 'echo "out $$"; echo oops >&2' >"$TMP/out" 2>"$TMP/err"
rc=$?
[ "$rc" = 0 ] && grep -q '^n1: out [0-9]' "$TMP/out" && grep -q '^n2: out [0-9]' "$TMP/out" \
    && grep -q '^n1: oops$' "$TMP/err" && grep -q '^n2: oops$' "$TMP/err" \
    && ok "both nodes ran: stdout and stderr prefixed, exit 0" \
    || bad "exit $rc: $(cat "$TMP/out" "$TMP/err")"

"$FL" exec --nodes-file "$TMP/nodes.json" -- exit 4 >"$TMP/out" 2>"$TMP/err"; rc=$?
[ "$rc" = 3 ] && grep -q '^n1: exit status 4$' "$TMP/err" && grep -q '^n2: exit status 4$' "$TMP/err" \
    && ok "a failing command: each node's exit status, exit 3" || bad "exit 4: exit $rc: $(cat "$TMP/err")"

"$FL" exec --nodes-file "$TMP/nodes.json" -- 'kill -KILL $$' >"$TMP/out" 2>"$TMP/err"; rc=$?
[ "$rc" = 3 ] && grep -q '^n1: killed by signal KILL$' "$TMP/err" \
    && ok "a command ended by a signal: named" || bad "signal: exit $rc: $(cat "$TMP/err")"

start=$(date +%s)
"$FL" exec --nodes-file "$TMP/nodes.json" --timeout 0.3 -- sleep 37.25 >"$TMP/out" 2>"$TMP/err"; rc=$?
took=$(( $(date +%s) - start ))
[ "$rc" = 3 ] && [ "$took" -lt 10 ] \
    && grep -q '^n1: error: n1 (local): `sleep 37.25` timed out after 300 ms$' "$TMP/err" \
    && ok "a timeout names the node and the command (${took}s)" || bad "timeout: exit $rc after ${took}s: $(cat "$TMP/err")"
pgrep -f 'sleep 37.25$' >/dev/null && bad "the timed-out command still runs" || ok "the timed-out command was ended"

sed 's/"local"/"telnet"/' "$TMP/nodes.json" >"$TMP/bad.json"
"$FL" exec --nodes-file "$TMP/bad.json" -- true >"$TMP/out" 2>"$TMP/err"; rc=$?
[ "$rc" = 65 ] && grep -q '"remote" must be "ssh" or "local"' "$TMP/err" \
    && ok "an unknown remote: 65, naming the choices" || bad "telnet: exit $rc: $(cat "$TMP/err")"

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    setpriv --reuid=65534 --regid=65534 --clear-groups "$FL" exec --nodes-file "$TMP/nodes.json" \
        -- id -u >"$TMP/out" 2>"$TMP/err"; rc=$?
    [ "$rc" = 0 ] && grep -q '^n1: 65534$' "$TMP/out" && ok "as nobody: no root needed" \
        || bad "as nobody: exit $rc: $(cat "$TMP/out" "$TMP/err")"
fi

echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
