#!/usr/bin/env bash
# The VM cluster (long; ctest labels `acceptance` and `vm`; issue 20): three qemu guests
# (`faultline cluster up --vm`), Debian's stock kernel, a sudo user, the real clock:
#   1. up (the image cache as it is: cold or warm, the time printed), `uname -r` on every
#      node is the Debian kernel;
#   2. raftkv under partition,netem,clock,kill: valid in 3 of 3 runs of SECONDS, each with
#      netem and clock faults applied on the guests (applied_ns), every guest healed
#      (no qdisc of ours left) and its clock back within 1 s of the host's at the end;
#   3. quorumkv's no-write-back with netem delay and reordering on every node
#      (`netem:reorder:all`, the bug's needs_nemesis) in runs as long as the zoo's row
#      for it on VMs (the bug's needs_seconds, 180 s, or SECONDS if longer): caught
#      in ≥ 3 of 5 (the rate printed), the correct mode valid in 2 of 2 under the same;
#   4. quorumkv's wall-clock-lww with real clock bumps (system mode, no shim): caught in
#      ≥ 3 of 5, and the correct mode valid in 3 of 3 under the same bumps;
#   5. down: no qemu, namespace or tap left; the host's links, addresses, routes and
#      clock as they were.
#
# usage: [FL_VM_CACHE=DIR] [FL_SCENARIOS="raftkv no-write-back wall-clock-lww"]
#        scenario_vm.sh FAULTLINE [SECONDS]
source "$(dirname "$0")/../support/cluster_lib.sh"
set -u
FL=$1 SECS=${2:-60}
scratch_dir
STORE=${FL_ACCEPTANCE_STORE:-$DIR/store}
CACHE=${FL_VM_CACHE:-/var/cache/faultline/vm}
net_before=$(root_net)
# realtime minus boottime: moves only if someone sets the host's clock (or NTP slews it).
host_offset() { awk -v now="$(date +%s.%N)" '{ printf "%.3f\n", now - $1 }' /proc/uptime; }
offset_before=$(host_offset)

t0=$(date +%s.%N)
"$FL" cluster up --vm --dir "$CDIR" --cache "$CACHE" >"$DIR/up.out" 2>&1 ||
    { cat "$DIR/up.out"; echo "cluster up --vm failed"; exit 1; }
echo "# cluster up --vm: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s ($(grep -c 'built in\|downloaded' "$DIR/up.out") build steps ran)"
grep 'answered' "$DIR/up.out"
kernels=$("$FL" exec --nodes-file "$NODES" -- 'uname -r; uname -v' 2>&1)
echo "$kernels" | sed 's/^/#   /'
check "uname -r on every node is Debian's kernel" \
    test "$(echo "$kernels" | grep -c 'Debian')" = 3

want() { [[ " ${FL_SCENARIOS:-raftkv no-write-back wall-clock-lww} " == *" $1 "* ]]; }

# run TARGET NAME SEED FLAG…: one test of SECS (or of ROW_SECS when set); prints a row;
# sets rc, R (the run folder).
row() {
    local target=$1 name=$2 seed=$3; shift 3
    "$FL" test --target "$target" --nodes-file "$NODES" --store "$STORE" --name "$name" \
        --seed "$seed" --time-limit "${ROW_SECS:-$SECS}" "$@" >/dev/null 2>"$DIR/err"
    rc=$?
    R=$(readlink -f "$STORE/$name/latest")
    [ "$rc" -le 2 ] || tail -n 3 "$DIR/err"
    applied() { jq -c "select(.process == \"nemesis\" and .f == \"$1\" and .value.applied_ns != null)" \
        "$R/history.jsonl" | wc -l; }
    netem=$(applied netem-start) clock=$(applied clock-start) part=$(applied partition-start)
    kill=$(applied kill-start) heals=$(applied heal)
    read -r v okn info fl < <(jq -r '.checkers as $c | "\($c.linearizable.valid) \($c.stats.ok) \($c.stats.info) \($c.stats.fail)"' \
        "$R/results.json")
    printf '%-15s %4s %4s %6s %5s %5s %5s %5s %5s %5s %5s %s\n' "$name" "$seed" "$rc" "$okn" "$info" \
        "$fl" "$part" "$netem" "$clock" "$kill" "$heals" "$v"
}
header() { printf '%-15s %4s %4s %6s %5s %5s %5s %5s %5s %5s %5s %s\n' scenario seed exit ok info fail part netem clock kill heals valid; }

# Every guest healed (no qdisc of ours on eth0) and its clock within 0.5 s of the host's.
guests_clean() {
    local qd
    qd=$("$FL" exec --nodes-file "$NODES" -- 'tc qdisc show dev eth0' 2>&1)
    echo "$qd" | grep -Eq 'netem|htb' && { echo "# a qdisc is left: $qd"; return 1; }
    clocks_near "$NODES" 0.5
}

if want raftkv; then
    header
    valid=0 netem_runs=0 clock_runs=0 unapplied=0
    for seed in 1 2 3; do
        row raftkv raftkv "$seed" --nemesis partition,netem,clock,kill
        [ "$rc" = 0 ] && [ "$v" = true ] && valid=$((valid + 1))
        [ "$netem" -ge 1 ] && netem_runs=$((netem_runs + 1))
        [ "$clock" -ge 1 ] && clock_runs=$((clock_runs + 1))
        # every fault the history claims started carries the guests' applied_ns
        unapplied=$((unapplied + $(jq -c 'select(.process == "nemesis" and (.f | endswith("-start"))
            and .value.applied_ns == null)' "$R/history.jsonl" | wc -l)))
        check "raftkv seed $seed: every guest healed, its clock reset" guests_clean
    done
    [ "$valid" = 3 ] && ok "raftkv: valid in 3 of 3" || bad "raftkv: valid in only $valid of 3"
    # The schedule draws each fault at random: a 60 s run may draw no clock fault at all.
    [ "$netem_runs" -ge 1 ] && [ "$clock_runs" -ge 1 ] && [ "$unapplied" = 0 ] &&
        ok "raftkv: netem applied on the guests in $netem_runs runs, system clock in $clock_runs, every fault claimed applied" ||
        bad "raftkv: netem in $netem_runs runs, clock in $clock_runs, $unapplied faults claimed without applied_ns"
fi
if want no-write-back; then
    # The zoo's row for the bug on these nodes: the fault it needs, for as long as it needs.
    plan=$("$FL" zoo --target quorumkv --bug no-write-back --nodes-file "$NODES" --time-limit "$SECS" \
        --list 2>"$DIR/zoo.err" | grep '^zoo-quorumkv-no-write-back	' | cut -f2)
    [ -n "$plan" ] || cat "$DIR/zoo.err"
    nem=$(echo "$plan" | jq -r .nemesis 2>/dev/null) ROW_SECS=$(echo "$plan" | jq '.["time-limit"]' 2>/dev/null)
    check "the zoo's no-write-back row on VMs: $nem for ${ROW_SECS:-?} s" \
        test "$nem" = netem:reorder:all -a "${ROW_SECS%.*}" -ge 180 ||
        { echo "# no row to run: stopping here"; exit 1; }
    header
    caught=0 valid=0
    for seed in 1 2 3 4 5; do
        row quorumkv no-write-back "$seed" --bug no-write-back --nemesis "$nem" --nemesis-interval 5
        [ "$rc" = 1 ] && caught=$((caught + 1))
    done
    for seed in 1 2; do
        row quorumkv correct-reorder "$seed" --nemesis "$nem" --nemesis-interval 5
        [ "$rc" = 0 ] && valid=$((valid + 1))
    done
    unset ROW_SECS
    echo "# no-write-back with netem reordering, runs of the row's length: caught in $caught of 5"
    [ "$caught" -ge 3 ] && ok "no-write-back: caught in $caught of 5" || bad "no-write-back: caught in only $caught of 5"
    [ "$valid" = 2 ] && ok "correct mode under netem reordering: valid in 2 of 2" || bad "correct mode under reordering: valid in $valid of 2"
fi
if want wall-clock-lww; then
    header
    caught=0 valid=0
    for seed in 1 2 3 4 5; do
        row quorumkv wall-clock-lww "$seed" --bug wall-clock-lww --nemesis clock:bump --nemesis-interval 5
        [ "$rc" = 1 ] && caught=$((caught + 1))
    done
    for seed in 1 2 3; do
        row quorumkv correct-clock "$seed" --nemesis clock:bump --nemesis-interval 5
        [ "$rc" = 0 ] && valid=$((valid + 1))
    done
    check "wall-clock-lww: system-mode clock events (no shim)" \
        jq -se '[.[] | select(.process == "nemesis" and .f == "clock-start" and .value.applied_ns != null)] | length > 0' \
        "$STORE/wall-clock-lww/latest/history.jsonl"
    [ "$caught" -ge 3 ] && ok "wall-clock-lww with real clock bumps: caught in $caught of 5" \
        || bad "wall-clock-lww: caught in only $caught of 5"
    [ "$valid" = 3 ] && ok "correct mode under real clock bumps: valid in 3 of 3" || bad "correct mode: valid in $valid of 3"
    check "every guest's clock reset at the end" guests_clean
fi

name=$(jq -r .cluster "$NODES")
"$FL" cluster down --dir "$CDIR" >/dev/null
check "no qemu of the cluster is left" bash -c "! pgrep -f '[q]emu.*$CDIR/node-' >/dev/null"
check "no namespace of the cluster ($name-net) is left" bash -c "! ip netns list | grep -q '^$name-'"
check "the host's links, addresses and routes are as they were" test "$(root_net)" = "$net_before"
offset_after=$(host_offset)
check "the host's clock was not changed (realtime - boottime moved < 0.5 s)" \
    awk -v a="$offset_before" -v b="$offset_after" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d < 0.5) }'
echo "$pass passed, $fail failed"
test "$fail" -eq 0
