#!/usr/bin/env bash
# The primaries timeline of a real run (harness/run/primaries_watch.c): raftkv for 10 s
# with its leader killed (kill:primaries) on a scratch cluster. The history must hold
# primaries events — the first answer naming one leader, a different answer after the
# leader was killed, the end event — results.json their summary, and the checkers the
# same verdict on the history with and without them.
#
# usage: test_primaries_recording.sh FAULTLINE
set -u
FL=$1
source "$(dirname "$0")/../../support/cluster_lib.sh"
scratch_cluster

# 2 s of calm first (--nemesis-delay), so the watcher has named the leader before the
# first kill.
fl_test raftkv prim --nemesis kill:primaries --nemesis-interval 3 --nemesis-delay 2 --time-limit 10 \
    --rate 100 --concurrency 5 --recovery-time 1 --seed 3
rc=$?
R=$STORE/prim/latest
H=$R/history.jsonl
[ "$rc" = 0 ] && ok "raftkv under kill:primaries: valid (exit 0)" \
    || bad "exit $rc: $(tail -n 5 "$DIR/prim.err")"

P=$DIR/primaries.jsonl
jq -c 'select(.process == "nemesis" and .f == "primaries")' "$H" >"$P"
n=$(wc -l <"$P")
[ "$n" -ge 3 ] && ok "$n primaries events" || bad "only $n primaries events"
first=$(head -n 1 "$P" | jq -c '.value.nodes')
[ "$(head -n 1 "$P" | jq '.value.nodes | length')" = 1 ] && ok "the first answer names one leader: $first" \
    || bad "first answer: $(head -n 1 "$P")"
[ "$(tail -n 1 "$P" | jq -c '.value')" = '{"nodes":null,"end":true}' ] && ok "the end event closes it" \
    || bad "last event: $(tail -n 1 "$P")"
jq -e 'select(.type == "info" and (.value | has("asked_ns")) | not) | select(.value.end != true)' "$P" >/dev/null \
    && bad "an event without type info or asked_ns" || ok "every answer is an info event with asked_ns"

# The first kill: its node is the leader the last answer asked for before it named (an
# answer is written after it comes back, so the kill's event may come first), and a
# later answer differs.
kill_t=$(jq -r 'select(.f == "kill-start") | .time' "$H" | head -n 1)
killed=$(jq -c 'select(.f == "kill-start") | .value.nodes' "$H" | head -n 1)
if [ -z "$kill_t" ]; then
    bad "no kill-start in 10 s"
else
    before=$(jq -c --argjson t "$kill_t" 'select(.value.asked_ns != null and .value.asked_ns < $t) | .value.nodes' "$P" | tail -n 1)
    [ "$before" = "$killed" ] && ok "kill:primaries killed the leader the timeline named ($killed)" \
        || bad "killed $killed, the timeline said $before"
    after=$(jq -c --argjson t "$kill_t" --argjson k "$killed" \
        'select(.time > $t and .value.end != true and .value.nodes != $k) | .value.nodes' "$P" | head -n 1)
    [ -n "$after" ] && ok "a change after the kill: $after" || bad "no change after the kill at $kill_t ns"
fi

changes=$(run_result prim '.primaries.changes')
segs=$(run_result prim '.primaries.timeline | length')
[ "$changes" -ge 1 ] && [ "$segs" = $((changes + 1)) ] \
    && ok "results.json primaries: $changes changes, $segs segments" \
    || bad "results.json primaries: $(run_result prim '.primaries' | head -c 400)"
[ "$(run_result prim '[.primaries.timeline[] | select(.to_s < .from_s)] | length')" = 0 ] \
    && ok "every segment ends after it begins" || bad "a segment ends before it begins"
[ "$(run_result prim '.checkers.stats.nemesis_events')" = "$(jq -c 'select(.process == "nemesis" and .f != "primaries")' "$H" | wc -l)" ] \
    && ok "stats.nemesis_events counts faults, not primaries answers" || bad "nemesis_events counts primaries events"

# The same verdicts without the primaries events.
grep -v '"f":"primaries"' "$H" >"$DIR/without.jsonl"
"$FL" check --workload register --out "$DIR/with.json" "$H" >/dev/null 2>&1
with=$?
"$FL" check --workload register --out "$DIR/without.json" "$DIR/without.jsonl" >/dev/null 2>&1
without=$?
[ "$with" = "$without" ] && [ "$(jq -c '[.valid, (.checkers | map_values(.valid))]' "$DIR/with.json")" = \
    "$(jq -c '[.valid, (.checkers | map_values(.valid))]' "$DIR/without.json")" ] \
    && ok "faultline check: the same verdicts with and without the events (exit $with)" \
    || bad "faultline check: exit $with with, $without without"
grep -q '"primaries"' "$R/report.html" && ok "the report embeds the timeline" || bad "no primaries in report.html"
echo "# $pass passed, $fail failed"
[ "$fail" = 0 ]
