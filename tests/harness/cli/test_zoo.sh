#!/usr/bin/env bash
# `faultline zoo` end to end on a local cluster of its own, short: quorumkv's four rows
# (correct, stale-quorum, no-write-back, wall-clock-lww), one 8 s run each, no
# simulator. Checks the exit code (0: no false alarm), the matrix, zoo.json's shape
# (settings, version, rows with their runs, dirs relative to the store that hold a
# report.html), that stale-quorum was detected and by which checker, that no-write-back
# says what it needs, the JUnit file (one testsuite per row, valid against junit.xsd),
# that the store's index links the page, and that zoo.html and index.html render in
# headless Chromium without console errors, each run a link to its report. Then a
# second, one-row zoo shows the first one's rate beside its row.
#
# usage: test_zoo.sh FAULTLINE JUNIT_XSD   (KEEP=1 keeps the scratch folder to look at)
set -u
FL=$1
XSD=$2
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/../../support/cluster_lib.sh"
scratch_cluster
"$FL" zoo --target quorumkv --runs 1 --correct-runs 1 --time-limit 8 --sim-seeds 0 \
    --nodes-file "$CDIR/nodes.json" --store "$STORE" --junit "$DIR/zoo.xml" >"$DIR/out" 2>"$DIR/err"
rc=$?
[ "$rc" = 0 ] && ok "zoo --target quorumkv: exit 0 (no false alarm)" || bad "zoo: exit $rc: $(tail -n 5 "$DIR/err")"
grep -Eq '^quorumkv +stale-quorum +1/1 +0 +0 +[0-9.]+ s +linearizable 1' "$DIR/out" \
    && grep -Eq '^quorumkv +correct +0/1 false alarms' "$DIR/out" \
    && grep -Eq '^quorumkv +no-write-back .*needs: packets reordered' "$DIR/out" \
    && ok "the matrix: stale-quorum 1/1 caught by linearizable, the correct mode's false alarms, no-write-back's needs" \
    || bad "matrix: $(cat "$DIR/out")"

Z=$(readlink -f "$STORE/zoo/latest")
J=$Z/zoo.json
check "STORE/zoo/latest is a UTC-stamped folder with zoo.json and zoo.html" \
    bash -c "[[ '$(basename "$Z")' =~ ^[0-9]{8}T[0-9]{6}Z$ ]] && [ -s '$J' ] && [ -s '$Z/zoo.html' ]"
check "zoo.json: settings, faultline version, 4 rows named zoo-quorumkv-<mode>, exit 0" jq -e '
    .settings.runs == 1 and .settings.correct_runs == 1 and .settings.time_limit_s == 8
    and .settings.seed == "1" and .settings.sim_seeds == 0 and (.faultline.version | type == "string")
    and (.faultline.commit | type == "string") and .exit == 0 and (.finished | type == "string")
    and ([.rows[].name] == ["zoo-quorumkv-correct", "zoo-quorumkv-stale-quorum",
                            "zoo-quorumkv-no-write-back", "zoo-quorumkv-wall-clock-lww"])' "$J"
check "zoo.json: every row has its mode, counts, one run with seed, verdict, dir and checkers" jq -e '
    all(.rows[]; (.runs | length) == 1 and .planned == 1 and (.detected | type == "number")
        and (.unknown | type == "number") and .errors == 0 and .simulator == null and .previous == null
        and .settings.target == "quorumkv" and (.settings | has("workload") | not)
        and all(.runs[]; .seed == 1 and (.verdict | IN("valid", "INVALID", "unknown"))
                and (.dir | test("^zoo-quorumkv-[a-z-]+/[0-9T]+$"))
                and (.checkers | type == "array")))' "$J"
check "zoo.json: stale-quorum detected, caught by linearizable, with its first anomaly" jq -e '
    .rows[1] | .detected == 1 and .caught_by.linearizable == 1 and (.median_first_anomaly_s | type == "number")
    and (.runs[0].checkers | index("linearizable"))' "$J"
check "zoo.json: the correct mode counts false alarms; no-write-back says what it needs" jq -e '
    (.rows[0] | .correct and .false_alarms == .detected) and (.rows[2].needs | startswith("packets reordered"))' "$J"
missing=$(jq -r '.rows[].runs[].dir' "$J" | while read -r d; do [ -s "$STORE/$d/report.html" ] || echo "$d"; done)
[ -z "$missing" ] && ok "every run's dir (relative to the store) holds its report.html" || bad "no report in: $missing"

check "JUnit: one testsuite per row, valid against junit.xsd" bash -c "
    xmllint --noout --schema '$XSD' '$DIR/zoo.xml' 2>/dev/null &&
    [ \"\$(xmllint --xpath 'count(//testsuite)' '$DIR/zoo.xml')\" = 4 ] &&
    [ \"\$(xmllint --xpath 'count(//testsuite[@name=\"zoo-quorumkv-stale-quorum\"]/testcase[@name=\"linearizable\"]/failure)' '$DIR/zoo.xml')\" = 1 ]"
check "the store's index lists the zoo page" grep -q "\"href\":\"zoo/$(basename "$Z")/zoo.html\"" "$STORE/index.html"

# --- the pages in a browser ---
source "$HERE/../../reports/browser_lib.sh" # from here on, check's failures count in $failures
if find_chromium; then
    scratch=$DIR/browser
    mkdir -p "$scratch"
    dump_dom "$Z/zoo.html" "$scratch/zoo.dom" "$scratch/zoo.console"
    dump_dom "$STORE/index.html" "$scratch/index.dom" "$scratch/index.console"
    for page in zoo index; do
        grep -E 'CONSOLE|Uncaught' "$scratch/$page.console" >/dev/null \
            && fail "$page.html: console messages: $(grep -E 'CONSOLE|Uncaught' "$scratch/$page.console" | head -3)" \
            || ok "$page.html renders without console messages or errors"
    done
    check "zoo.html: drawn to the end (#zoo-ready), #errors empty" \
        bash -c "grep -q 'id=\"zoo-ready\" hidden=\"\" data-status=\"ready\"' '$scratch/zoo.dom' && grep -q '<div id=\"errors\" hidden=\"\"></div>' '$scratch/zoo.dom'"
    check "zoo.html: 4 rows, each run a link to its report" bash -c "
        [ \"\$(grep -o '<tr class=\"zoo-row\"' '$scratch/zoo.dom' | wc -l)\" = 4 ] &&
        [ \"\$(grep -o '<a class=\"run verdict-[A-Za-z]*\" href=\"../../zoo-quorumkv-[a-z-]*/[0-9T]*/report.html\"' '$scratch/zoo.dom' | wc -l)\" = 4 ] &&
        grep -q 'data-verdict=\"INVALID\" title=\"seed 1: INVALID, first anomaly at' '$scratch/zoo.dom'"
    check "index.html: a link to the zoo page" grep -q "<a href=\"zoo/$(basename "$Z")/zoo.html\">zoo of " "$scratch/index.dom"
else
    echo "skip - no chromium: the pages are not rendered"
fi

# --- a second night compares with the first ---
sleep 1 # a new UTC second for the new folder
"$FL" zoo --target quorumkv --bug stale-quorum --runs 1 --time-limit 4 --sim-seeds 0 \
    --nodes-file "$CDIR/nodes.json" --store "$STORE" >"$DIR/out2" 2>"$DIR/err2"
rc=$?
Z2=$(readlink -f "$STORE/zoo/latest")
[ "$rc" = 0 ] && [ "$Z2" != "$Z" ] && ok "a second zoo: exit 0, a new folder, latest moved" || bad "second zoo: exit $rc $(tail -n 3 "$DIR/err2")"
check "its row shows the first night's 1/1 (zoo.json and the matrix)" bash -c "
    jq -e '.rows[0].previous | .detected == 1 and .runs == 1' '$Z2/zoo.json' >/dev/null &&
    jq -e '.previous.href == \"../$(basename "$Z")/zoo.html\"' '$Z2/zoo.json' >/dev/null &&
    grep -Eq '^quorumkv +stale-quorum +[01]/1 .* 1/1 *\$' '$DIR/out2'"
check "the index lists both zoo pages, newest first" bash -c "
    grep -o '\"href\":\"zoo/[0-9TZ]*/zoo.html\"' '$STORE/index.html' | tr '\n' ' ' |
    grep -qx '\"href\":\"zoo/$(basename "$Z2")/zoo.html\" \"href\":\"zoo/$(basename "$Z")/zoo.html\" '"

fail=$((fail + failures))
echo "# $fail failed"
[ "$fail" = 0 ]
