/* quorumkv's adapter (DESIGN.md "Targets"): fl-quorumkv on every node, every node a
 * replica and a coordinator, clients spread over the nodes. The server is
 * targets/quorumkv/server; this is the controller's side of it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "target.h"

#define QKV_PORT 7001

static const char *const qkv_ops[] = {"read", "write", NULL};

static const fl_target_bug qkv_bugs[] = {
    {"stale-quorum", "W=1, R=1, each phase sent to replicas picked at random (R+W <= N, "
                     "as Dynamo-style stores do): reads miss acknowledged writes", NULL, NULL, 0},
    {"no-write-back", "reads skip ABD's write-back phase: a read can see a new value and a "
                      "later read the old one",
                      /* Each node sends a peer all its requests on one TCP connection and
                         its replies on the peer's: with every packet delayed alike a reply
                         cannot overtake the put it follows, so the window is a few ms.
                         Reordered packets can: netem sends some at once past the delay,
                         so a read sees a put that has reached one replica, and a later
                         read, while the put is still held back, misses it. On every node:
                         a node with clean links completes its writes at once, and a newer
                         write hides the held-back put before a second read can miss it.
                         Whole connections delayed (slow-flows) do not do: a write's get
                         and put ride one connection, so a slow put had a slow get, and by
                         then newer writes had passed its version. And TCP holds most of
                         the packets netem sends at once behind a delayed one of their
                         connection: under one anomaly a minute on the VM cluster, so the
                         row runs three minutes (DESIGN.md "Target defaults"). */
                      "packets reordered on every node (netem delay with some packets sent "
                      "at once, so a reply overtakes the put its node sent before it)",
                      "netem:reorder:all", 180},
    {"wall-clock-lww", "write versions from the coordinator's wall clock, last write wins: "
                       "clock skew silently drops acknowledged writes", NULL, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
};

static const fl_target_option qkv_options[] = {
    {"w", NULL, "replicas a write waits for (default: a majority; 1 with stale-quorum)"},
    {"r", NULL, "replicas a read waits for (default: a majority; 1 with stale-quorum)"},
    {"timeout_ms", "1000", "how long a coordinator waits for one phase's quorum"},
    {NULL, NULL, NULL},
};

/* Its own flags: quorums and the phase timeout. */
static void qkv_flags(fl_target_ctx *t, char *a, size_t cap) {
    const char *w = fl_target_option_get(t, "w"), *r = fl_target_option_get(t, "r");
    int at = 0;
    if (w[0]) at += snprintf(a + at, cap - (size_t)at, " --w %d", atoi(w));
    if (r[0]) at += snprintf(a + at, cap - (size_t)at, " --r %d", atoi(r));
    snprintf(a + at, cap - (size_t)at, " --timeout-ms %d",
             atoi(fl_target_option_get(t, "timeout_ms")));
}

static const fl_daemon qkv = {.name = "quorumkv", .binary = "fl-quorumkv", .port = QKV_PORT,
                              .flags = qkv_flags};
FL_DAEMON_HOOKS(qkv, qkv)

/* Every replica is alike and any coordinates: what breaks such a store is a quorum cut
 * in two (partitions of every shape) and coordinators whose clocks disagree (bumps that
 * stay, strobes that flip), with crashes in between; two faults at once so that a
 * partition and a skew overlap. */
static const fl_target_defaults qkv_defaults = {
    .workload = "register",
    .nemesis = "partition,clock:bump,clock:strobe,kill",
    .nemesis_interval_s = 5,
    .at_once = 2,
    .concurrency = 10,
    .op_timeout_s = 5,
    .why = "a leaderless quorum store: partitions of every shape split the replicas, and "
           "clocks that jump or flip make coordinators disagree (two faults at once)",
};

const fl_target fl_target_quorumkv = {
    .name = "quorumkv",
    .summary = "replicated register store; correct mode is multi-writer ABD (linearizable)",
    .ops = qkv_ops,
    .bugs = qkv_bugs,
    .options = qkv_options,
    .pidfile = "{workdir}/quorumkv/quorumkv.pid",
    .defaults = &qkv_defaults,
    FL_DAEMON_TARGET(qkv),
    .teardown = NULL,
    .primaries = NULL,
};
