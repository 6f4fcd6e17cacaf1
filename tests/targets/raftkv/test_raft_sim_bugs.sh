#!/bin/bash
# raft-sim finds each seeded bug of the core: the scripted scenarios (Figure 8 for
# old-term-commit, the double vote for volatile-vote) fail with their bug and pass without
# it; random seeds find volatile-vote, old-term-commit, stale-read and lease-read; and
# lease-read stays correct when no wall clock jumps (its lease is sound, the clock is not).
# Usage: test_raft_sim_bugs.sh RAFT_SIM QUICK
set -u
sim=$1 quick=$2
# shellcheck source=sim_expect.sh
. "$(dirname "$0")/sim_expect.sh"

# Scripts: the schedule alone is fine; the bug breaks it.
expect_clean --script figure8
expect_clean --script double-vote
expect_violation 'leader completeness' --script figure8 --bug old-term-commit
expect_violation 'election safety' --script double-vote --bug volatile-vote
# The wrong bug does not trip the other's script.
expect_clean --script figure8 --bug volatile-vote
expect_clean --script double-vote --bug old-term-commit

# Random seeds (the first violation stops the run; each is found well within the range).
expect_violation '[a-z -]*' --seeds 1-10000 --bug volatile-vote
expect_violation '[a-z -]*' --seeds 1-10000 --bug old-term-commit
expect_violation 'linearizable read' --seeds 1-10000 --bug stale-read
expect_violation 'linearizable read' --seeds 1-10000 --bug lease-read
expect_clean --seeds "1-$quick" --bug lease-read --no-clock
echo "PASS"
