#!/usr/bin/env bash
# The report against hostile data: history values, f, keys, nodes and errors, fault
# kinds, primaries answers, test.json settings, results.json explanations (a lost
# element's too), both files' "faultline" version and a node log's file name all carry
# script injections (<script>, </script>, an <img onerror>, an element id=pwned, quotes)
# and the history has bytes that are not UTF-8.
# The page must still draw, no injected markup or script may take effect, every payload
# must show as text, the invalid bytes as U+FFFD, and no data element may hold a raw '<'.
#
# usage: test_report_xss.sh FAULTLINE
# exit: 0 all ok, 1 a check failed, 77 no Chromium (skipped).
set -u
FAULTLINE=${1:?usage: test_report_xss.sh FAULTLINE}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/browser_lib.sh"
find_chromium || { echo "skip: no chromium installed"; exit 77; }
command -v jq >/dev/null || { echo "FAIL jq is needed"; exit 1; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
run=$scratch/run
mkdir -p "$run/nodes/n1"

# Each payload, if it ever ran or became markup, leaves a mark the DOM dump shows: a
# title "pwned", data-pwned on <body>, an element with id "pwned" or "pwnedimg".
script='<script>window.__pwned=1;document.title=\"pwned\"</script>'
# (JSON text: \" is a quote inside a JSON string)
img="<img src=x id=pwnedimg onerror=\\\"document.body.setAttribute('data-pwned',1)\\\">"
div='<div id=\"pwned\">x</div>'
quotes="\\\"quotes'"
end='</script>'
bad=$'\xff'
# invalid UTF-8: \xff\xfe, a lone continuation byte, a truncated sequence
printf '%s\n' \
  "{\"index\":0,\"time\":1000000,\"process\":0,\"type\":\"invoke\",\"f\":\"write\",\"key\":\"$end\",\"value\":\"$script\"}" \
  "{\"index\":1,\"time\":2000000,\"process\":1,\"type\":\"invoke\",\"f\":\"$end<b>\",\"key\":\"$end\",\"value\":\"$img\"}" \
  "{\"index\":2,\"time\":3000000,\"process\":0,\"type\":\"ok\",\"f\":\"write\",\"key\":\"$end\",\"value\":\"$script\",\"node\":\"$div\"}" \
  "{\"index\":3,\"time\":3500000,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"<svg onload=alert(1)>-start\",\"value\":{\"kind\":\"$div\",\"variant\":\"$quotes\",\"nodes\":[\"$img\"],\"grudge\":{\"$end\":[\"$script\"]},\"offset_ms\":{\"$div\":5}}}" \
  "{\"index\":4,\"time\":4000000,\"process\":1,\"type\":\"info\",\"f\":\"$end<b>\",\"key\":\"$end\",\"value\":\"$img\",\"error\":\"$quotes\"}" \
  "{\"index\":5,\"time\":5000000,\"process\":2,\"type\":\"invoke\",\"f\":\"read\",\"key\":\"$end\",\"value\":null}" \
  >"$run/history.jsonl"
printf '{"index":6,"time":6000000,"process":2,"type":"ok","f":"read","key":"k","value":"bytes \xff\xfe \x80 \xe2\x82 end"}\n' >>"$run/history.jsonl"
printf '{"index":7,"time":7000000,"process":"nemesis","type":"info","f":"<svg onload=alert(1)>-stop"}\n' >>"$run/history.jsonl"
printf '{"index":8,"time":8000000,"process":3,"type":"invoke","f":"write","value":"\xe2\x80\xa8 line separator </script>"}\n' >>"$run/history.jsonl"
# primaries events whose node names and error are payloads: a split brain, then unknown
printf '%s\n' \
  "{\"index\":9,\"time\":8500000,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"primaries\",\"value\":{\"nodes\":[\"$div\",\"$img\"]}}" \
  "{\"index\":10,\"time\":8700000,\"process\":\"nemesis\",\"type\":\"info\",\"f\":\"primaries\",\"value\":{\"nodes\":null,\"error\":\"$script\"}}" \
  >>"$run/history.jsonl"

printf '%s\n' "{\"config\":{\"target\":\"$script\",\"workload\":\"$img\",\"nemesis\":\"$div\",\"seed\":\"1'; rm -rf /\",\"bug\":\"$quotes\"},\"nodes\":[{\"name\":\"$div\"}],\"faultline\":\"$script\"}" >"$run/test.json"
# results.json names ops 0, 1 and 5 (whose values are payloads); one checker's name
# and explanation are payloads too; it holds bytes that are not UTF-8.
printf '%s\n' "{\"valid\":false,\"checkers\":{\"$script\":{\"valid\":false,\"violations\":[{\"rule\":\"$div\",\"explanation\":\"$img $end $bad\",\"ops\":[{\"index\":0,\"process\":0,\"f\":\"write\",\"value\":\"$script\",\"type\":\"ok\"},{\"index\":1,\"process\":1,\"f\":\"$end\",\"value\":\"$img\",\"type\":\"info\"}]}],\"lost_ops\":[{\"element\":\"$script\",\"add\":{\"index\":0,\"process\":0,\"f\":\"write\",\"value\":\"$script\",\"type\":\"ok\",\"node\":\"$div\"}}],\"count_$end\":1},\"linearizable\":{\"valid\":false,\"model\":\"cas-register\",\"ops\":4,\"key_count\":1,\"valid_keys\":0,\"invalid_keys\":[\"$end\"],\"unknown_keys\":[],\"keys\":{\"$end\":{\"valid\":false,\"failing_op\":{\"index\":5,\"process\":2,\"f\":\"read\",\"value\":null,\"type\":\"ok\",\"output\":\"$script\"},\"concurrent_ops\":[{\"index\":1,\"process\":1,\"f\":\"$end\",\"value\":\"$img\",\"type\":\"info\"}],\"states_before_failing_op\":[\"$div\"],\"linearized_prefix\":[0],\"window\":{\"cut_index\":6,\"ops\":[0,1,5]},\"explanation\":\"$script\"}}}},\"faultline\":{\"version\":\"$img\",\"commit\":\"$div\"}}" >"$run/results.json"
echo "log" >"$run/nodes/n1/<img src=x id=pwnedimg onerror=alert(1)>.log"

check "the history is valid JSON apart from its bytes (jq reads it)" \
    bash -c "jq -e . '$run/history.jsonl' >/dev/null"
code=0
"$FAULTLINE" report --model cas-register "$run" 2>"$scratch/check.err" >/dev/null || code=$?
check "checking it with --model refuses the bytes the checker cannot read: exit 65 naming history.jsonl (got $code)" \
    bash -c "[ $code = 65 ] && grep -q 'history.jsonl:' '$scratch/check.err'"
# that refusal must not have touched the hand-written results.json
check "faultline report writes the report from results.json" "$FAULTLINE" report "$run"
page=$run/report.html

dump_dom "$page" "$scratch/dom.html" "$scratch/console.log"
check_page_health "$scratch/dom.html" "$scratch/console.log"
dom=$scratch/dom.html
check "no injected script changed the title" bash -c "! grep -q '<title>pwned' '$dom'"
check "the title is the report's" grep -q '<title>faultline: anomaly' "$dom"
check "no injected element with id pwned" bash -c "! grep -q '<div id=\"pwned\"' '$dom'"
check "no injected <img> (id pwnedimg)" bash -c "! grep -q 'id=\"pwnedimg\"' '$dom'"
check "no onerror handler ran (body has no data-pwned)" bash -c "! grep -q 'data-pwned=\"1\"' '$dom'"
check "the <script> payload is shown as text" grep -qF '&lt;script&gt;window.__pwned=1;document.title="pwned"&lt;/script&gt;' "$dom"
check "the <img> payload is shown as text" grep -qF '&lt;img src=x id=pwnedimg' "$dom"
check "the faultline versions of test.json and results.json are shown as text" grep -qF \
    "<p id=\"faultline-version\">Run by faultline &lt;script&gt;window.__pwned=1;document.title=\"pwned\"&lt;/script&gt;; checked by faultline &lt;img src=x id=pwnedimg onerror=\"document.body.setAttribute('data-pwned',1)\"&gt; (commit &lt;div id=\"pwned\"&gt;x&lt;/div&gt;); report by $("$FAULTLINE" --version)</p>" "$dom"
check "invalid UTF-8 shows as U+FFFD" grep -q $'bytes \xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd' "$dom"
check "the anomaly's ops are listed (.anomaly-op 0 1 5)" \
    [ "$(dom_indices "$dom" anomaly-op | tr '\n' ' ')" = "0 1 5 " ]
check "the fault window with a hostile kind is drawn" [ "$(grep -oE 'class="fault-band [^"]*" data-kind=' "$dom" | wc -l)" = 1 ]
check "every client op is drawn (4)" [ "$(grep -oE 'class="op (ok|fail|info|open)[" ]' "$dom" | wc -l)" = 4 ]
# In the file as written: no data element may hold '<' (it could end the element).
check "the primaries band draws the hostile answers (a split brain, unknown)" \
    [ "$(grep -oE 'class="primary-segment[^"]*"' "$dom" | tr '\n' ' ')" = 'class="primary-segment split-brain" class="primary-segment unknown" ' ]
check "the lost element's note names the hostile node as text" \
    grep -qF 'Answered by <b>&lt;div id="pwned"&gt;x&lt;/div&gt;</b>' "$dom"
raw=$(grep -c '^<script type="application/json" id="fl-[a-z]*">' "$page")
check "the page has its 6 data elements (found $raw)" [ "$raw" = 6 ]
check "no data element holds a raw '<'" \
    bash -c "! sed -n 's|^<script type=\"application/json\" id=\"fl-[a-z]*\">\(.*\)</script>\$|\1|p' '$page' | grep -q '<'"
check "U+2028 is escaped in the data" bash -c "! grep -q $'\xe2\x80\xa8' '$page'"
check "exactly one executable <script> element" [ "$(grep -c '<script>' "$page")" = 1 ]
check "the log link is percent-encoded" grep -qF 'href="nodes/n1/%3Cimg%20src%3Dx%20id%3Dpwnedimg%20onerror%3Dalert(1)%3E.log"' "$dom"

[ "$failures" = 0 ] && echo "all ok" && exit 0
echo "$failures check(s) failed"
exit 1
