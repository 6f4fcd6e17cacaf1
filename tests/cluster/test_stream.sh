#!/usr/bin/env bash
# Stream channels (fl_ssh_stream_*) on a real local cluster: brings one up in a temporary
# folder, runs the test program on it, and takes the cluster down on any exit.
#
# usage: test_stream.sh FAULTLINE TEST_STREAM_BINARY
set -u
FL=$1
TEST=$2
DIR=$(mktemp -d /tmp/fl-stream-test.XXXXXX)
cleanup() {
    "$FL" cluster down --dir "$DIR/cluster" >/dev/null 2>&1
    rm -rf "$DIR"
}
trap cleanup EXIT
"$FL" cluster up --dir "$DIR/cluster" || exit 1
"$TEST" "$DIR/cluster/nodes.json"
