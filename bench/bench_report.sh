#!/usr/bin/env bash
# How long the HTML report takes for a large history: generates a run directory with
# OPS client ops (default 10^6; bench_report_gen.awk: 10 workers, a fault window every
# 50,000 ops, a results.json naming a 12-op failing window), times `faultline report`
# (wall time and peak RSS), and times loading the page in headless Chromium: the
# page's own ready mark (performance.now() when it finished drawing, read from the
# dumped DOM) and the wall time of the whole Chromium run next to that of an empty
# page. Targets (DESIGN.md "Reports"): report <= 10 s, page ready <= 5 s.
#
# usage: bench/bench_report.sh [FAULTLINE] [OPS]    (FAULTLINE default build/harness/faultline)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
FAULTLINE=${1:-$here/../build/harness/faultline}
OPS=${2:-1000000}
[ -x "$FAULTLINE" ] || { echo "no faultline at $FAULTLINE (build it, or name it)" >&2; exit 64; }
CHROMIUM=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
run=$scratch/run
mkdir -p "$run"

now_ms() { date +%s%3N; }

t0=$(now_ms)
awk -v OPS="$OPS" -v CONC=10 -v DIR="$run" -f "$here/bench_report_gen.awk"
t1=$(now_ms)
echo "generated $OPS ops ($(wc -l <"$run/history.jsonl") lines, $(du -h "$run/history.jsonl" | cut -f1)) in $((t1 - t0)) ms"

if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%e %M' -o "$scratch/time.txt" "$FAULTLINE" report "$run" >/dev/null
    read -r report_s rss_kb <"$scratch/time.txt"
else
    t0=$(now_ms)
    "$FAULTLINE" report "$run" >/dev/null
    report_s=$(awk -v ms=$(($(now_ms) - t0)) 'BEGIN { printf "%.2f", ms / 1000 }')
    rss_kb=?
fi
echo "faultline report: ${report_s} s, peak RSS ${rss_kb} KB, report.html $(du -h "$run/report.html" | cut -f1)"

if [ -z "$CHROMIUM" ]; then
    echo "no chromium: page load not measured"
    exit 0
fi
load() { # load URL: wall ms of a headless Chromium dumping the DOM of URL
    local profile start
    profile=$(mktemp -d "$scratch/profile.XXXXXX")
    start=$(now_ms)
    timeout 300 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --no-first-run --user-data-dir="$profile" --dump-dom "$1" >"$scratch/dom.html" 2>/dev/null
    echo $(($(now_ms) - start))
}
echo '<!DOCTYPE html><title>empty</title>' >"$scratch/empty.html"
empty_ms=$(load "file://$scratch/empty.html")
for attempt in 1 2 3; do
    wall_ms=$(load "file://$run/report.html")
    ready=$(grep -o '<div id="report-ready"[^>]*>' "$scratch/dom.html" || true)
    status=$(echo "$ready" | sed -n 's/.*data-status="\([a-z]*\)".*/\1/p')
    ready_ms=$(echo "$ready" | sed -n 's/.*data-ms="\([0-9]*\)".*/\1/p')
    bars=$(grep -oE 'class="op (ok|fail|info|open)[" ]' "$scratch/dom.html" | wc -l)
    echo "page load $attempt: status ${status:-none}, drawn ${ready_ms:-?} ms after navigation," \
         "Chromium wall ${wall_ms} ms (empty page ${empty_ms} ms), ${bars} op bars"
done
verdict() { awk -v v="$1" -v max="$2" 'BEGIN { print (v <= max ? "within" : "OVER") }'; }
echo "report $(verdict "$report_s" 10) 10 s; page ready $(verdict "$(awk -v ms="${ready_ms:-99999}" 'BEGIN { print ms / 1000 }')" 5) 5 s"
