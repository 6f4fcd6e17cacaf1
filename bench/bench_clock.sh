#!/usr/bin/env bash
# The clock shim's cost per call: tests/nemesis/clock/clock_probe times 2,000,000 calls of each
# clock function natively, under the shim (LD_PRELOAD=libflclock.so, offset file set), and
# under the shim with the vDSO path off (raw syscalls). Prints ns per call.
# usage: bench/bench_clock.sh BUILD_DIR [CALLS]
set -euo pipefail
build=${1:?usage: bench_clock.sh BUILD_DIR [CALLS]} calls=${2:-2000000}
probe=$build/tests/nemesis/clock/clock_probe
shim=$build/harness/libflclock.so
[ -x "$probe" ] && [ -f "$shim" ] || { echo "build $build first (clock_probe, libflclock.so)"; exit 1; }
offset=$(mktemp /tmp/fl-bench-clock.XXXXXX)
trap 'rm -f "$offset"' EXIT
rm -f "$offset" # the shim reads an absent file as offset 0; the probe's figures are what count
run() { printf 'b %s\nq\n' "$calls" | env "$@" "$probe" | grep -v '^end$'; }
paste <(run) <(run LD_PRELOAD="$shim" FL_CLOCK_FILE="$offset" | awk '{print $2}') \
      <(run LD_PRELOAD="$shim" FL_CLOCK_FILE="$offset" FL_CLOCK_NO_VDSO=1 | awk '{print $2}') |
    awk 'BEGIN {printf "%-30s %10s %10s %14s  (ns per call)\n", "", "native", "shim", "shim, no vDSO"}
         {printf "%-30s %10.1f %10.1f %14.1f\n", $1, $2, $3, $4}'
