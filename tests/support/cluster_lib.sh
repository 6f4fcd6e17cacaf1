# Shared by the cluster and acceptance test scripts, and by the shell tests that count
# checks (sourced): pass/fail counters, check, a snapshot of the root namespace's links,
# addresses and routes (which no cluster may change), a scratch folder with a local
# cluster of its own, and the acceptance scripts' arguments and store. The caller prints
# "$pass passed, $fail failed" and exits with test $fail -eq 0.
pass=0 fail=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
check() { # description, command... (returns the command's status, for what a failure prints)
    local what=$1; shift
    if "$@"; then ok "$what"; else bad "$what"; return 1; fi
}
root_net() { ip -o link | sed 's/link\/ether.*//'; ip -o addr; ip route; }

# A scratch folder DIR (/tmp/fl-SCRIPT.XXXXXX; KEEP=1 keeps it) for a local cluster of its
# own in CDIR (its nodes file NODES) and a store STORE, with the cluster taken down at
# exit; FL must be set. A script that needs more at exit defines on_exit (run first).
scratch_dir() {
    DIR=$(mktemp -d "/tmp/fl-$(basename "$0" .sh).XXXXXX")
    CDIR=$DIR/cluster
    NODES=$CDIR/nodes.json
    STORE=$DIR/store
    trap scratch_cleanup EXIT
}
scratch_cleanup() {
    declare -F on_exit >/dev/null && on_exit
    "$FL" cluster down --dir "$CDIR" >/dev/null 2>&1
    if [ -n "${KEEP:-}" ]; then echo "kept $DIR"; else rm -rf "$DIR"; fi
}
# scratch_dir, and the cluster brought up in CDIR; exits 1 when it does not come up.
scratch_cluster() {
    scratch_dir
    "$FL" cluster up --dir "$CDIR" >/dev/null || { echo "cluster up failed"; exit 1; }
}

# fl_test TARGET NAME FLAG…: `faultline test` of TARGET on the scratch cluster into STORE
# as NAME (output in DIR/NAME.out and DIR/NAME.err); its exit code. run_result NAME JQ:
# JQ of that test's latest results.json.
fl_test() {
    local target=$1 name=$2; shift 2
    "$FL" test --target "$target" --nodes-file "$NODES" --store "$STORE" --name "$name" \
        "$@" >"$DIR/$name.out" 2>"$DIR/$name.err"
}
run_result() { jq -r "$2" "$STORE/$1/latest/results.json"; }

# The acceptance scripts (tests/scenarios): FL and SECS from the arguments, HERE (the
# script's folder), a scratch cluster, and STORE (FL_ACCEPTANCE_STORE keeps the runs
# elsewhere: they stay when DIR goes).
acceptance_cluster() { # FAULTLINE [SECONDS]
    set -u
    FL=$1 SECS=${2:-60}
    HERE=$(cd "$(dirname "$0")" && pwd)
    scratch_cluster
    STORE=${FL_ACCEPTANCE_STORE:-$DIR/store}
}

# clocks_near NODES TOLERANCE_S: every node's clock, read by `faultline exec`, lies
# within TOLERANCE_S of the host's clock between the command's start and its end (the
# exec itself takes a second or two on VMs: a reading is compared with that window,
# never with one instant). Prints the largest distance outside the window.
clocks_near() {
    local before after out
    before=$(date +%s.%N)
    out=$("$FL" exec --nodes-file "$1" -- 'date +%s.%N' 2>&1)
    after=$(date +%s.%N)
    echo "$out" | awk -v a="$before" -v b="$after" -v tol="$2" '
        { d = $2 < a ? a - $2 : ($2 > b ? $2 - b : 0); if (d > m) m = d; n++ }
        END { printf "# the guests'"'"' clocks: at most %.3f s outside the host'"'"'s window (%d nodes)\n", m, n
              exit !(n > 0 && m <= tol) }'
}
