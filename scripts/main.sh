#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine as root: install what is missing, build,
# bring the local cluster up if needed and run a real 30-second test of quorumkv (the
# in-tree ABD register store) under its own default faults (partitions, clock bumps and
# strobes, kills: `faultline targets`); prints the verdict and the run directory, and
# exits with `faultline test`'s code (0 valid, 1 anomaly, …). Extra arguments go to
# `faultline test`, e.g. `scripts/main.sh --bug stale-quorum`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
exec ./build/harness/faultline test --target quorumkv --time-limit 30 "$@"
