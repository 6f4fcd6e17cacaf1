/* A hand-driven cluster of Raft cores for the unit tests. Messages wait in one queue
 * until a test delivers them (all, or a chosen one); links can be cut; each node's ready
 * batches are carried out as soon as it produces them (persisted at once unless the test
 * holds a node's disk) and what they held is recorded for the test to look at. */
#ifndef TESTNET_H
#define TESTNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft.h"

#define TN_MAX 64 /* recorded items of each kind per node */

typedef struct tn_record {
    raft_hard_state hs;      /* last hard state written */
    size_t hs_writes;
    size_t sync_batches, nosync_batches;
    bool last_hs_synced;     /* whether the last batch that wrote hs had must_sync */
    uint64_t applied;        /* last index applied (committed entries, snapshots) */
    uint64_t applied_term;
    size_t commands_applied;
    uint64_t reads[TN_MAX], read_index[TN_MAX];
    size_t n_reads;
    uint64_t failed[TN_MAX];
    size_t n_failed;
    size_t snapshots;        /* snapshots installed */
    raft_snapshot snapshot;  /* the last one (data owned) */
    uint64_t last_written;   /* highest index written by the last batch with entries */
    uint64_t seq_unpersisted; /* held disk: the last batch taken but not reported durable */
} tn_record;

typedef struct tn {
    int n;
    raft_node *r[RAFT_NODES_MAX];
    tn_record rec[RAFT_NODES_MAX];
    raft_msg *q;
    size_t nq, capq;
    bool cut[RAFT_NODES_MAX][RAFT_NODES_MAX]; /* cut[a][b]: a's messages to b are dropped */
    bool hold_disk[RAFT_NODES_MAX];           /* batches are not reported durable */
    int64_t wall_ms;
} tn;

/* n nodes, election timeout T=10, heartbeat 3, at most 8 entries per append, bugs. */
void tn_init(tn *t, int n, unsigned bugs);
void tn_init_cfg(tn *t, int n, const raft_config *base);
/* Nodes restarted from boot states (boots[i] for node i). */
void tn_init_boots(tn *t, int n, const raft_config *base, const raft_boot *boots);
raft_config tn_config(unsigned bugs); /* the tn_init configuration */
void tn_free(tn *t);
/* Carry out node i's ready batches (call after driving a core by hand). */
void tn_pump(tn *t, int i);
/* Deliver queued messages (and what they cause) until none is left: how many. */
size_t tn_deliver(tn *t);
/* Deliver the first queued message of this type from -> to (-1: any): true if one was. */
bool tn_deliver_one(tn *t, raft_msg_type type, int from, int to);
/* Drop every queued message. */
void tn_drop(tn *t);
size_t tn_queued(const tn *t, raft_msg_type type, int from, int to);
void tn_tick(tn *t, int i, int ticks);
/* The durable report for node i's held batches (when hold_disk[i] was set). */
void tn_persist(tn *t, int i);
void tn_campaign(tn *t, int i);
int tn_leader(const tn *t); /* -1: none or several */
raft_status tn_status(const tn *t, int i);
/* Propose a command (its bytes are the text) at node i: the raft_propose result. */
int tn_propose(tn *t, int i, const char *text, raft_ticket *ticket);
void tn_isolate(tn *t, int i, bool cut_off);

#endif
