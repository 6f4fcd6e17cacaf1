#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds three trees (normal, ASan+UBSan,
# libFuzzer) and runs ctest in each. Long acceptance runs (label `acceptance`) are left
# to `ctest --test-dir build -L acceptance`.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1
jobs=$(nproc)

build() { # dir, cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" "$@" >/dev/null && cmake --build "$dir" -j "$jobs" >/dev/null
}

build build -DCMAKE_BUILD_TYPE=RelWithDebInfo || { echo "build failed"; exit 1; }
build build-asan -DCMAKE_BUILD_TYPE=Debug -DFL_SANITIZE=ON || { echo "sanitizer build failed"; exit 1; }
CC=clang build build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFL_FUZZ=ON \
  || { echo "fuzz build failed"; exit 1; }

passed=0 failed=0 status=0
run_ctest() { # label, dir, ctest args...
  local label=$1 dir=$2; shift 2
  echo "== $label"
  local out
  out=$(ctest --test-dir "$dir" --output-on-failure -LE acceptance "$@" 2>&1)
  local rc=$?
  echo "$out" | tail -n 40
  local line total bad
  line=$(echo "$out" | grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' | tail -n 1)
  total=$(echo "$line" | sed -E 's/.* out of ([0-9]+).*/\1/')
  bad=$(echo "$line" | sed -E 's/.*, ([0-9]+) tests? failed.*/\1/')
  if [[ -z "$line" ]]; then echo "no ctest summary from $label"; status=1; return; fi
  passed=$((passed + total - bad)); failed=$((failed + bad))
  ((rc == 0)) || status=1
}

ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_ctest "sanitizer build (ASan+UBSan)" build-asan
run_ctest "fuzz targets" build-fuzz -j "$jobs"
run_ctest "normal build" build -j "$jobs"
echo "total: $passed passed, $failed failed"
exit $status
