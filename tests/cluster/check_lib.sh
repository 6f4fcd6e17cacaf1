# Shared by the cluster test scripts (sourced): pass/fail counters, check, and a
# snapshot of the root namespace's links, addresses and routes (which no cluster may
# change). The caller prints "$pass passed, $fail failed" and exits with test $fail -eq 0.
pass=0 fail=0
ok() { echo "ok   - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL - $1"; fail=$((fail + 1)); }
check() { # description, command...
    local what=$1; shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}
root_net() { ip -o link | sed 's/link\/ether.*//'; ip -o addr; ip route; }
# A scratch folder DIR (KEEP=1 keeps it) holding a local cluster of its own in CDIR, taken
# down at exit; FL must be set. Exits 1 when the cluster does not come up.
scratch_cluster() {
    DIR=$(mktemp -d "/tmp/fl-$(basename "$0" .sh).XXXXXX")
    CDIR=$DIR/cluster
    trap '"$FL" cluster down --dir "$CDIR" >/dev/null 2>&1
          if [ -n "${KEEP:-}" ]; then echo "kept $DIR"; else rm -rf "$DIR"; fi' EXIT
    "$FL" cluster up --dir "$CDIR" >/dev/null || { echo "cluster up failed"; exit 1; }
}
