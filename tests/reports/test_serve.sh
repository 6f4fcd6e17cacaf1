#!/usr/bin/env bash
# `faultline serve` end to end on a hand-made store: the index lists every run with its
# verdict, files come with their content types, node folders are listed, and every way
# out of the store ('..', percent-encoded '..', '//', symlinks leading out) gets 403 or
# 404 and never the file; a non-loopback --bind is refused; SIGTERM stops it cleanly.
#
# usage: test_serve.sh FAULTLINE_BINARY      (needs curl; exits 77 = skipped without it)
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
    echo "usage: $0 FAULTLINE_BINARY" >&2
    exit 64
fi
FL=$1
if ! command -v curl >/dev/null; then
    echo "skip: curl is not installed"
    exit 77
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_serve.XXXXXX") || exit 3
PID=
cleanup() {
    if [ -n "$PID" ]; then kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; fi
    rm -rf "$TMP"
}
trap cleanup EXIT

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   - $1"; }
fail() { failed=$((failed + 1)); echo "FAIL - $1"; }
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}

# ---- the store ----
S=$TMP/store
mkdir -p "$TMP/outside"
echo "TOPSECRET-1f2e3d" >"$TMP/outside/secret.txt"

# make_run TEST RUN RESULTS_JSON_OR_EMPTY
make_run() {
    local d="$S/$1/$2"
    mkdir -p "$d/nodes/n1" "$d/nodes/n2"
    printf '{"config":{"target":"raftkv","workload":"register","seed":"7","time-limit":10},"nodes":[]}\n' >"$d/test.json"
    printf '{"index":0,"type":"invoke","process":0,"f":"read"}\n' >"$d/history.jsonl"
    printf 'raftkv log of %s\n' "$2" >"$d/nodes/n1/raftkv.log"
    printf '<!DOCTYPE html><title>report</title><p>REPORT-MARKER %s</p>\n' "$2" >"$d/report.html"
    printf '<?xml version="1.0"?><testsuite/>\n' >"$d/junit.xml"
    if [ -n "$3" ]; then printf '%s\n' "$3" >"$d/results.json"; fi
}
VALID='{"valid":true,"checkers":{"linearizable":{"valid":true},"stats":{"valid":true}}}'
INVALID='{"valid":false,"checkers":{"linearizable":{"valid":false,"invalid_keys":["x"]},"stats":{"valid":true}}}'
UNKNOWN='{"valid":"unknown","checkers":{"set":{"valid":"unknown","reason":"no final read"}}}'
make_run good 20240101T000001 "$VALID"
make_run good 20240101T000002 "$VALID"
make_run bad 20240102T000000 "$INVALID"
make_run bad 20240102T000001 "$UNKNOWN"
make_run bad 20240102T000002 ""                  # no results: crashed or still running
MARKUP='x<b onmouseover="alert(1)">&'   # a test name that is markup
make_run "$MARKUP" 20240103T000000 "$INVALID"
ln -s 20240101T000002 "$S/good/latest"
ln -s 20240102T000002 "$S/bad/latest"
ln -s "$TMP/outside/secret.txt" "$S/good/20240101T000001/leak.json"   # absolute, out
ln -s ../../outside "$S/good/out"                                     # relative, out

# ---- refused: a non-loopback address without --allow-remote ----
"$FL" serve --store "$S" --bind 0.0.0.0:0 >"$TMP/remote.out" 2>"$TMP/remote.err"
rc=$?
check "non-loopback --bind is refused (exit 64)" [ "$rc" -eq 64 ]
check "the refusal says why and names --allow-remote" grep -q "not a loopback address.*--allow-remote" "$TMP/remote.err"

# ---- start: port 0 lets the kernel pick a free port; the URL is printed ----
"$FL" serve --store "$S" --bind 127.0.0.1:0 >"$TMP/serve.out" 2>"$TMP/serve.err" &
PID=$!
URL=
for _ in $(seq 100); do
    URL=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$TMP/serve.out" 2>/dev/null | head -1)
    [ -n "$URL" ] && break
    sleep 0.1
done
if [ -z "$URL" ]; then
    echo "FAIL - the server printed no URL"; cat "$TMP/serve.out" "$TMP/serve.err"
    exit 1
fi
pass "started at $URL"
URL=${URL%/}

# get PATH: status and content type in $CODE/$TYPE, the body in $TMP/body
get() {
    local out
    out=$(curl -s --noproxy '*' --path-as-is --max-time 10 -o "$TMP/body" \
               -w '%{http_code} %{content_type}' "$@") || out="000 none"
    CODE=${out%% *}
    TYPE=${out#* }
}

# ---- the index ----
get "$URL/"
check "/ is 200 text/html" [ "$CODE" = 200 -a "${TYPE%%;*}" = text/html ]
run_line() { grep -F "\"test\":\"$1\",\"run\":\"$2\"" "$TMP/body"; }
verdict_is() { run_line "$1" "$2" | grep -qF "\"verdict\":\"$3\""; }
check "index: good/20240101T000001 valid" verdict_is good 20240101T000001 valid
check "index: good/20240101T000002 valid" verdict_is good 20240101T000002 valid
check "index: bad/20240102T000000 anomaly" verdict_is bad 20240102T000000 anomaly
check "index: bad/20240102T000001 unknown" verdict_is bad 20240102T000001 unknown
check "index: bad/20240102T000002 none (no results)" verdict_is bad 20240102T000002 none
check "index: the markup name is listed, escaped" \
    verdict_is 'x\u003cb onmouseover=\"alert(1)\"\u003e\u0026' 20240103T000000 anomaly
check "index: exactly 6 runs (no latest)" [ "$(grep -c '"run":"' "$TMP/body")" -eq 6 ]
check "index: no raw markup from names" bash -c "! grep -qF 'x<b' '$TMP/body'"
check "index: links are relative and encoded" \
    bash -c "grep -qF '\"report\":\"x%3Cb%20onmouseover%3D%22alert%281%29%22%3E%26/20240103T000000/report.html\"' '$TMP/body'"
check "index: the verdict classes are styled" grep -q '\.verdict-anomaly{' "$TMP/body"
check "index.html was written into the store" [ -f "$S/index.html" ]

# ---- files ----
get "$URL/good/20240101T000001/report.html"
check "report.html is 200 text/html" [ "$CODE" = 200 -a "${TYPE%%;*}" = text/html ]
check "report.html is the file" grep -q "REPORT-MARKER 20240101T000001" "$TMP/body"
get "$URL/bad/20240102T000000/results.json"
check "results.json is application/json" [ "$CODE" = 200 -a "$TYPE" = application/json ]
check "results.json is the file" grep -qF '"valid":false' "$TMP/body"
get "$URL/good/20240101T000001/history.jsonl"
check "history.jsonl is text/plain" [ "$CODE" = 200 -a "${TYPE%%;*}" = text/plain ]
get "$URL/good/20240101T000001/junit.xml"
check "junit.xml is application/xml" [ "$CODE" = 200 -a "$TYPE" = application/xml ]
get "$URL/good/latest/report.html"
check "latest (a symlink inside the store) is followed" grep -q "REPORT-MARKER 20240101T000002" "$TMP/body"
get "$URL/x%3Cb%20onmouseover%3D%22alert%281%29%22%3E%26/20240103T000000/results.json"
check "an encoded name is served" [ "$CODE" = 200 ]
get "$URL/good/20240101T000001/nodes/"
check "nodes/ is listed" [ "$CODE" = 200 ] && check "the listing links n1/ and n2/" \
    bash -c "grep -q 'href=\"./n1/\"' '$TMP/body' && grep -q 'href=\"./n2/\"' '$TMP/body'"
get "$URL/good/20240101T000001/nodes/n1/raftkv.log"
check "a node log is served as text" [ "$CODE" = 200 -a "${TYPE%%;*}" = text/plain ]
get "$URL/good/20240101T000001/nodes"
check "a folder without its slash is redirected" [ "$CODE" = 301 ]
get "$URL/good/20240101T000001/missing.json"
check "a missing file is 404" [ "$CODE" = 404 ]
get -X POST "$URL/"
check "POST is 405 (read-only)" [ "$CODE" = 405 ]

# ---- ways out of the store: 403 or 404, never the file ----
for path in /../etc/passwd /%2e%2e/etc/passwd /%2E%2E/%2E%2E/%2E%2E/etc/passwd //etc/passwd \
            /good/..%2f..%2f..%2fetc/passwd /good/%2e%2e/%2e%2e/outside/secret.txt \
            /good/20240101T000001/leak.json /good/out/secret.txt /good/out/ /.%2e/outside/secret.txt \
            /%00/etc/passwd; do
    get "$URL$path"
    if { [ "$CODE" = 403 ] || [ "$CODE" = 404 ] || [ "$CODE" = 400 ]; } &&
        ! grep -q -e 'root:' -e TOPSECRET "$TMP/body"; then
        pass "$path refused ($CODE)"
    else
        fail "$path: $CODE $(head -c 200 "$TMP/body")"
    fi
done

# ---- stop ----
kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
check "SIGTERM stops it with exit 0" [ "$rc" -eq 0 ]
check "it says it stopped" grep -q "stopped" "$TMP/serve.err"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
