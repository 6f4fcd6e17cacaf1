/* raftkv's adapter (DESIGN.md "Targets"): fl-raftkv on every node; clients may connect
 * to any node and follow a follower's leader hint (targets/support/daemon.c); "who is primary"
 * asks every node's status and names the nodes that say they lead. The server is
 * targets/raftkv/server; this is the controller's side of it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "target.h"

#define RAFTKV_PORT 7002
#define STATUS_TIMEOUT_MS 1000
#define READY_ATTEMPTS 200 /* × 100 ms */

static const char *const rkv_ops[] = {"read", "write", "cas", "append", NULL};

static const fl_target_bug rkv_bugs[] = {
    {"stale-read", "the leader answers reads from its own state without confirming it "
                   "still leads (no ReadIndex round): a deposed leader serves stale reads", NULL},
    {"lease-read", "the leader skips the ReadIndex round while a lease measured on the wall "
                   "clock holds: clock skew breaks it", NULL},
    {"volatile-vote", "term and vote are not made durable before the vote is sent: a node "
                      "killed and restarted can vote twice in one term", NULL},
    {"old-term-commit", "entries of earlier terms are committed by counting replicas "
                        "(Raft's Figure 8)", NULL},
    {NULL, NULL, NULL},
};

static const fl_target_option rkv_options[] = {
    {"tick_ms", "10", "one Raft tick"},
    {"election_ticks", "30", "election timeout T: followers wait [T, 2T) ticks"},
    {"heartbeat_ticks", "5", "leader heartbeat period"},
    {"snapshot_entries", "10000", "applied entries between snapshots (log compaction)"},
    {"lease_ms", "250", "lease-read: how long a confirmed round holds (below the shortest election timeout, so only clock skew breaks it)"},
    {NULL, NULL, NULL},
};

/* Its own flags: timing and snapshots. */
static void rkv_flags(fl_target_ctx *t, char *a, size_t cap) {
    snprintf(a, cap,
             " --tick-ms %d --election-ticks %d --heartbeat-ticks %d"
             " --snapshot-entries %d --lease-ms %d",
             atoi(fl_target_option_get(t, "tick_ms")),
             atoi(fl_target_option_get(t, "election_ticks")),
             atoi(fl_target_option_get(t, "heartbeat_ticks")),
             atoi(fl_target_option_get(t, "snapshot_entries")),
             atoi(fl_target_option_get(t, "lease_ms")));
}

static const fl_daemon rkv = {"raftkv", "fl-raftkv", RAFTKV_PORT, rkv_flags};
FL_DAEMON_HOOKS(rkv, rkv)

/* What node i says of itself: its role and the leader it follows ("" when none). */
static bool node_status(fl_target_ctx *t, size_t i, char *role, char *leader, size_t bytes) {
    char why[256];
    fl_client *c = fl_daemon_client_open(t, &rkv, i, STATUS_TIMEOUT_MS, why, sizeof why);
    if (!c) return false;
    fl_request req = {"status", NULL, NULL};
    fl_reply r;
    fl_daemon_client_invoke(c, &req, STATUS_TIMEOUT_MS, &r);
    const char *ro = json_string_value(json_object_get(r.value, "role"));
    const char *le = json_string_value(json_object_get(r.value, "leader"));
    bool ok = r.type == FL_REPLY_OK && ro;
    if (ok) {
        snprintf(role, bytes, "%s", ro);
        snprintf(leader, bytes, "%s", le ? le : "");
    }
    json_decref(r.value);
    fl_daemon_client_close(c);
    return ok;
}

/* Serving: a majority of the nodes follow one leader, and that node says it leads. */
static int rkv_ready(fl_target_ctx *t, char *err, size_t bytes) {
    for (int attempt = 0; attempt < READY_ATTEMPTS; attempt++) {
        char roles[64][64], leaders[64][64];
        for (size_t i = 0; i < t->nodes->count; i++)
            if (!node_status(t, i, roles[i], leaders[i], sizeof leaders[i])) roles[i][0] = leaders[i][0] = '\0';
        for (size_t i = 0; i < t->nodes->count; i++) {
            if (strcmp(roles[i], "leader")) continue;
            size_t followers = 0;
            for (size_t j = 0; j < t->nodes->count; j++)
                followers += j == i || !strcmp(leaders[j], t->nodes->nodes[i].name);
            if (followers > t->nodes->count / 2) return 0;
        }
        struct timespec pause = {0, 100 * 1000000};
        nanosleep(&pause, NULL);
    }
    snprintf(err, bytes, "no leader followed by a majority within %d s (see nodes/*/raftkv.log)",
             READY_ATTEMPTS / 10);
    return -1;
}

/* The nodes that say they lead now (a deposed leader may still say so: both count). */
static int rkv_primaries(fl_target_ctx *t, uint64_t *nodes, char *err, size_t bytes) {
    *nodes = 0;
    for (size_t i = 0; i < t->nodes->count; i++) {
        char role[64], leader[64];
        /* down or cut off from the controller: not a primary anyone can reach */
        if (node_status(t, i, role, leader, sizeof leader) && !strcmp(role, "leader"))
            *nodes |= 1ULL << i;
    }
    (void)err, (void)bytes;
    return 0;
}

/* A leader-based store: the leader is what to hit. Two packages, one at a time: cut the
 * leader off while its clock strobes (a deposed leader that still serves: a lease read
 * on a flipped clock, a read with no round), or partition (the leader half the time) and
 * crash a minority while the election that follows is under way (votes and terms lost
 * on restart, leaders lost mid-replication). Faults every ~3 s and 0.5 s op timeouts, so
 * a worker stuck on a deposed leader moves on while the new one serves. */
static const fl_target_defaults rkv_defaults = {
    .workload = "register",
    .nemesis = "clock:strobe:primaries+partition:primaries,partition+kill:minority",
    .nemesis_interval_s = 3,
    .at_once = 1,
    .concurrency = 20,
    .op_timeout_s = 0.5,
    .why = "a leader-based store: the leader is cut off while its clock strobes, or a "
           "partition is followed by crashes while the election runs; short op timeouts "
           "move workers off a deposed leader",
};

const fl_target fl_target_raftkv = {
    .name = "raftkv",
    .summary = "Raft-replicated key-value store (ReadIndex reads, snapshots); linearizable",
    .ops = rkv_ops,
    .bugs = rkv_bugs,
    .options = rkv_options,
    .pidfile = "{workdir}/raftkv/raftkv.pid",
    .defaults = &rkv_defaults,
    .simulator = "raft-sim",
    FL_DAEMON_TARGET(rkv),
    .teardown = NULL,
    .ready = rkv_ready,
    .primaries = rkv_primaries,
};
