# Shared by the acceptance scripts (sourced): FL and SECS from the arguments, a scratch
# folder, a local cluster of its own (taken down at exit), a store (FL_ACCEPTANCE_STORE
# keeps the runs elsewhere), and ok/bad counters. Sets HERE, DIR, CDIR, NODES, STORE.
set -u
FL=$1 SECS=${2:-60}
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d "/tmp/fl-$(basename "$0" .sh).XXXXXX")
CDIR=$DIR/cluster
NODES=$CDIR/nodes.json
STORE=${FL_ACCEPTANCE_STORE:-$DIR/store}
pass=0 fail=0
cleanup() {
    "$FL" cluster down --dir "$CDIR" >/dev/null 2>&1
    rm -rf "$DIR" # the runs stay when FL_ACCEPTANCE_STORE put them elsewhere
}
trap cleanup EXIT
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
"$FL" cluster up --dir "$CDIR" >/dev/null || { echo "cluster up failed"; exit 1; }
