/* raftkv's adapter (DESIGN.md "Targets"): fl-raftkv on every node; clients may connect
 * to any node and follow a follower's leader hint (targets/support/daemon.c); ready and
 * "who is primary" ask every node's status (raft_status.c). The server is
 * targets/raftkv/server; this is the controller's side of it. */
#include <stdio.h>
#include <stdlib.h>

#include "daemon.h"
#include "raft_status.h"
#include "target.h"

#define RAFTKV_PORT 7002

static const char *const rkv_ops[] = {"read", "write", "cas", "append", "txn", NULL};

/* What the txn bugs need that the target's default register workload does not send. */
#define RKV_TXN_NEEDS "a txn workload (--workload txn-list-append or txn-rw-register)"

static const fl_target_bug rkv_bugs[] = {
    {"stale-read", "the leader answers reads from its own state without confirming it "
                   "still leads (no ReadIndex round): a deposed leader serves stale reads", NULL, NULL, 0},
    {"lease-read", "the leader skips the ReadIndex round while a lease measured on the wall "
                   "clock holds: clock skew breaks it", NULL, NULL, 0},
    {"volatile-vote", "term and vote are not made durable before the vote is sent: a node "
                      "killed and restarted can vote twice in one term", NULL, NULL, 0},
    {"old-term-commit", "entries of earlier terms are committed by counting replicas "
                        "(Raft's Figure 8)", NULL, NULL, 0},
    {"dirty-read", "a read-only txn is answered at once by the leader from its log, "
                   "uncommitted entries included: a deposed leader's reads see writes that "
                   "never commit", RKV_TXN_NEEDS, NULL, 0},
    {"split-txn", "a txn's micro-ops are proposed one log entry each, the next once the "
                  "previous applied: other txns interleave between them", RKV_TXN_NEEDS, NULL, 0},
    {NULL, NULL, NULL, NULL, 0},
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

static const fl_daemon rkv = {.name = "raftkv", .binary = "fl-raftkv", .port = RAFTKV_PORT,
                              .flags = rkv_flags};
FL_DAEMON_HOOKS(rkv, rkv)

static int rkv_ready(fl_target_ctx *t, char *err, size_t bytes) {
    return fl_raft_status_ready(t, &rkv, err, bytes);
}

static int rkv_primaries(fl_target_ctx *t, uint64_t *nodes, char *err, size_t bytes) {
    (void)err, (void)bytes;
    return fl_raft_status_primaries(t, &rkv, nodes);
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
    .summary = "Raft-replicated key-value store (ReadIndex reads, snapshots, one-entry "
               "transactions); linearizable",
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
