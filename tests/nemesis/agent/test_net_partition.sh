#!/usr/bin/env bash
# fl_agent_net against real packets: three hosts A, B, C (namespaces fl-t-a/b/c) joined
# by a bridge in a fourth namespace (fl-t-br), all in 10.213.99.0/24. The veths are made
# inside fl-t-br with their peers created straight into the hosts, so the root namespace
# never holds a link; that is checked. Every namespace made here is removed on any exit.
# usage: test_net_partition.sh TEST_BINARY
set -u
bin=${1:?usage: test_net_partition.sh TEST_BINARY}

if [[ $(id -u) != 0 ]]; then echo "SKIP: needs root (network namespaces)"; exit 77; fi
for tool in ip tc; do
  command -v "$tool" >/dev/null || { echo "SKIP: needs $tool (iproute2)"; exit 77; }
done

BR=fl-t-br
HOSTS=(fl-t-a fl-t-b fl-t-c)
ADDRS=(10.213.99.11 10.213.99.12 10.213.99.13)
ALL=("$BR" "${HOSTS[@]}")

cleanup() {
  local ns
  for ns in "${ALL[@]}"; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
  done
}
child=
on_signal() {
  [[ -n $child ]] && kill -TERM "$child" 2>/dev/null
  exit 130 # runs cleanup
}
trap cleanup EXIT
trap on_signal INT TERM HUP

fail() { echo "FAIL $*" >&2; exit 1; }

cleanup # what an earlier, killed run of this test left (these names are this test's)
root_links() { ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort; }
links_before=$(root_links)
qdiscs_before=$(tc qdisc show | sort)

for ns in "${ALL[@]}"; do ip netns add "$ns" || fail "ip netns add $ns"; done
ip -n "$BR" link set lo up
ip -n "$BR" link add fl-tbr type bridge || fail "bridge in $BR"
ip -n "$BR" link set fl-tbr up
for i in 0 1 2; do
  ns=${HOSTS[$i]}
  port=fl-t${ns#fl-t-}
  ip -n "$BR" link add "$port" type veth peer name eth0 netns "$ns" || fail "veth for $ns"
  ip -n "$BR" link set "$port" master fl-tbr up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "${ADDRS[$i]}/24" dev eth0
  ip -n "$ns" link set eth0 up
done

[[ $(root_links) == "$links_before" ]] || fail "the root namespace gained a link"

# In the background, so that a signal to this script is handled at once.
"$bin" "${HOSTS[@]}" "${ADDRS[@]}" eth0 &
child=$!
wait "$child"
rc=$?
child=

extra=0
[[ $(root_links) == "$links_before" ]] || { echo "FAIL the root namespace's links changed" >&2; extra=1; }
[[ $(tc qdisc show | sort) == "$qdiscs_before" ]] \
  || { echo "FAIL the root namespace's qdiscs changed" >&2; extra=1; }
for ns in "${HOSTS[@]}"; do
  left=$(tc -n "$ns" qdisc show dev eth0)
  [[ $left == "qdisc noqueue 0: root"* ]] || { echo "FAIL $ns left with: $left" >&2; extra=1; }
done
((extra)) || echo "ok   root namespace untouched; every host's eth0 back to noqueue"

if ((rc == 0 && extra)); then rc=1; fi
exit "$rc"
