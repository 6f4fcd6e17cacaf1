#!/usr/bin/env bash
# Target files that are wrong (ctest label cli; no cluster): each is refused with exit
# 65 by `faultline targets --file` and by `faultline test --target-file`, before any node
# is contacted, naming the file, the line and the field and what to write; a file that
# cannot be read is exit 3; the examples are accepted and described.
#
#   test_target_file.sh FAULTLINE EXAMPLES_DIR
source "$(dirname "$0")/../../support/cluster_lib.sh"
FL=$1 EXAMPLES=$2
DIR=$(mktemp -d /tmp/fl-test_target_file.XXXXXX)
trap 'rm -rf "$DIR"' EXIT

# A good file to start from; each case changes one thing (jq), then checks the message.
good() {
    cat <<'JSON'
{
  "name": "mine",
  "port": 7001,
  "start": "exec my-db --listen {host}:{port} --data {data}",
  "ready": {"tcp": 7001},
  "ops": ["read", "write"],
  "client": {"command": ["python3", "{file_dir}/client.py"]}
}
JSON
}
good >"$DIR/good.json"
out=$("$FL" targets --file "$DIR/good.json" 2>&1)
check "a good file is accepted and described" grep -q "start: exec my-db" <<<"$out"

refused() { # description, jq filter, expected message (extended regex)
    local what=$1 filter=$2 want=$3 f="$DIR/case.json"
    good | jq "$filter" >"$f"
    local out rc
    out=$("$FL" targets --file "$f" 2>&1); rc=$?
    if [ "$rc" = 65 ] && grep -Eq "$want" <<<"$out"; then ok "$what"
    else bad "$what (exit $rc: $out)"; fi
    # the same from faultline test, which never reaches a node (no nodes file exists)
    out=$("$FL" test --target-file "$f" --nodes-file "$DIR/none.json" 2>&1); rc=$?
    [ "$rc" = 65 ] && grep -Eq "$want" <<<"$out" || bad "$what: faultline test said (exit $rc) $out"
}
refused "an unknown field, with its line" '. + {"strat": "x"}' 'case\.json:[0-9]+: field "strat": not a field of a target file \(known: name'
refused "an unknown placeholder in start" '.start = "exec my-db {nodename}"' 'case\.json:4: field "start": unknown placeholder \{nodename\} \(known here: \{node\}'
refused "a missing start" 'del(.start)' 'field "start": missing'
refused "a bad port" '.port = 70000' 'case\.json:3: field "port": a port from 1 to 65535'
refused "two ready checks" '.ready = {"tcp": 1, "command": "true"}' 'field "ready": exactly one of'
refused "a client that is not a command list" '.client = {"command": "python3 c.py"}' 'field "client": \{"command": \["program"'
refused "an unknown workload" '.workloads = ["registers"]' 'field "workloads": registers is not a workload'
refused "a built-in target's name" '.name = "quorumkv"' 'field "name": quorumkv is a built-in'
refused "an upload of a file that is not there" '.install = {"upload": [{"from": "nope.bin", "to": "{workdir}/bin/x"}]}' 'upload\[0\]\.from: .*/nope\.bin: No such file'
refused "a placeholder the controller side has not" '.client.command = ["{host}"]' 'command\[0\]: unknown placeholder \{host\}'
refused "a bug without flags" '.bugs = {"lost-ack": {"help": "x"}}' 'field "bugs": lost-ack: \{"help"'
refused "a bug's needs_nemesis without needs" '.bugs = {"slow": {"help": "x", "flags": "--slow", "needs_nemesis": "netem:delay:all"}}' 'field "bugs": slow: needs_nemesis: that fault as a --nemesis spec, with "needs"'
refused "a bug's needs_seconds that is no number" '.bugs = {"slow": {"help": "x", "flags": "--slow", "needs": "delay", "needs_nemesis": "netem:delay:all", "needs_seconds": "3m"}}' 'field "bugs": slow: needs_seconds: how long'
refused "a bug with an unknown field" '.bugs = {"slow": {"help": "x", "flags": "--slow", "need": "delay"}}' 'field "bugs": slow: \{"help".*optional "needs"'
good | jq '.bugs = {"slow": {"help": "acks early", "flags": "--slow", "needs": "packets delayed",
    "needs_nemesis": "netem:delay:all", "needs_seconds": 120}}' >"$DIR/needs.json"
out=$("$FL" targets --file "$DIR/needs.json" 2>&1)
check "a bug's needs: accepted and described" bash -c 'grep -q "needs: packets delayed" <<<"$0" &&
    grep -q "with --nemesis netem:delay:all for 120 s at least" <<<"$0"' "$out"
refused "an unknown default" '.defaults = {"nemeses": "kill"}' 'field "defaults": unknown key "nemeses"'
printf '{"name": "x",\n  "port": 1,,\n}\n' >"$DIR/syntax.json"
out=$("$FL" targets --file "$DIR/syntax.json" 2>&1); rc=$?
check "JSON that does not parse: exit 65 with its line" bash -c "[ $rc = 65 ] && grep -q 'syntax.json:2:' <<<'$out'"
out=$("$FL" targets --file "$DIR/absent.json" 2>&1); rc=$?
check "a file that cannot be read: exit 3" bash -c "[ $rc = 3 ] && grep -q 'absent.json: No such file' <<<'$out'"
for f in "$EXAMPLES"/*/*.json; do
    check "the example $(basename "$f") is accepted" bash -c "'$FL' targets --file '$f' >/dev/null"
done
echo "$pass passed, $fail failed"
test "$fail" -eq 0
