#!/usr/bin/env bash
# The VM cluster, short (ctest labels vm, heavy; issue 20): `faultline cluster up --vm`
# with three qemu guests (image cache CACHE_DIR, shared with the VM test of the agent),
# a 20 s quorumkv test on them with netem and real clock faults at once, then down:
#   - up prints the nodes file; the nodes are Debian's kernel and log in as the sudo user;
#   - the run is valid, its netem and clock faults were applied on the guests
#     (applied_ns), the binaries went up and the logs came back through sudo's staging;
#   - after the run no qdisc of ours is left on a guest and its clock is the host's;
#   - a second up says it is already up; down leaves no qemu, namespace, tap or file,
#     and the host's links, addresses and routes are as they were.
# Skips (77), saying why, where qemu, mmdebstrap or the kernel package cannot be had.
#
#   test_vm_cluster.sh FAULTLINE CACHE_DIR
source "$(dirname "$0")/../../support/cluster_lib.sh"
FL=$1 CACHE=$2
skip() { echo "SKIP: $*"; exit 77; }
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
# The image first, on its own, so that a machine without what it needs skips.
vm_dir=$(dirname "$(readlink -f "$FL")")/vm
"$vm_dir/vm-image.sh" "$CACHE" >/dev/null 2>"$CACHE.image.err"
rc=$?
((rc != 77)) || skip "$(tail -n 1 "$CACHE.image.err")"
((rc == 0)) || { cat "$CACHE.image.err"; rm -f "$CACHE.image.err"; echo "FAIL - the VM image did not build"; exit 1; }
rm -f "$CACHE.image.err"

net_before=$(root_net)
scratch_dir
t0=$(date +%s.%N)
"$FL" cluster up --vm --dir "$CDIR" --cache "$CACHE" >"$DIR/up.out" 2>&1
up_rc=$?
check "cluster up --vm" test "$up_rc" = 0
((up_rc == 0)) || { cat "$DIR/up.out"; exit 1; }
echo "# up in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s: $(grep answered "$DIR/up.out")"
check "up names the nodes file" grep -q "nodes file: $NODES" "$DIR/up.out"
check "the nodes file: the sudo user, system clock" \
    jq -e '[.nodes[] | select(.user == "faultline" and .sudo == true and .clock == "system")] | length == 3' "$NODES"
out=$("$FL" exec --nodes-file "$NODES" -- 'uname -v; id -un' 2>&1)
check "every guest runs Debian's kernel" test "$(echo "$out" | grep -c Debian)" = 3
check "commands run as root through sudo" test "$(echo "$out" | grep -c ': root$')" = 3
check "up set the guests' clocks to the host's (within 0.5 s)" clocks_near "$NODES" 0.5

# quorumkv: no leader and 5 s op timeouts, so guests slowed by a loaded host (TCG beside
# the sanitizer tests) still serve; raftkv's 0.5 s timeouts there left runs unknown.
"$FL" test --target quorumkv --nodes-file "$NODES" --store "$STORE" --name vm --time-limit 20 \
    --nemesis netem+clock --nemesis-interval 4 --seed 7 >"$DIR/test.out" 2>"$DIR/test.err"
rc=$?
R=$(readlink -f "$STORE/vm/latest")
check "a 20 s quorumkv run with netem and clock faults is valid" test "$rc" = 0
((rc == 0)) || { tail -n 5 "$DIR/test.err"; cat "$DIR/test.out"; }
applied() { # event, how many guests at least (a clock bump picks some of them)
    jq -c "select(.process == \"nemesis\" and .f == \"$1\" and (.value.applied_ns | length) >= ${2:-3})" \
        "$R/history.jsonl" | wc -l; }
check "netem applied on every guest" test "$(applied netem-start)" -ge 1
check "the clock set on the guests it chose (system mode)" test "$(applied clock-start 1)" -ge 1
check "every guest healed at the end" test "$(applied heal)" -ge 1
check "the nodes' logs came back (through sudo's staging)" \
    bash -c "ls '$R'/nodes/n*/* 2>/dev/null | grep -q ."
qd=$("$FL" exec --nodes-file "$NODES" -- 'tc qdisc show dev eth0' 2>&1)
check "no qdisc of ours is left on a guest" bash -c "! echo '$qd' | grep -Eq 'netem|htb'"
check "every guest's clock is back within 0.5 s of the host's" clocks_near "$NODES" 0.5
check "a second up finds it up" bash -c "'$FL' cluster up --vm --dir '$CDIR' --cache '$CACHE' 2>&1 | grep -q 'already up'"

name=$(jq -r .cluster "$NODES")
"$FL" cluster down --dir "$CDIR" >/dev/null
check "down" test $? = 0
check "no qemu of the cluster is left" bash -c "! pgrep -f '[q]emu.*$CDIR/node-' >/dev/null"
check "no namespace of the cluster is left" bash -c "! ip netns list | grep -q '^$name-'"
check "no file of the cluster is left" test ! -e "$CDIR"
check "the host's links, addresses and routes are as they were" test "$(root_net)" = "$net_before"
echo "$pass passed, $fail failed"
test "$fail" -eq 0
