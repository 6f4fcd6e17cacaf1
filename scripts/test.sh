#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds four trees — normal, ASan+UBSan,
# libFuzzer, and Release (the product alone, as packagers build it; compiled only) — all
# with -Werror, and runs ctest in the first three, tests side by side (every cluster test brings up a
# cluster of its own, so they run side by side, beside a cluster the main job left up;
# the VM tests, the fuzz runs and the Release build go beside the two trees' tests).
# The sanitizer tree skips the tests labelled `heavy` (long whole-system runs, the VM and
# the browser: their C paths are covered by shorter tests there). Long acceptance runs
# (label `acceptance`) are left to `ctest --test-dir build -L acceptance`.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1
jobs=$(nproc)
started=$(date +%s)

build() { # dir, cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -DFL_WERROR=ON "$@" >/dev/null && cmake --build "$dir" -j "$jobs" >/dev/null
}

build build -DCMAKE_BUILD_TYPE=RelWithDebInfo || { echo "build failed"; exit 1; }
build build-asan -DCMAKE_BUILD_TYPE=Debug -DFL_SANITIZE=ON || { echo "sanitizer build failed"; exit 1; }
CC=clang build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFL_FUZZ=ON \
  || { echo "fuzz build failed"; exit 1; }
echo "builds: $(($(date +%s) - started)) s"

passed=0 failed=0 status=0
# Report a finished ctest run: every test's line with its time, a failure's output in
# full, and its counts added to the totals.
report_ctest() { # label, output, exit code, seconds
  local label=$1 out=$2 rc=$3 seconds=$4
  echo "== $label"
  if ((rc == 0)); then echo "$out" | grep -E 'Test +#|tests passed'; else echo "$out" | tail -n 300; fi
  echo "($label: $seconds s)"
  local line total bad
  line=$(echo "$out" | grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' | tail -n 1)
  total=$(echo "$line" | sed -E 's/.* out of ([0-9]+).*/\1/')
  bad=$(echo "$line" | sed -E 's/.*, ([0-9]+) tests? failed.*/\1/')
  if [[ -z "$line" ]]; then echo "no ctest summary from $label"; status=1; return; fi
  passed=$((passed + total - bad)); failed=$((failed + bad))
  ((rc == 0)) || status=1
}

run_ctest() { # label, dir, parallel tests, ctest args...
  local label=$1 dir=$2 parallel=$3; shift 3
  local t0 out rc
  t0=$(date +%s)
  out=$(ctest --test-dir "$dir" --output-on-failure -j "$parallel" "$@" 2>&1)
  rc=$?
  report_ctest "$label" "$out" "$rc" "$(($(date +%s) - t0))"
}

# Beside the two trees' tests, work that needs the CPU they leave idle (both wait much
# of the time on clusters: ~40 % of the sanitizer stage's CPU is idle here, ~55 % of the
# normal stage's), at low priority and reported after them:
#   - the VM tests (label vm, the normal build's: qemu guests, whose image they build into
#     build/vm-cache the first time), from the start of the sanitizer stage: they outlast
#     it;
#   - the fuzz runs (CPU only, a fixed number of inputs each: their verdicts do not depend
#     on the load), one at a time, and the Release tree (compiled only), beside the normal
#     stage.
bg_dir=$(mktemp -d)
trap 'rm -rf "$bg_dir"' EXIT
background() { # name, command or function...: at low priority, its output and exit code in bg_dir
  local name=$1; shift
  date +%s >"$bg_dir/$name.t0"
  (renice -n 10 -p "$BASHPID" >/dev/null; "$@" >"$bg_dir/$name.out" 2>&1; echo $? >"$bg_dir/$name.rc"
   date +%s >"$bg_dir/$name.t1") &
  echo $! >"$bg_dir/$name.pid"
}
seconds_taken() { echo $(($(cat "$bg_dir/$1.t1" 2>/dev/null || date +%s) - $(cat "$bg_dir/$1.t0"))); }
report_background() { # name, label: wait for it, then report it as ctest output
  local name=$1 label=$2
  wait "$(cat "$bg_dir/$name.pid")"
  report_ctest "$label" "$(cat "$bg_dir/$name.out")" "$(cat "$bg_dir/$name.rc" 2>/dev/null || echo 1)" \
    "$(seconds_taken "$name")"
}
background vm ctest --test-dir build --output-on-failure -j 1 -L vm -LE acceptance
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_ctest "sanitizer build (ASan+UBSan)" build-asan "$jobs" -LE 'acceptance|heavy'
background fuzz ctest --test-dir build-fuzz --output-on-failure -j 1 -LE acceptance
background release build build-release -DCMAKE_BUILD_TYPE=Release -DFL_TESTS=OFF
# Two more tests than cores: the whole-system cluster runs spend most of their time
# waiting on the clock (20-30 s main phases at 100-200 ops/s, each its whole length).
run_ctest "normal build" build "$((jobs + 2))" -LE 'acceptance|vm'
wait "$(cat "$bg_dir/release.pid")"
if [[ "$(cat "$bg_dir/release.rc" 2>/dev/null)" == 0 ]]; then
  echo "(Release build, beside the normal stage: $(seconds_taken release) s)"
else
  cat "$bg_dir/release.out"; echo "Release build failed (-Werror)"; status=1
fi
report_background fuzz "fuzz targets (beside the normal stage)"
report_background vm "VM tests (beside the sanitizer and normal stages)"
echo "suite: $(($(date +%s) - started)) s"
echo "total: $passed passed, $failed failed"
exit $status
