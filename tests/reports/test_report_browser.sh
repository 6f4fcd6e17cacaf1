#!/usr/bin/env bash
# The report in a real browser: `faultline report` on a run directory, the page loaded
# in headless Chromium, and its DOM checked against the run's files (computed with jq):
# one .op bar per client op, one .fault-band per fault window, the .anomaly-op ops
# exactly the ops of the linearizable checker's failing window, the failing op marked,
# the anomaly named and each op's verdict shown as results.json gives them, the verdict
# shown, the faultline that ran and checked it named, no script errors; the retry-storm
# section only with a retry-storm result, then its lines, window rows and flags; a txn
# checker's cycles drawn as graphs of transactions with labelled edges; who was primary
# when (the primaries band, the split brain, a lost element's add annotated).
# Screenshots go into the run directory.
#
# usage: test_report_browser.sh FAULTLINE [RUN_DIR]
#   Without RUN_DIR it makes one from tests/reports/fixture/ (9 client ops, 2 fault
#   windows, a stale read) in $FL_REPORT_RUN_DIR or ./report_fixture_run and runs
#   `faultline report --model cas-register` on it; with RUN_DIR it runs
#   `faultline report RUN_DIR` (results.json must be there).
# exit: 0 all ok, 1 a check failed, 77 no Chromium (skipped).
set -u
FAULTLINE=${1:?usage: test_report_browser.sh FAULTLINE [RUN_DIR]}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/browser_lib.sh"
find_chromium || { echo "skip: no chromium installed"; exit 77; }
command -v jq >/dev/null || { echo "FAIL jq is needed"; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

if [ $# -ge 2 ]; then
    run=$(cd "$2" && pwd)
    fixture=false
    check "faultline report $run" "$FAULTLINE" report "$run"
else
    run=${FL_REPORT_RUN_DIR:-$PWD/report_fixture_run}
    fixture=true
    rm -rf "$run"
    mkdir -p "$run/nodes/n1" "$run/nodes/n2"
    cp "$here/fixture/history.jsonl" "$here/fixture/test.json" "$run/"
    echo "quorumkv n1 started" >"$run/nodes/n1/quorumkv.log"
    echo "quorumkv n2 started" >"$run/nodes/n2/quorumkv.log"
    check "faultline report --model cas-register (writes results.json)" \
        "$FAULTLINE" report --model cas-register "$run"
fi
page=$run/report.html
[ -s "$page" ] || { fail "no $page"; exit 1; }

dump_dom "$page" "$scratch/dom.html" "$scratch/console.log"
check_page_health "$scratch/dom.html" "$scratch/console.log"

# What the run's files say.
client_ops=$(jq -c 'select(.process != "nemesis" and .type == "invoke") | 1' "$run/history.jsonl" | wc -l)
fault_windows=$(jq -c 'select(.process == "nemesis" and .type == "info" and (.f | type == "string")
                        and (.f | endswith("-start")) and .f != "-start") | 1' "$run/history.jsonl" | wc -l)
embedded=$(page_data "$page" fl-meta | jq '.embedded.ops')
page_ops=$(page_data "$page" fl-meta | jq '.history.ops')
verdict=$(jq -r 'if .valid == true then "valid" elif .valid == false then "anomaly" else "unknown" end' "$run/results.json")

check "the page counts $client_ops client ops (has $page_ops)" [ "$page_ops" = "$client_ops" ]
op_bars=$(grep -oE 'class="op (ok|fail|info|open)[" ]' "$scratch/dom.html" | wc -l)
check "one .op bar per embedded op ($embedded; found $op_bars)" [ "$op_bars" = "$embedded" ]
if [ "$client_ops" -le 50000 ]; then
    check "every client op has a bar ($client_ops)" [ "$op_bars" = "$client_ops" ]
fi
bands=$(grep -oE 'class="fault-band [^"]*" data-kind=' "$scratch/dom.html" | wc -l)
check "one .fault-band per fault window ($fault_windows; found $bands)" [ "$bands" = "$fault_windows" ]
check "the verdict badge says $verdict" grep -q "<span id=\"verdict\" class=\"verdict $verdict\">$verdict</span>" "$scratch/dom.html"
if $fixture; then
    check "the settings the target chose are named, with why" grep -qF \
        "<dt>Target defaults</dt><dd>nemesis-interval 5, at-once 1 — the fixture target's one mix</dd>" "$scratch/dom.html"
fi

jq '[.checkers.linearizable.keys // {} | .[] | select(.valid == false) | .window.ops // [] | .[]] | unique | .[]' \
    "$run/results.json" >"$scratch/window.txt"
dom_indices "$scratch/dom.html" anomaly-op >"$scratch/anomaly.txt"
others_invalid=$(jq '[.checkers | to_entries[] | select(.key != "linearizable" and .value.valid != true)] | length' "$run/results.json")
if [ "$others_invalid" = 0 ]; then
    check "the .anomaly-op ops are exactly the failing window's ($(tr '\n' ' ' <"$scratch/window.txt"))" \
        cmp -s "$scratch/window.txt" "$scratch/anomaly.txt"
else
    check "every op of the failing windows is an .anomaly-op" \
        bash -c "[ -z \"\$(comm -23 <(sort '$scratch/window.txt') <(sort -u '$scratch/anomaly.txt'))\" ]"
fi
if $fixture; then
    check "the fixture's window is ops 0 5 9" [ "$(tr '\n' ' ' <"$scratch/window.txt")" = "0 5 9 " ]
fi
if $fixture; then # test.json by another build, results.json by this one
    want="Run by faultline 0.2.0 (commit 0123abc); checked by $("$FAULTLINE" --version)"
    check "under the reproduce line: $want" \
        grep -qF "<p id=\"faultline-version\">$want</p>" "$scratch/dom.html"
else
    check "under the reproduce line: which faultline ran or checked the run" \
        grep -qE '<p id="faultline-version">(Run|Checked) by faultline [^<]+ \(commit [^<]+\)' "$scratch/dom.html"
fi
for failing in $(jq '.checkers.linearizable.keys // {} | .[] | select(.valid == false) | .failing_op.index // empty' "$run/results.json"); do
    check "failing op $failing is marked .failing" \
        grep -qE "class=\"[^\"]*anomaly-op[^\"]*failing[^\"]*\" data-index=\"$failing\"" "$scratch/dom.html"
done

# The explanation comes from results.json (the page has no model of its own): each
# named anomaly's sentence, and each op's verdict in each state before the failing op.
html_text() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'; }
while IFS=$'\t' read -r shape sentence; do
    [ -n "$sentence" ] || continue
    text=$(printf '%s' "$sentence" | html_text)
    check "the anomaly is named ($shape): $sentence" \
        grep -qF "<p class=\"anomaly-shape\" data-shape=\"$shape\">$text</p>" "$scratch/dom.html"
done < <(jq -r '.checkers.linearizable.keys // {} | .[] | select(.valid == false) | .anomaly // empty
                | [.shape, .sentence] | @tsv' "$run/results.json")
while IFS= read -r why; do
    [ -n "$why" ] || continue
    text=$(printf '%s' "$why" | html_text)
    check "a verdict from results.json is shown: $why" grep -qF ">$text</span>" "$scratch/dom.html"
done < <(jq -r '[.checkers.linearizable.keys // {} | .[] | select(.valid == false)
                 | .candidates // [] | .[] | .ops[] | .why] | unique | .[]' "$run/results.json")
if $fixture; then
    check "the fixture's anomaly is a stale read, in the field's words" grep -qF \
        "stale read: p1 read 1 at 10.00 ms on n3, but p0's write of 2 had completed at 8.00 ms</p>" \
        "$scratch/dom.html"
    check "and op 9 cannot come next because the register holds 2" grep -qF \
        "cannot come next: read expects 1, the register holds 2" "$scratch/dom.html"
fi

# The retry-storm section: absent without a retry-storm result; with one (added to a
# copy of the run's results.json: a flagged window and a series), a line per series
# (arrivals, served, goodput), one .rs-window row per window, the flag's explanation.
check "no retry-storm section without its result" grep -qF '<section id="retry-storm-section" hidden="">' "$scratch/dom.html"
if $fixture; then
    rs_run=$scratch/rs_run
    cp -r "$run" "$rs_run"
    jq '.valid = false | .checkers["retry-storm"] = {"valid": false, "flag_count": 1,
        "baseline": {"goodput_per_s": 10, "arrivals_per_100ms": 1, "steady_buckets": 30},
        "windows": [{"kind": "partition", "start_s": 0.002, "stop_s": 0.004, "stopped": true,
                     "arrivals": 1000, "calls": 250, "amplification": 4, "wave_ratio": 6,
                     "peak_bucket_s": 1.5, "recovery_s": 0,
                     "flags": [{"window": 1, "kind": "partition", "measure": "amplification",
                                "value": 4, "threshold": 2, "start_s": 0.002, "stop_s": 0.004,
                                "explanation": "partition window 1: amplification 4.0 above 2"}]}],
        "summary": {"max_amplification": 4, "max_wave_ratio": 6, "max_recovery_s": 0},
        "series": {"bucket_s": 1, "arrivals": [10, 40, 12], "served": [10, 5, 10],
                   "goodput": [10, 0, 10], "shed": [0, 35, 2]}}' \
        "$run/results.json" >"$rs_run/results.json.new" && mv "$rs_run/results.json.new" "$rs_run/results.json"
    check "faultline report on the run with a retry-storm result" "$FAULTLINE" report "$rs_run"
    dump_dom "$rs_run/report.html" "$scratch/rs_dom.html" "$scratch/rs_console.log"
    check_page_health "$scratch/rs_dom.html" "$scratch/rs_console.log"
    check "the retry-storm section is shown" grep -qF '<section id="retry-storm-section">' "$scratch/rs_dom.html"
    lines=$(grep -oE 'class="rs-line" data-series="[^"]*"' "$scratch/rs_dom.html" | wc -l)
    check "three retry-storm lines: arrivals, served, goodput (found $lines)" [ "$lines" = 3 ]
    rows=$(grep -oE 'class="rs-window[^"]*" data-window=' "$scratch/rs_dom.html" | wc -l)
    check "one .rs-window row per window (found $rows)" [ "$rows" = 1 ]
    check "the flag is explained" grep -qF 'partition window 1: amplification 4.0 above 2' "$scratch/rs_dom.html"
    shades=$(grep -oE '<div id="retry-storm-plot".*</div>' "$scratch/rs_dom.html" | grep -oE 'class="fault-shade' | wc -l)
    check "the retry-storm plot shades the fault windows ($fault_windows; found $shades)" [ "$shades" = "$fault_windows" ]
fi

# The txn checker's cycles: a run made from the Elle corpus's paper example (a
# G-single-item of three transactions), one drawn graph per cycle with an arrow and a
# label per step, the steps in words and the explanation beside it.
if $fixture; then
    txn_run=$scratch/txn_run
    mkdir -p "$txn_run"
    check "faultline convert the paper example" \
        "$FAULTLINE" convert "$here/../corpus/elle/la-c-paper-example.edn" "$txn_run/history.jsonl"
    "$FAULTLINE" check --checker txn --certify --out "$txn_run/results.json" "$txn_run/history.jsonl" >/dev/null
    check "faultline report on the txn run" "$FAULTLINE" report "$txn_run"
    dump_dom "$txn_run/report.html" "$scratch/txn_dom.html" "$scratch/txn_console.log"
    check_page_health "$scratch/txn_dom.html" "$scratch/txn_console.log"
    cycles=$(jq '[.checkers.txn.anomalies[][] | select(.steps and (.steps | length) <= 16)] | length' "$txn_run/results.json")
    steps=$(jq '[.checkers.txn.anomalies[][] | select(.steps and (.steps | length) <= 16) | .steps[]] | length' "$txn_run/results.json")
    graphs=$(grep -oE '<svg [^>]*class="txn-cycle"' "$scratch/txn_dom.html" | wc -l)
    edges=$(grep -oE 'class="cycle-edge"' "$scratch/txn_dom.html" | wc -l)
    check "the paper example has a cycle to draw" [ "$cycles" -gt 0 ]
    check "one graph per cycle ($cycles; found $graphs)" [ "$graphs" = "$cycles" ]
    check "one arrow per step ($steps; found $edges)" [ "$edges" = "$steps" ]
    while IFS=$'\t' read -r rel key; do
        check "a step labelled $rel $key" grep -qF ">$rel $key</text>" "$scratch/txn_dom.html"
    done < <(jq -r '.checkers.txn.anomalies[][] | select(.steps) | .steps[] | [.rel, .key] | @tsv' "$txn_run/results.json")
    check "the cycle is named in words" grep -qF \
        'A cycle of 3 transactions with exactly one anti-dependency (rw): G-single, a read skew' "$scratch/txn_dom.html"
    screenshot "$txn_run/report.html" "$run/report-txn.png" 1400,2400
fi

# Who was primary when (tests/reports/fixture_primaries: a set run with primaries events
# and one lost element): a .primary-segment in the band per answer of the history, the
# split brain marked, and beside the lost element its add's primaries when invoked and
# completed and the node that answered, as the history says.
check "no primaries band without primaries events" \
    bash -c "! grep -qE 'class=\"primaries-band|class=\"primary-segment' '$scratch/dom.html'"
if $fixture; then
    prim_run=$scratch/prim_run
    mkdir -p "$prim_run"
    cp "$here/fixture_primaries/history.jsonl" "$here/fixture_primaries/test.json" "$prim_run/"
    check "faultline report --workload set on the primaries fixture" "$FAULTLINE" report --workload set "$prim_run"
    dump_dom "$prim_run/report.html" "$scratch/prim_dom.html" "$scratch/prim_console.log"
    check_page_health "$scratch/prim_dom.html" "$scratch/prim_console.log"
    P=$prim_run/history.jsonl
    answers=$(jq -c 'select(.process == "nemesis" and .f == "primaries" and .value.end != true) | .value.nodes' "$P" | wc -l)
    segments=$(grep -oE '<rect [^>]*class="primary-segment[^"]*"' "$scratch/prim_dom.html" | wc -l)
    check "the band: one segment per answer ($answers; found $segments)" [ "$segments" = "$answers" ]
    while IFS= read -r nodes; do
        check "a segment for the answer [$nodes]" grep -qE "class=\"primary-segment[^\"]*\" data-nodes=\"$nodes\"" "$scratch/prim_dom.html"
    done < <(jq -r 'select(.process == "nemesis" and .f == "primaries" and .value.end != true)
                    | .value.nodes | if . == null then "unknown" else join(" ") end' "$P")
    split=$(grep -oE 'class="primary-segment split-brain" data-nodes="[^"]*"' "$scratch/prim_dom.html")
    check "the split brain is marked (n1 n2): $split" [ "$split" = 'class="primary-segment split-brain" data-nodes="n1 n2"' ]
    rows=$(grep -oE '<tr class="primary-row' "$scratch/prim_dom.html" | wc -l)
    check "the Primaries table: a row per segment (found $rows)" [ "$rows" = "$answers" ]
    # The lost element's add, from results.json; who was primary at its invocation and
    # completion, from the history (the last answer at or before each time).
    add=$(jq '.checkers.set.lost_ops[0].add.index' "$prim_run/results.json")
    check "the fixture loses one element (the add of 2, op 3)" [ "$add" = 3 ]
    at() { jq -rs --argjson t "$1" '[.[] | select(.process == "nemesis" and .f == "primaries" and .time <= $t)]
                                     | last | .value.nodes | if . == null then "unknown" else join(" + ") end' "$P"; }
    inv_t=$(jq -r --argjson i "$add" 'select(.index == $i) | .time' "$P")
    done_t=$(jq -r --argjson i "$add" '.checkers.set.lost_ops[0].add.complete_time' "$prim_run/results.json")
    node=$(jq -r '.checkers.set.lost_ops[0].add.node' "$prim_run/results.json")
    want="<p class=\"lost-primaries\" data-index=\"$add\" data-invoked=\"$(at "$inv_t")\" data-completed=\"$(at "$done_t")\" data-node=\"$node\">"
    check "beside the lost element: $want" grep -qF "$want" "$scratch/prim_dom.html"
    check "the fixture's add ran across the failover (n1 then n2, answered by n1)" \
        [ "$(at "$inv_t")/$(at "$done_t")/$node" = "n1/n2/n1" ]
    check "and the note says the node that answered was no longer primary" \
        grep -qF 'Answered by <b>n1</b>, not a primary then.' "$scratch/prim_dom.html"
    screenshot "$prim_run/report.html" "$run/report-primaries.png" 1400,2400
fi

screenshot "$page" "$run/report.png" 1400,2400
check "screenshot $run/report.png" test -s "$run/report.png"
screenshot "$page" "$run/report-full.png" 1400,6000
check "screenshot $run/report-full.png" test -s "$run/report-full.png"

[ "$failures" = 0 ] && echo "all ok" && exit 0
echo "$failures check(s) failed"
exit 1
