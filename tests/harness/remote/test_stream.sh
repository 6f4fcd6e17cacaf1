#!/usr/bin/env bash
# Stream channels (fl_ssh_stream_*) on a real local cluster: brings one up in a temporary
# folder, runs the test program on it, and takes the cluster down on any exit.
#
# usage: test_stream.sh FAULTLINE TEST_STREAM_BINARY
set -u
FL=$1
TEST=$2
source "$(dirname "$0")/../../support/cluster_lib.sh"
scratch_cluster
"$TEST" "$NODES"
