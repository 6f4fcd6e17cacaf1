#!/usr/bin/env bash
# Integration test of the local cluster and SSH control, on a real cluster of namespace
# nodes: up / already up / down / up again, ssh by hand into a node, exec on every node,
# per-node PID namespaces (pkill on n1 touches only n1), upload and download with
# checksums, a host key mismatch, a node whose sshd was killed, a malformed nodes file,
# sudo for a non-root user, a rebuild after the sshd processes died, and that the root
# namespace never changes. Cleans up on any exit.
#
# usage: test_cluster.sh FAULTLINE TRANSFER_TEST_BINARY
set -u
FL=$1
TRANSFER=$2
source "$(dirname "$0")/../../support/cluster_lib.sh"
scratch_dir # the cluster's coming up is tested below
chmod 755 "$DIR" # a non-root node user must reach the authorized keys below it
KH=$CDIR/known_hosts
KEY=$CDIR/id_ed25519
USER_NAME=fltest$$
on_exit() {
    userdel -r "$USER_NAME" >/dev/null 2>&1
    rm -f "/etc/sudoers.d/$USER_NAME"
}


before=$(root_net)
out=$("$FL" cluster up --dir "$CDIR" 2>&1); rc=$?
check "cluster up exits 0 ($out)" test $rc -eq 0
check "cluster up prints the nodes file and known_hosts" grep -q "nodes file: $NODES" <<<"$out"
check "nodes file written" test -s "$NODES"
CL=$(jq -r .cluster "$NODES")
NET=$(jq -r .netns "$NODES")
N2=$(jq -r '.nodes[1].host' "$NODES")
check "the cluster has its own name and namespace ($CL, $NET)" test -n "$CL" -a "$NET" = "$CL-net"
check "nodes resolve each other by name" test "$("$FL" exec --nodes-file "$NODES" -- \
    'getent hosts n4 | cut -d" " -f1' 2>&1 | sort -u)" != ""
check "ssh by hand into n2 prints n2" test "$(ip netns exec "$NET" ssh -i "$KEY" \
    -o UserKnownHostsFile="$KH" -o StrictHostKeyChecking=yes -o BatchMode=yes \
    "root@$N2" hostname 2>&1)" = n2
out=$("$FL" exec --nodes-file "$NODES" -- hostname 2>&1); rc=$?
check "exec hostname exits 0" test $rc -eq 0
check "exec hostname prints n1..n5" test "$(sort <<<"$out" | tr '\n' ' ')" = \
    "n1: n1 n2: n2 n3: n3 n4: n4 n5: n5 "
check "the root namespace has no new link, address or route" test "$(root_net)" = "$before"
out=$("$FL" cluster up --dir "$CDIR" 2>&1)
check "a second up says it is already up" grep -q "already up" <<<"$out"
out=$("$FL" cluster status --dir "$CDIR" 2>&1); rc=$?
check "status: every node reachable" test "$rc" -eq 0 -a "$(grep -c reachable <<<"$out")" -eq 5

# A folder with no cluster: its down touches nothing of ours (test_clusters_coexist.sh
# has two clusters up at once).
"$FL" cluster down --dir "$DIR/other" >/dev/null 2>&1
out=$("$FL" exec --nodes-file "$NODES" -- hostname 2>&1); rc=$?
check "down from another folder leaves this cluster up" test $rc -eq 0

# Each node has its own PID namespace: pkill on n1 leaves the other nodes' sleeps.
"$FL" exec --nodes-file "$NODES" -- 'sleep 100 </dev/null >/dev/null 2>&1 &' >/dev/null
ip netns exec "$NET" ssh -i "$KEY" -o UserKnownHostsFile="$KH" -o BatchMode=yes \
    "root@$(jq -r '.nodes[0].host' "$NODES")" pkill sleep
out=$("$FL" exec --nodes-file "$NODES" -- 'pgrep -c sleep || true')
check "pkill sleep on n1 kills only n1's sleep" test "$(sort <<<"$out" | tr '\n' ' ')" = \
    "n1: 0 n2: 1 n3: 1 n4: 1 n5: 1 "
"$FL" exec --nodes-file "$NODES" -- 'pkill sleep; true' >/dev/null

check "upload and download keep content and mode on every node" "$TRANSFER" "$NODES" "$DIR"

# sudo for a non-root user: the command runs as root through sudo -n.
# '*': no password, but not locked (sshd without PAM refuses locked accounts).
if useradd -m "$USER_NAME" 2>/dev/null && usermod -p '*' "$USER_NAME"; then
    echo "$USER_NAME ALL=(ALL) NOPASSWD: ALL" >"/etc/sudoers.d/$USER_NAME"
    chmod 0440 "/etc/sudoers.d/$USER_NAME"
    sed -e "s/\"user\": \"root\"/\"user\": \"$USER_NAME\"/" \
        -e 's/"sudo": false/"sudo": true/' "$NODES" >"$DIR/sudo.json"
    out=$("$FL" exec --nodes-file "$DIR/sudo.json" -- 'id -u; whoami' 2>&1); rc=$?
    check "sudo: a non-root user runs the command as root ($out)" \
        test $rc -eq 0 -a "$(grep -c ': 0$' <<<"$out")" -eq 5
    out=$("$FL" exec --nodes-file "$DIR/sudo.json" -- 'echo "$SUDO_USER"' 2>&1)
    check "sudo: through sudo, as the test user" test "$(grep -c ": $USER_NAME\$" <<<"$out")" -eq 5
else
    bad "could not create the test user $USER_NAME"
fi

# Unknown host keys: refused unless --trust-new-hosts, which records them (TOFU).
sed -e "s#$KH#$DIR/empty_known_hosts#" "$NODES" >"$DIR/tofu.json"
out=$("$FL" exec --nodes-file "$DIR/tofu.json" -- true 2>&1); rc=$?
check "unknown host keys are refused without --trust-new-hosts ($out)" \
    test $rc -eq 3 -a "$(grep -c 'error' <<<"$out")" -eq 5
out=$("$FL" exec --nodes-file "$DIR/tofu.json" --trust-new-hosts -- true 2>&1); rc=$?
check "--trust-new-hosts logs in and records every key ($out)" \
    test $rc -eq 0 -a "$(wc -l <"$DIR/empty_known_hosts")" -eq 5
out=$("$FL" exec --nodes-file "$DIR/tofu.json" -- true 2>&1); rc=$?
check "the recorded keys are trusted next time" test $rc -eq 0

# A key the nodes do not accept, and a key file that does not exist.
ssh-keygen -q -t ed25519 -N '' -f "$DIR/stranger"
sed -e "s#$KEY#$DIR/stranger#" "$NODES" >"$DIR/stranger.json"
out=$("$FL" exec --nodes-file "$DIR/stranger.json" -- true 2>&1); rc=$?
check "a rejected key: exit 3 naming the key ($out)" \
    test $rc -eq 3 -a -n "$(grep "n1" <<<"$out" | grep stranger)"
sed -e "s#$KEY#$DIR/no-such-key#" "$NODES" >"$DIR/nokey.json"
out=$("$FL" exec --nodes-file "$DIR/nokey.json" -- true 2>&1); rc=$?
check "a missing key file: exit 3 naming the file ($out)" \
    test $rc -eq 3 -a -n "$(grep "no-such-key" <<<"$out")"

# A malformed nodes file: exit 65 naming the file and line.
printf '{"known_hosts": "x",\n "nodes": [\n' >"$DIR/bad.json"
out=$("$FL" exec --nodes-file "$DIR/bad.json" -- true 2>&1); rc=$?
check "malformed nodes file exits 65 naming file and line ($out)" \
    test $rc -eq 65 -a -n "$(grep "bad.json:3" <<<"$out")"

# A host key mismatch: n3's host key regenerated, its sshd restarted (SIGHUP re-reads).
n3pid=$(cat "$CDIR/node-n3/node.pid")
sshd3=$(cat "/proc/$n3pid/task/$n3pid/children" | tr ' ' '\n' | head -n 1)
rm -f "$CDIR/node-n3/ssh_host_ed25519_key"*
ssh-keygen -q -t ed25519 -N '' -f "$CDIR/node-n3/ssh_host_ed25519_key"
kill -HUP "$sshd3"
sleep 0.5
out=$("$FL" exec --nodes-file "$NODES" -- true 2>&1); rc=$?
check "host key mismatch: exit 3, names n3 and known_hosts ($out)" \
    test $rc -eq 3 -a -n "$(grep 'n3' <<<"$out" | grep -i 'host key' | grep "$KH")"
check "host key mismatch: the other nodes still answer" \
    test "$(grep -c 'error' <<<"$out")" -eq 1

# A node whose sshd was killed: the error names it, the others answer.
kill -KILL "$(cat "$CDIR/node-n4/node.pid")"
sleep 0.2
out=$("$FL" exec --nodes-file "$NODES" -- hostname 2>&1); rc=$?
check "dead n4: exit 3 and the error names n4 ($out)" \
    test $rc -eq 3 -a -n "$(grep '^n4: error' <<<"$out")"
check "dead n4: n1, n2 and n5 still answer" test "$(grep -c -E '^n[125]: n[125]$' <<<"$out")" -eq 3

# Up after the sshd processes died: rebuilds.
for f in "$CDIR"/node-n*/node.pid; do kill -KILL "$(cat "$f")" 2>/dev/null; done
sleep 0.2
out=$("$FL" cluster up --dir "$CDIR" 2>&1); rc=$?
check "up after the sshds died rebuilds ($out)" test $rc -eq 0 -a -z "$(grep already <<<"$out")"
out=$("$FL" exec --nodes-file "$NODES" -- hostname 2>&1)
check "rebuilt cluster answers on every node" test "$(grep -c -E '^n[1-5]: n[1-5]$' <<<"$out")" -eq 5

"$FL" cluster down --dir "$CDIR" >/dev/null; rc=$?
check "down exits 0" test $rc -eq 0
check "down: no namespace of $CL left" test -z "$(ip netns list | grep -E "^$CL-(net|n[0-9]+)( |\$)")"
check "down: $CL is not listed" test -z "$("$FL" cluster list | grep "^$CL ")"
check "down: no sshd of the cluster left" test -z "$(pgrep -f "$CDIR/node-n")"
check "down: root namespace as before" test "$(root_net)" = "$before"
check "down: the cluster folder is gone" test ! -e "$CDIR"
"$FL" cluster down --dir "$CDIR" >/dev/null; rc=$?
check "down when nothing is up is fine" test $rc -eq 0
out=$("$FL" cluster up --dir "$CDIR" 2>&1); rc=$?
check "up again after down" test $rc -eq 0
"$FL" cluster down --dir "$CDIR" >/dev/null

echo "$pass passed, $fail failed"
test $fail -eq 0
