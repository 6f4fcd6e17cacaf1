#!/usr/bin/env bash
# End-to-end tests of `faultline check` and `faultline convert`: exit codes, error
# messages that name file:line:column, truncated last lines, --out / --json results,
# histories with no client ops (valid for every checker), and an EDN -> JSONL -> EDN
# round trip that keeps the verdict; `faultline --version` and the version and commit in
# results.json (check, report).
#
# usage: test_check_cli.sh FAULTLINE_BINARY CORPUS_DIR
#   CORPUS_DIR is tests/corpus/porcupine (etcd/etcd_NNN.edn, kv/cNN-{ok,bad}.jsonl).
# Needs only bash and coreutils/grep (no jq, no python).
set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 FAULTLINE_BINARY CORPUS_DIR" >&2
    exit 64
fi
FL=$1
CORPUS=$2
if [ ! -x "$FL" ]; then
    echo "$0: $FL is not an executable" >&2
    exit 64
fi
for f in etcd/etcd_000.edn etcd/etcd_002.edn etcd/etcd_005.edn kv/c01-ok.jsonl kv/c01-bad.jsonl; do
    if [ ! -f "$CORPUS/$f" ]; then
        echo "$0: $CORPUS/$f is missing" >&2
        exit 64
    fi
done
VALID=$CORPUS/etcd/etcd_002.edn    # linearizable
VALID2=$CORPUS/etcd/etcd_005.edn   # linearizable
INVALID=$CORPUS/etcd/etcd_000.edn  # not linearizable

TMP=$(mktemp -d "${TMPDIR:-/tmp}/test_check_cli.XXXXXX") || exit 3
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
rc=0

pass() {
    passed=$((passed + 1))
    echo "ok   - $1"
}

fail() {
    failed=$((failed + 1))
    echo "FAIL - $1"
    shift
    local line
    for line in "$@"; do echo "       $line"; done
    echo "       stdout: $(head -c 600 "$TMP/out" 2>/dev/null | tr '\n' '|')"
    echo "       stderr: $(head -c 600 "$TMP/err" 2>/dev/null | tr '\n' '|')"
}

# Run a command, keeping its exit code in $rc and its output in $TMP/out, $TMP/err.
run() {
    "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
}

# expect_rc NAME CODE CMD...: run CMD, pass if it exits with CODE.
expect_rc() {
    local name=$1 want=$2
    shift 2
    run "$@"
    if [ "$rc" -eq "$want" ]; then pass "$name"; else fail "$name" "exit $rc, expected $want"; fi
}

# expect_out NAME out|err EXTENDED_REGEX: the last run's stdout/stderr matches.
expect_out() {
    local name=$1 stream=$2 pattern=$3
    if grep -Eq -- "$pattern" "$TMP/$stream"; then
        pass "$name"
    else
        fail "$name" "std$stream does not match /$pattern/"
    fi
}

# expect_no_out NAME out|err EXTENDED_REGEX: the last run's stdout/stderr does not match.
expect_no_out() {
    local name=$1 stream=$2 pattern=$3
    if grep -Eq -- "$pattern" "$TMP/$stream"; then
        fail "$name" "std$stream matches /$pattern/"
    else
        pass "$name"
    fi
}

# JSON with all whitespace removed, for grepping structure without jq.
flat() { tr -d ' \t\r\n' <"$1"; }

# ------------------------------------------------------------------------------------
# Verdicts and exit codes on the reference corpus

expect_rc "valid etcd history exits 0" 0 "$FL" check --model cas-register "$VALID"
expect_out "valid etcd history reported valid" out ': valid \(cas-register'
expect_rc "invalid etcd history exits 1" 1 "$FL" check --model cas-register "$INVALID"
expect_out "invalid etcd history reported INVALID" out ': INVALID \(cas-register'
expect_out "invalid etcd history names the failing op and window" out 'cannot take effect.*window: [0-9]+ ops'

expect_rc "--certify, valid: exits 0" 0 "$FL" check --certify --model cas-register "$VALID"
expect_out "--certify, valid: certified" out ' certified$'
expect_rc "--certify, invalid: exits 1" 1 "$FL" check --certify --model cas-register "$INVALID"
expect_out "--certify, invalid: certified" out ' certified$'

expect_rc "model inferred for etcd (cas ops) exits 1" 1 "$FL" check "$INVALID"
expect_out "model inferred for etcd is cas-register" out '\(cas-register;'

expect_rc "kv corpus, ok history exits 0" 0 "$FL" check --model kv "$CORPUS/kv/c01-ok.jsonl"
expect_rc "kv corpus, bad history exits 1" 1 "$FL" check --model kv "$CORPUS/kv/c01-bad.jsonl"
expect_rc "kv corpus, bad history with --all-keys exits 1" 1 \
    "$FL" check --all-keys --model kv "$CORPUS/kv/c01-bad.jsonl"
expect_no_out "--all-keys leaves no key unchecked" out 'not checked'

# Several files combine: anomaly beats valid, in either order.
expect_rc "valid + invalid exits 1" 1 "$FL" check --model cas-register "$VALID" "$INVALID"
expect_rc "invalid + valid exits 1" 1 "$FL" check --model cas-register "$INVALID" "$VALID"
expect_out "both files are reported" out 'etcd_000\.edn: INVALID'
expect_rc "valid + valid exits 0" 0 "$FL" check --model cas-register "$VALID" "$VALID2"

# ------------------------------------------------------------------------------------
# Hand-made JSON Lines histories

cat >"$TMP/good.jsonl" <<'EOF'
{"process":0,"type":"invoke","f":"write","value":1}
{"process":0,"type":"ok","f":"write","value":1}
{"process":1,"type":"invoke","f":"read","value":null}
{"process":1,"type":"ok","f":"read","value":1}
EOF
cat >"$TMP/stale.jsonl" <<'EOF'
{"process":0,"type":"invoke","f":"write","value":1}
{"process":0,"type":"ok","f":"write","value":1}
{"process":0,"type":"invoke","f":"write","value":2}
{"process":0,"type":"ok","f":"write","value":2}
{"process":1,"type":"invoke","f":"read","value":null}
{"process":1,"type":"ok","f":"read","value":1}
EOF
expect_rc "hand-made valid register history exits 0" 0 "$FL" check --model register "$TMP/good.jsonl"
expect_rc "hand-made stale read exits 1" 1 "$FL" check --model register "$TMP/stale.jsonl"
expect_out "stale read: the read (op 4) is blamed" out 'op 4 \(read\) cannot take effect'

# Malformed JSON on line 3: 65, and the message names file:line:column.
cat >"$TMP/bad.jsonl" <<'EOF'
{"process":0,"type":"invoke","f":"write","value":1}
{"process":0,"type":"ok","f":"write","value":1}
{"process":1,"type":"invoke","f":"read",,"value":null}
{"process":1,"type":"ok","f":"read","value":1}
EOF
expect_rc "malformed JSONL exits 65" 65 "$FL" check --model register "$TMP/bad.jsonl"
expect_out "malformed JSONL: stderr names file:line:column" err 'bad\.jsonl:3:[0-9]+: '
expect_rc "malformed + valid file still exits 65" 65 \
    "$FL" check --model register "$TMP/good.jsonl" "$TMP/bad.jsonl"
expect_out "malformed + valid: the valid file is still checked" out 'good\.jsonl: valid'

# An op that is JSON but not an op (no "type"): 65 with file:line:column.
cat >"$TMP/notype.jsonl" <<'EOF'
{"process":0,"type":"invoke","f":"write","value":1}
{"process":0,"f":"write","value":1}
EOF
expect_rc "op without type exits 65" 65 "$FL" check --model register "$TMP/notype.jsonl"
expect_out "op without type: stderr names file:line:column" err 'notype\.jsonl:2:[0-9]+: .*type'

# An op the model does not take: 65, naming the line.
cat >"$TMP/cas.jsonl" <<'EOF'
{"process":0,"type":"invoke","f":"write","value":1}
{"process":0,"type":"ok","f":"write","value":1}
{"process":0,"type":"invoke","f":"cas","value":[1,2]}
{"process":0,"type":"ok","f":"cas","value":[1,2]}
EOF
expect_rc "op that does not fit --model register exits 65" 65 "$FL" check --model register "$TMP/cas.jsonl"
expect_out "op that does not fit: stderr names file:line" err 'cas\.jsonl:3(:[0-9]+)?: .*register'
expect_rc "same history with --model cas-register exits 0" 0 \
    "$FL" check --model cas-register "$TMP/cas.jsonl"

# No client ops (issue 13): an empty file, or only nemesis events (as Knossos's
# cas-register/good/mongodb-v0-ack-rollback-.edn), is the empty history, which is
# linearizable (Knossos and Porcupine agree) and valid for every checker, with or
# without --model: nothing to infer a model from, and none needed.
: >"$TMP/empty"
: >"$TMP/empty.jsonl"
printf ' \n\n' >"$TMP/blank.edn"
cat >"$TMP/nemesis.edn" <<'EOF'
{:type :info, :f :start, :process :nemesis, :time 1}
{:type :info, :f :start, :process :nemesis, :value "partitioned", :time 2}
{:type :info, :f :stop, :process :nemesis, :value "fully connected", :time 3}
EOF
# Knossos's shape: one vector of op maps, no :time.
cat >"$TMP/knossos.edn" <<'EOF'
[{:process :nemesis, :type :info, :f :isolate, :value nil}
 {:process :nemesis, :type :info, :f :kill, :value nil}
 {:process :nemesis, :type :info, :f :recover, :value nil}]
EOF
cat >"$TMP/nemesis.jsonl" <<'EOF'
{"index":0,"time":1,"process":"nemesis","type":"info","f":"partition-start","value":{"kind":"partition"}}
{"index":1,"time":2,"process":"nemesis","type":"info","f":"heal"}
EOF
for f in empty empty.jsonl blank.edn nemesis.edn knossos.edn nemesis.jsonl; do
    expect_rc "$f: --model cas-register exits 0" 0 "$FL" check --model cas-register "$TMP/$f"
    expect_out "$f: --model cas-register: valid, no client ops" out \
        "^$TMP/$f: valid: no client ops \\(cas-register; 0 ops, 0 keys"
    expect_rc "$f: no --model exits 0" 0 "$FL" check "$TMP/$f"
    expect_out "$f: no --model: valid, no client ops" out "^$TMP/$f: valid: no client ops \\("
done
expect_rc "nemesis-only: --certify exits 0" 0 "$FL" check --certify "$TMP/nemesis.edn"
expect_rc "nemesis-only: --json exits 0" 0 "$FL" check --model cas-register --json "$TMP/nemesis.edn"
if [ "$(flat "$TMP/out" | grep -o '"note":"noclientops"' | wc -l)" -eq 2 ] &&
    flat "$TMP/out" | grep -q '^{"valid":true,'; then
    pass "nemesis-only: results.json is valid with the note, top level and checker"
else
    fail "nemesis-only: results.json is valid with the note, top level and checker"
fi
expect_rc "nemesis-only: --out exits 0" 0 "$FL" check --out "$TMP/empty-results.json" "$TMP/nemesis.jsonl"
if flat "$TMP/empty-results.json" | grep -q '"model":null' &&
    flat "$TMP/empty-results.json" | grep -q '"note":"noclientops"'; then
    pass "nemesis-only without --model: results.json names no model and has the note"
else
    fail "nemesis-only without --model: results.json names no model and has the note"
fi
for c in session set set-full counter perf; do
    expect_rc "nemesis-only: --checker $c exits 0" 0 "$FL" check --checker "$c" "$TMP/nemesis.jsonl"
    expect_out "nemesis-only: --checker $c: valid, no client ops" out \
        ": $c: valid: no client ops$"
done
for w in register set list-append; do
    expect_rc "nemesis-only: --workload $w exits 0" 0 "$FL" check --workload "$w" "$TMP/nemesis.edn"
    expect_no_out "nemesis-only: --workload $w: nothing unknown" out ': unknown'
done
# Client ops that never succeeded are data, not an empty history: set stays unknown.
cat >"$TMP/add-failed.jsonl" <<'EOF'
{"process":0,"type":"invoke","f":"add","value":1}
{"process":0,"type":"fail","f":"add","value":1}
EOF
expect_rc "a failed add and no read: --checker set exits 2" 2 \
    "$FL" check --checker set "$TMP/add-failed.jsonl"
expect_out "a failed add and no read: set says there is no final read" out 'set: unknown: no final read'
printf 'not a history\n' >"$TMP/prose"
expect_rc "a file that is not a history still exits 65" 65 "$FL" check "$TMP/prose"

expect_rc "missing history file is an error" 3 "$FL" check --model register "$TMP/no-such-file.jsonl"
expect_out "missing history file: stderr names it" err 'no-such-file\.jsonl'

# A truncated last line (a crashed writer: no newline at the end).
{
    cat "$TMP/good.jsonl"
    printf '{"process":2,"type":"invoke","f":"read","va'
} >"$TMP/trunc_ok.jsonl"
{
    printf '%s\n' '{"process":0,"type":"invoke","f":"write","value":1}' \
        '{"process":0,"type":"ok","f":"write","value":1}' \
        '{"process":1,"type":"invoke","f":"read","value":null}' \
        '{"process":1,"type":"ok","f":"read","value":null}'
    printf '{"process":1,"type":"invoke","f":"rea'
} >"$TMP/trunc_bad.jsonl"
expect_rc "truncated last line exits 65" 65 "$FL" check --model register "$TMP/trunc_ok.jsonl"
expect_out "truncated last line: stderr names the line and the flag" err \
    'trunc_ok\.jsonl:5(:[0-9]+)?: .*truncated.*--allow-truncated'
expect_rc "--allow-truncated: the rest (valid) exits 0" 0 \
    "$FL" check --allow-truncated --model register "$TMP/trunc_ok.jsonl"
expect_out "--allow-truncated: a warning is printed" out 'warning: .*trunc_ok\.jsonl:5.*truncated'
expect_out "--allow-truncated: the ops before the cut are checked" out '\(register; 2 ops'
expect_rc "--allow-truncated: the rest (invalid) exits 1" 1 \
    "$FL" check --allow-truncated --model register "$TMP/trunc_bad.jsonl"
expect_out "--allow-truncated, invalid: a warning is printed" out 'warning: .*truncated'
expect_rc "--allow-truncated --json exits 0" 0 \
    "$FL" check --allow-truncated --json --model register "$TMP/trunc_ok.jsonl"
if flat "$TMP/out" | grep -q '"warning":"[^"]*truncated'; then
    pass "--allow-truncated --json: the JSON carries the warning"
else
    fail "--allow-truncated --json: the JSON carries the warning"
fi
# A malformed line that is not the last one is never excused.
{
    cat "$TMP/bad.jsonl"
    printf '{"process":2,"type":"invoke"'
} >"$TMP/bad_and_trunc.jsonl"
expect_rc "--allow-truncated does not excuse a bad middle line" 65 \
    "$FL" check --allow-truncated --model register "$TMP/bad_and_trunc.jsonl"

# ------------------------------------------------------------------------------------
# Usage errors

expect_rc "unknown model exits 64" 64 "$FL" check --model no-such-model "$VALID"
expect_out "unknown model: stderr names it and the models" err "no-such-model.*cas-register"
expect_rc "check without files exits 64" 64 "$FL" check
expect_rc "check --model without files exits 64" 64 "$FL" check --model register
expect_rc "no command exits 64" 64 "$FL"
expect_rc "unknown command exits 64" 64 "$FL" no-such-command
expect_rc "unknown option exits 64" 64 "$FL" check --no-such-option "$VALID"
expect_rc "bad --threads exits 64" 64 "$FL" check --threads 0 "$VALID"
expect_rc "bad --check-time-limit exits 64" 64 "$FL" check --check-time-limit soon "$VALID"
expect_rc "check --help exits 0" 0 "$FL" check --help
expect_out "check --help describes --allow-truncated" out '--allow-truncated'

# A history no model fits (and no --model): 64.
cat >"$TMP/nomodel.jsonl" <<'EOF'
{"process":0,"type":"invoke","f":"frobnicate","value":1}
{"process":0,"type":"ok","f":"frobnicate","value":1}
EOF
expect_rc "no model fits the ops exits 64" 64 "$FL" check "$TMP/nomodel.jsonl"

# ------------------------------------------------------------------------------------
# --out and --json

rm -f "$TMP/results.json"
expect_rc "--out, invalid: exits 1" 1 "$FL" check --model cas-register --out "$TMP/results.json" "$INVALID"
if [ -s "$TMP/results.json" ]; then
    pass "--out writes the file"
else
    fail "--out writes the file"
fi
if flat "$TMP/results.json" 2>/dev/null | grep -q '^{"valid":false,'; then
    pass "--out: top-level \"valid\" is false"
else
    fail "--out: top-level \"valid\" is false" "$(head -c 300 "$TMP/results.json" 2>/dev/null)"
fi
if flat "$TMP/results.json" 2>/dev/null | grep -q '"checkers":{"linearizable":{"valid":false,'; then
    pass "--out: \"checkers\".\"linearizable\" holds the checker's result"
else
    fail "--out: \"checkers\".\"linearizable\" holds the checker's result"
fi
if flat "$TMP/results.json" 2>/dev/null | grep -q '"failing_op":{'; then
    pass "--out: the invalid key explains its failing op"
else
    fail "--out: the invalid key explains its failing op"
fi

rm -f "$TMP/results.json"
expect_rc "--out, valid: exits 0" 0 "$FL" check --model cas-register --out "$TMP/results.json" "$VALID"
if flat "$TMP/results.json" 2>/dev/null | grep -q '^{"valid":true,"checkers":{"linearizable":{"valid":true,'; then
    pass "--out, valid: \"valid\" true and \"checkers\".\"linearizable\""
else
    fail "--out, valid: \"valid\" true and \"checkers\".\"linearizable\""
fi
if flat "$TMP/results.json" 2>/dev/null | grep -q '"linearization":\[[0-9]'; then
    pass "--out, valid: the key carries its linearization"
else
    fail "--out, valid: the key carries its linearization"
fi
expect_out "--out without --json still prints the summary" out ': valid \(cas-register'

rm -f "$TMP/results.json"
expect_rc "--out, two files: exits 1" 1 \
    "$FL" check --model cas-register --out "$TMP/results.json" "$VALID" "$INVALID"
if flat "$TMP/results.json" 2>/dev/null | grep -q '^{"valid":false,"histories":{'; then
    pass "--out, two files: \"valid\" false over \"histories\""
else
    fail "--out, two files: \"valid\" false over \"histories\""
fi

expect_rc "--out to an unwritable path exits 3" 3 \
    "$FL" check --model cas-register --out "$TMP/no-such-dir/results.json" "$VALID"

expect_rc "--json, invalid: exits 1" 1 "$FL" check --json --model cas-register "$INVALID"
if head -c 1 "$TMP/out" | grep -q '{' && tail -n 1 "$TMP/out" | grep -q '^}$'; then
    pass "--json prints one JSON object"
else
    fail "--json prints one JSON object"
fi
if flat "$TMP/out" | grep -q '^{"valid":false,"checkers":{"linearizable":{'; then
    pass "--json: \"valid\" and \"checkers\".\"linearizable\""
else
    fail "--json: \"valid\" and \"checkers\".\"linearizable\""
fi
expect_no_out "--json prints no text summary" out 'INVALID \(cas-register'
expect_rc "--json, valid: exits 0" 0 "$FL" check --json --model cas-register "$VALID"
if flat "$TMP/out" | grep -q '^{"valid":true,'; then
    pass "--json, valid: \"valid\" is true"
else
    fail "--json, valid: \"valid\" is true"
fi
expect_rc "--json --brief: exits 0" 0 "$FL" check --json --brief --model cas-register "$VALID"
expect_no_out "--json --brief leaves the linearization out" out '"linearization"'

# ------------------------------------------------------------------------------------
# An undecided search: exit 2, and it combines under an anomaly.

# 300 rounds of 4 overlapping writes, then a read of the second one's value: valid,
# 3000 ops, far more search steps than a 1 ns budget allows.
{
    for ((g = 0; g < 300; g++)); do
        for ((i = 0; i < 4; i++)); do
            printf '{"process":%d,"type":"invoke","f":"write","value":%d}\n' $i $((g * 4 + i))
        done
        for ((i = 3; i >= 0; i--)); do
            printf '{"process":%d,"type":"ok","f":"write","value":%d}\n' $i $((g * 4 + i))
        done
        printf '{"process":4,"type":"invoke","f":"read"}\n'
        printf '{"process":4,"type":"ok","f":"read","value":%d}\n' $((g * 4 + 1))
    done
} >"$TMP/big.jsonl"
expect_rc "big history without a limit exits 0" 0 "$FL" check --model register "$TMP/big.jsonl"
expect_rc "big history with --check-time-limit 1e-9 exits 2" 2 \
    "$FL" check --model register --check-time-limit 1e-9 "$TMP/big.jsonl"
expect_out "time limit: reported unknown" out 'big\.jsonl: unknown \(register'
expect_out "time limit: the key names the reason" out 'key null: unknown: .*time limit'
expect_rc "big history with --check-memory-limit 0.000001 exits 2" 2 \
    "$FL" check --model register --check-memory-limit 0.000001 "$TMP/big.jsonl"
# good.jsonl and stale.jsonl take far fewer steps than the first memory check. (Not a
# time limit: a key whose turn comes after the deadline is not started at all.)
expect_rc "valid + unknown exits 2" 2 \
    "$FL" check --model register --check-memory-limit 0.000001 "$TMP/good.jsonl" "$TMP/big.jsonl"
expect_rc "invalid + unknown exits 1" 1 \
    "$FL" check --model register --check-memory-limit 0.000001 "$TMP/big.jsonl" "$TMP/stale.jsonl"
expect_rc "a time limit already past: a tiny invalid history is unknown, not started" 2 \
    "$FL" check --model register --check-time-limit 1e-9 "$TMP/stale.jsonl"
expect_out "time limit already past: the key says why" out 'key null: unknown: check time limit reached'

# ------------------------------------------------------------------------------------
# convert: EDN -> JSONL -> EDN keeps every op and the verdict.

for name in etcd_000 etcd_002; do
    src=$CORPUS/etcd/$name.edn
    expect_rc "convert $name EDN -> JSONL exits 0" 0 "$FL" convert "$src" "$TMP/$name.jsonl"
    if head -c 2 "$TMP/$name.jsonl" 2>/dev/null | grep -q '^{"'; then
        pass "convert $name: the output is JSON Lines"
    else
        fail "convert $name: the output is JSON Lines"
    fi
    if [ "$(wc -l <"$src")" -eq "$(wc -l 2>/dev/null <"$TMP/$name.jsonl" || echo 0)" ]; then
        pass "convert $name: one JSON line per EDN op"
    else
        fail "convert $name: one JSON line per EDN op"
    fi
    expect_rc "convert $name JSONL -> EDN exits 0" 0 "$FL" convert "$TMP/$name.jsonl" "$TMP/$name.rt.edn"
    if cmp -s "$src" "$TMP/$name.rt.edn"; then
        pass "convert $name: EDN -> JSONL -> EDN gives back the same file"
    else
        fail "convert $name: EDN -> JSONL -> EDN gives back the same file" \
            "$(diff "$src" "$TMP/$name.rt.edn" 2>&1 | head -5 | tr '\n' '|')"
    fi
    run "$FL" check --model cas-register "$src"
    want=$rc
    expect_rc "convert $name: the JSONL gets the original's verdict" "$want" \
        "$FL" check --model cas-register "$TMP/$name.jsonl"
    expect_rc "convert $name: the round-tripped EDN gets the original's verdict" "$want" \
        "$FL" check --model cas-register "$TMP/$name.rt.edn"
done
run "$FL" check --model cas-register "$INVALID"
if [ "$rc" -eq 1 ]; then pass "etcd_000 is invalid (the round trip compared a real anomaly)"; else fail "etcd_000 is invalid"; fi

expect_rc "convert JSONL -> stdout exits 0" 0 "$FL" convert "$TMP/good.jsonl" -
if [ "$(wc -l <"$TMP/out")" -eq 4 ] && grep -q '"f":"write"' "$TMP/out"; then
    pass "convert to '-' writes JSON Lines to stdout"
else
    fail "convert to '-' writes JSON Lines to stdout"
fi
expect_rc "convert --to edn exits 0" 0 "$FL" convert --to edn "$TMP/good.jsonl" "$TMP/good.out"
if grep -q ':f :write' "$TMP/good.out" 2>/dev/null; then
    pass "convert --to edn writes EDN"
else
    fail "convert --to edn writes EDN" "$(head -2 "$TMP/good.out" 2>/dev/null | tr '\n' '|')"
fi
expect_rc "convert a malformed file exits 65" 65 "$FL" convert "$TMP/bad.jsonl" "$TMP/x.edn"
expect_out "convert a malformed file: stderr names file:line:column" err 'bad\.jsonl:3:[0-9]+: '
expect_rc "convert a truncated file exits 65" 65 "$FL" convert "$TMP/trunc_ok.jsonl" "$TMP/x.edn"
expect_rc "convert --allow-truncated exits 0" 0 \
    "$FL" convert --allow-truncated "$TMP/trunc_ok.jsonl" "$TMP/x.jsonl"
expect_out "convert --allow-truncated warns" err 'warning: .*truncated'
expect_rc "convert with one argument exits 64" 64 "$FL" convert "$TMP/good.jsonl"
expect_rc "convert --to bogus exits 64" 64 "$FL" convert --to bogus "$TMP/good.jsonl" "$TMP/x"

# --checker, --workload and run directories (issue 7).
cat >"$TMP/ryw.jsonl" <<'H'
{"index":0,"time":1,"process":0,"type":"invoke","f":"append","key":"k","value":1}
{"index":1,"time":2,"process":0,"type":"ok","f":"append","key":"k","value":1}
{"index":2,"time":3,"process":0,"type":"invoke","f":"read","key":"k","value":null}
{"index":3,"time":4,"process":0,"type":"ok","f":"read","key":"k","value":[]}
H
expect_rc "--checker list exits 0" 0 "$FL" check --checker list x
expect_out "--checker list names session" out '^  session '
expect_rc "--checker bogus exits 64" 64 "$FL" check --checker bogus "$TMP/ryw.jsonl"
expect_rc "session: own append missing exits 1" 1 "$FL" check --checker session "$TMP/ryw.jsonl"
expect_out "session: says which guarantee" out 'session: INVALID: .*'
expect_rc "session --guarantees mr: nothing broken exits 0" 0 \
    "$FL" check --checker session --guarantees mr "$TMP/ryw.jsonl"
expect_rc "--guarantees bogus exits 64" 64 "$FL" check --checker session --guarantees xyz "$TMP/ryw.jsonl"
expect_rc "--workload list-append: linearizable and session, exits 1" 1 \
    "$FL" check --workload list-append --json "$TMP/ryw.jsonl"
expect_out "--workload list-append: both verdicts" out '"session"'
mkdir -p "$TMP/run/nodes/n1"
cp "$TMP/ryw.jsonl" "$TMP/run/history.jsonl"
echo "all good" >"$TMP/run/nodes/n1/daemon.log"
expect_rc "log-pattern on a clean run dir exits 0" 0 "$FL" check --checker log-pattern "$TMP/run"
echo "panic: index out of range" >>"$TMP/run/nodes/n1/daemon.log"
expect_rc "log-pattern on a run dir with a panic exits 1" 1 "$FL" check --checker log-pattern "$TMP/run"
expect_out "log-pattern names the node's file" out 'log-pattern: INVALID'
expect_rc "log-pattern with a bad regex exits 64" 64 \
    "$FL" check --checker log-pattern --log-pattern 'bad=(' "$TMP/run"
expect_rc "a checker that refuses the ops keeps the others: counter + session, exits 1" 1 \
    "$FL" check --checker counter,session "$TMP/ryw.jsonl"
expect_out "the refusing checker is reported" err 'counter: '

# ------------------------------------------------------------------------------------
# What produced the verdicts (issue 14): `faultline --version`, and the same version and
# commit under "faultline" at the top of every results.json (check --out and --json,
# report --model) and in the report's data.

expect_rc "--version exits 0" 0 "$FL" --version
expect_out "--version prints faultline VERSION (commit C)" out \
    '^faultline [0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9A-Za-z._+/-]+\)$'
line=$(cat "$TMP/out")
version=$(sed -n 's/^faultline \([^ ]*\) (commit .*/\1/p' "$TMP/out")
commit=$(sed -n 's/^faultline [^ ]* (commit \(.*\))$/\1/p' "$TMP/out")
expect_rc "version exits 0" 0 "$FL" version
if [ "$(cat "$TMP/out")" = "$line" ]; then
    pass "version prints what --version prints"
else
    fail "version prints what --version prints" "--version said: $line"
fi
expect_rc "version with an argument exits 64" 64 "$FL" version extra
expect_rc "--help exits 0" 0 "$FL" --help
expect_out "--help names --version and the version" out "'faultline --version'"
expect_out "--help lists the version command" out '^  version '
stamp="\"faultline\":{\"version\":\"$version\",\"commit\":\"$commit\"}"
rm -f "$TMP/results.json"
expect_rc "--out, one history: exits 0" 0 "$FL" check --model cas-register --out "$TMP/results.json" "$VALID"
if flat "$TMP/results.json" 2>/dev/null | grep -qF ",$stamp}"; then
    pass "--out: results.json ends with the version and commit"
else
    fail "--out: results.json ends with the version and commit" "want $stamp"
fi
expect_rc "--json, two histories: exits 1" 1 "$FL" check --json --model cas-register "$VALID" "$INVALID"
if [ "$(flat "$TMP/out" | grep -oF "$stamp" | wc -l)" -eq 1 ] && flat "$TMP/out" | grep -qF ",$stamp}"; then
    pass "--json, two histories: the version once, at the top"
else
    fail "--json, two histories: the version once, at the top" "want $stamp"
fi
mkdir -p "$TMP/bare"
cp "$TMP/good.jsonl" "$TMP/bare/history.jsonl"
expect_rc "report --model on a bare history exits 0" 0 "$FL" report --model register "$TMP/bare"
if flat "$TMP/bare/results.json" 2>/dev/null | grep -qF ",$stamp}"; then
    pass "report --model: its results.json ends with the version and commit"
else
    fail "report --model: its results.json ends with the version and commit" "want $stamp"
fi
if grep -qF "\"results\":{\"version\":\"$version\",\"commit\":\"$commit\"},\"report\":{\"version\":\"$version\",\"commit\":\"$commit\"}" \
    "$TMP/bare/report.html"; then
    pass "report --model: the page's data names the faultline that checked and drew it"
else
    fail "report --model: the page's data names the faultline that checked and drew it"
fi

# The txn checker: chosen by itself for a history of transactions; the model decides the
# verdict; --certify; bad models and malformed transactions refused with clear errors.
ELLE=$CORPUS/../elle
expect_rc "check a G0 history (no --checker: txn, by its ops) exits 1" 1 "$FL" check "$ELLE/la-e-g0.edn"
expect_out "  names the txn checker and G0 in words" out "txn: INVALID: .*a cycle of 2 transactions with only write dependencies \\(ww\\): G0"
expect_rc "the paper example is invalid at strict-serializable" 1 "$FL" check --certify "$ELLE/la-c-paper-example.edn"
expect_rc "and valid at read-committed (G-single is allowed there)" 0 \
    "$FL" check --checker txn --consistency-model read-committed "$ELLE/la-c-paper-example.edn"
expect_rc "--workload txn-list-append on a valid history exits 0" 0 \
    "$FL" check --workload txn-list-append "$ELLE/la-t-valid-multiple-appends.edn"
expect_rc "--workload txn-rw-register on a list-append history is refused (65)" 65 \
    "$FL" check --workload txn-rw-register "$ELLE/la-e-g0.edn"
expect_out "  saying which micro-ops do not fit" err "holds append micro-ops or list reads"
expect_rc "an unknown consistency model is a usage error (64)" 64 \
    "$FL" check --checker txn --consistency-model serialisable "$ELLE/la-e-g0.edn"
expect_out "  listing the models" err "unknown consistency model 'serialisable'; models:.* snapshot-isolation"
printf '%s\n' '{"index":0,"process":0,"type":"invoke","f":"txn","value":[["append","x","one"]]}' \
    '{"index":1,"process":0,"type":"ok","f":"txn","value":[["append","x","one"]]}' >"$TMP/txn-bad.jsonl"
expect_rc "a non-integer appended value is refused (65)" 65 "$FL" check --checker txn "$TMP/txn-bad.jsonl"
expect_out "  naming the line and the micro-op" err "txn-bad.jsonl:2: op 1: appended and written values must be integers: \\[\"append\",\"x\",\"one\"\\]"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
