/* quorumkv's adapter (DESIGN.md "Targets"): fl-quorumkv on every node, every node a
 * replica and a coordinator, clients spread over the nodes. The server is
 * targets/quorumkv/server; this is the controller's side of it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "target.h"

#define QKV_PORT 7001

static const fl_daemon qkv = {"quorumkv", "fl-quorumkv", QKV_PORT};

static const char *const qkv_ops[] = {"read", "write", NULL};

static const fl_target_bug qkv_bugs[] = {
    {"stale-quorum", "W=1, R=1, each phase sent to replicas picked at random (R+W <= N, "
                     "as Dynamo-style stores do): reads miss acknowledged writes", NULL},
    {"no-write-back", "reads skip ABD's write-back phase: a read can see a new value and a "
                      "later read the old one",
                      /* with no delay, a read's two phases finish before any other op can
                         fall between them */
                      "netem delay (messages held 50-250 ms, so a second read overtakes a "
                      "first one's missing write-back)"},
    {"wall-clock-lww", "write versions from the coordinator's wall clock, last write wins: "
                       "clock skew silently drops acknowledged writes", NULL},
    {NULL, NULL, NULL},
};

static const fl_target_option qkv_options[] = {
    {"w", NULL, "replicas a write waits for (default: a majority; 1 with stale-quorum)"},
    {"r", NULL, "replicas a read waits for (default: a majority; 1 with stale-quorum)"},
    {"timeout_ms", "1000", "how long a coordinator waits for one phase's quorum"},
    {NULL, NULL, NULL},
};

static int qkv_setup(fl_target_ctx *t, char *err, size_t bytes) {
    return fl_daemon_setup(t, &qkv, err, bytes);
}

/* The daemon's flags for node: its id, address, every replica, quorums, bug. */
static char *qkv_args(fl_target_ctx *t, size_t node) {
    size_t cap = 4096 + t->nodes->count * 96;
    char *a = malloc(cap);
    if (!a) return NULL;
    const fl_node *n = &t->nodes->nodes[node];
    int at = snprintf(a, cap, "--id %s --listen %s:%d --peers ", n->name, n->host, QKV_PORT);
    for (size_t i = 0; i < t->nodes->count; i++)
        at += snprintf(a + at, cap - (size_t)at, "%s%s=%s:%d", i ? "," : "",
                       t->nodes->nodes[i].name, t->nodes->nodes[i].host, QKV_PORT);
    const char *w = fl_target_option_get(t, "w"), *r = fl_target_option_get(t, "r");
    if (w[0]) at += snprintf(a + at, cap - (size_t)at, " --w %d", atoi(w));
    if (r[0]) at += snprintf(a + at, cap - (size_t)at, " --r %d", atoi(r));
    at += snprintf(a + at, cap - (size_t)at, " --timeout-ms %d",
                   atoi(fl_target_option_get(t, "timeout_ms")));
    if (t->bug) snprintf(a + at, cap - (size_t)at, " --bug %s", t->bug);
    return a;
}

static int qkv_start(fl_target_ctx *t, size_t node, char *err, size_t bytes) {
    char *args = qkv_args(t, node);
    if (!args) return snprintf(err, bytes, "out of memory"), -1;
    int rc = fl_daemon_start(t, &qkv, node, args, err, bytes);
    free(args);
    return rc;
}

static int qkv_stop(fl_target_ctx *t, size_t node, char *err, size_t bytes) {
    return fl_daemon_stop(t, &qkv, node, err, bytes);
}

static int qkv_fetch_logs(fl_target_ctx *t, size_t node, const char *dir, char *err,
                          size_t bytes) {
    return fl_daemon_fetch_logs(t, &qkv, node, dir, err, bytes);
}

static fl_client *qkv_client_open(fl_target_ctx *t, size_t node, int timeout_ms, char *err,
                                  size_t bytes) {
    return fl_daemon_client_open(t, &qkv, node, timeout_ms, err, bytes);
}

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
    .setup = qkv_setup,
    .start = qkv_start,
    .stop = qkv_stop,
    .fetch_logs = qkv_fetch_logs,
    .teardown = NULL,
    .client_open = qkv_client_open,
    .client_invoke = fl_daemon_client_invoke,
    .client_close = fl_daemon_client_close,
    .primaries = NULL,
};
