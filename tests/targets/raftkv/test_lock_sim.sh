#!/bin/bash
# raft-sim --app lockd: lockd's lock table (targets/lockd/core) replicated by the Raft core
# under the simulator's faults, with lock clients and the lease-safety and fencing-token
# checks (targets/raftkv/sim/locks.h), beside every check of the Raft oracle.
#   - correct mode keeps leases apart over SEEDS seeds, and over SEEDS/2 seeds with every
#     node's clock skewed by up to 500 ms (a new leader's wait covers the skew);
#   - --bug early-grant (a new leader grants at once) overlaps two holders when the clocks
#     are skewed, and not when they agree (then the stamped times alone keep leases apart);
#   - a lockd run replays exactly, and so does its violation.
# Leases are judged by the lock service's clocks: with the simulator's clock jumps (±4 s
# on one node at a time, leases of 2 election timeouts) correct mode overlaps holders too
# (that is what fencing tokens are for), so the lease checks here run with --no-clock.
# Usage: test_lock_sim.sh RAFT_SIM SEEDS
set -u
sim=$1 seeds=$2
# shellcheck source=sim_expect.sh
. "$(dirname "$0")/sim_expect.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect_clean --seeds "1-$seeds" --app lockd --no-clock
expect_clean --seeds "300001-$((300000 + seeds / 2))" --app lockd --no-clock --skew 500
expect_clean --seeds "1-$((seeds / 5))" --app lockd --no-clock --bug early-grant
expect_violation 'lease safety' --seeds 1-1000 --app lockd --no-clock --skew 500 --bug early-grant

# Usage: the lock app's bug needs the lock app.
"$sim" --seeds 1-1 --bug early-grant > /dev/null 2>&1; rc=$?
[ $rc -eq 64 ] || fail "--bug early-grant without --app lockd exited $rc, wanted 64"

# Determinism: the same lockd seeds give the same runs and event logs.
"$sim" --seeds 1-50 --app lockd --no-clock --per-seed | grep '^seed ' > "$tmp/a"
"$sim" --seeds 1-50 --app lockd --no-clock --per-seed | grep '^seed ' > "$tmp/b"
[ "$(wc -l < "$tmp/a")" -eq 50 ] || fail "expected 50 per-seed lines"
cmp -s "$tmp/a" "$tmp/b" || { diff "$tmp/a" "$tmp/b" | head; fail "same lockd seeds, different runs"; }
"$sim" --seeds 9-9 --app lockd --no-clock --verbose 9 | grep '^\[step' > "$tmp/v1"
"$sim" --seeds 9-9 --app lockd --no-clock --verbose 9 | grep '^\[step' > "$tmp/v2"
grep -q 'answers c[0-9.]*.s acquire of L[0-9]: ok' "$tmp/v1" || fail "--verbose shows no granted acquire"
cmp -s "$tmp/v1" "$tmp/v2" || fail "lockd --verbose logs differ"

# --app kv is the default, event for event.
"$sim" --seeds 1-50 --per-seed | grep '^seed ' > "$tmp/kv1"
"$sim" --seeds 1-50 --per-seed --app kv | grep '^seed ' > "$tmp/kv2"
cmp -s "$tmp/kv1" "$tmp/kv2" || fail "--app kv differs from the default"

# A violation's replay command gives the same violation.
line=$("$sim" --seeds 1-1000 --app lockd --no-clock --skew 500 --bug early-grant | grep '^violation:' | head -1)
replay=$(echo "$line" | sed -n 's/.*(replay: raft-sim \(.*\))$/\1/p')
[ -n "$replay" ] || fail "no replay command in '$line'"
# shellcheck disable=SC2086
again=$("$sim" $replay | grep '^violation:' | head -1)
[ "$again" = "$line" ] || fail "replay gave '$again', wanted '$line'"
echo "PASS"
