#!/bin/bash
# raft-sim is deterministic: the same seeds give the same runs (per-seed statistics and
# trace hashes, line for line, and the same verbose event log), different seeds different
# trace hashes, and a violation's replay command reproduces it.
# Usage: test_raft_sim_replay.sh RAFT_SIM
set -u
sim=$1
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$sim" --seeds 1-200 --per-seed | grep '^seed ' > "$tmp/a" || fail "first run"
"$sim" --seeds 1-200 --per-seed | grep '^seed ' > "$tmp/b" || fail "second run"
[ "$(wc -l < "$tmp/a")" -eq 200 ] || fail "expected 200 per-seed lines"
cmp -s "$tmp/a" "$tmp/b" || { diff "$tmp/a" "$tmp/b" | head; fail "same seeds, different runs"; }
hashes=$(grep -o 'trace [0-9a-f]*' "$tmp/a" | sort -u | wc -l)
[ "$hashes" -eq 200 ] || fail "200 seeds gave only $hashes distinct trace hashes"

# One seed alone runs as it does within a range (nothing carries over between seeds).
"$sim" --seeds 137-137 --per-seed | grep '^seed ' > "$tmp/one"
grep '^seed 137:' "$tmp/a" | cmp -s - "$tmp/one" || fail "seed 137 alone differs from seed 137 in a range"

# The verbose log of a seed is the same twice.
"$sim" --seeds 42-42 --verbose 42 | grep '^\[step' > "$tmp/v1"
"$sim" --seeds 42-42 --verbose 42 | grep '^\[step' > "$tmp/v2"
[ -s "$tmp/v1" ] || fail "--verbose printed no events"
cmp -s "$tmp/v1" "$tmp/v2" || fail "--verbose logs differ"

# A violation's replay command gives the same violation.
out=$("$sim" --seeds 1-1000 --bug stale-read)
line=$(echo "$out" | grep '^violation:' | head -1)
[ -n "$line" ] || fail "stale-read found nothing to replay"
replay=$(echo "$line" | sed -n 's/.*(replay: raft-sim \(.*\))$/\1/p')
# shellcheck disable=SC2086
again=$("$sim" $replay | grep '^violation:' | head -1)
[ "$again" = "$line" ] || fail "replay gave '$again', wanted '$line'"
echo "PASS"
