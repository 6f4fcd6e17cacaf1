#!/usr/bin/env bash
# targets/support with a throwaway redis-server adapter on a local cluster of its own
# (tests/targets/support/test_support_redis.c); nothing may be left running (checked by pid there,
# and here: no redis-server working in the scratch folder).
#
# usage: test_support_redis.sh FAULTLINE TEST_SUPPORT_REDIS_BINARY
set -u
FL=$1
TEST=$2
command -v redis-server >/dev/null || { echo "no redis-server (scripts/install-deps.sh)"; exit 1; }
source "$(dirname "$0")/../../support/cluster_lib.sh"
scratch_cluster
check "the support test passes" "$TEST" "$CDIR/nodes.json" "$(dirname "$FL")/libflclock.so"
# redis-server rewrites its command line; its working directory (data/) says whose it is.
left() { for p in $(pgrep -x redis-server); do readlink "/proc/$p/cwd"; done | grep -c "^$DIR/"; }
check "no redis-server left in the scratch folder" test "$(left)" -eq 0
echo "$pass passed, $fail failed"
test "$fail" -eq 0
