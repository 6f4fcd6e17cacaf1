# Sourced by the raft-sim tests (test_raft_sim_bugs.sh, test_lock_sim.sh), with $sim set
# to raft-sim: fail, and the two outcomes a run may be expected to have.

fail() { echo "FAIL: $*"; exit 1; }

# expect_clean ARGS...: exit 0 (no violation); prints the summary.
expect_clean() {
    local out
    out=$("$sim" "$@") || { echo "$out" | grep -A1 '^violation:' | head -4; fail "raft-sim $* found a violation"; }
    echo "$out" | sed -n '/^raft-sim:/,$p'
}

# expect_violation CHECK ARGS...: exit 1 and a violation of CHECK (a grep pattern).
expect_violation() {
    local check=$1 out rc
    shift
    out=$("$sim" "$@"); rc=$?
    [ $rc -eq 1 ] || { echo "$out" | tail -5; fail "raft-sim $* exited $rc, wanted 1"; }
    echo "$out" | grep -q "^violation: $check at " || { echo "$out" | tail -5; fail "raft-sim $*: no $check violation"; }
    echo "$out" | grep -A1 '^violation:' | head -2
    echo "$out" | grep '^raft-sim:' || true
}
