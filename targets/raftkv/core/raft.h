/* The Raft core: a pure state machine for one node of a statically configured cluster
 * (ids 0..nodes-1). No sockets, clock, disk or randomness of its own: the host feeds it
 * inputs and carries out what it asks for in "ready" batches. The daemon (fl-raftkv) and
 * the deterministic simulator (raft-sim) are two hosts of this same code.
 *
 * Inputs:   raft_tick (one logical time unit, with the host's wall clock for lease reads),
 *           raft_receive (a peer message), raft_propose (a command through the log),
 *           raft_read_index (a linearizable read), raft_persisted (a ready is durable),
 *           raft_compact (the host snapshotted its state machine), raft_campaign.
 * Outputs:  raft_ready_take, whenever raft_has_ready says so (after any input).
 *
 * THE READY CONTRACT (what a host must do with each batch, in this order):
 *   1. If hs_changed: write hs (term, vote) — first, so no crash can leave a snapshot or
 *      an entry of a term newer than the hard state on disk.
 *   2. If has_snapshot: write the snapshot; the log on disk is now empty (every entry up
 *      to and after snapshot.index is dropped). If n_entries > 0: drop every entry at
 *      index >= entries[0].index from the log on disk, then append entries.
 *   3. If must_sync: make steps 1-2 durable (fsync) BEFORE step 4. Every vote, every
 *      append acknowledgement and every campaign in msgs counts on it. must_sync is false
 *      when the batch writes nothing (the seeded bug volatile_vote also clears it for
 *      term/vote-only changes: the host may then write hs lazily, after sending).
 *   4. Send msgs (each names its destination; any may be lost, the core resends).
 *   5. If has_snapshot: replace the state machine by the snapshot's. Then apply committed
 *      in order (no-ops change nothing): every command is committed cluster-wide.
 *   6. Answer reads: for each, the state machine as it now stands is a linearizable read
 *      (its index is applied). Fail failed_reads (leadership was lost; nothing happened).
 *   7. If must_sync, call raft_persisted(r, seq) once the writes are durable (step 3): the
 *      leader counts its own log towards commitment only up to what it has persisted.
 * Batches must be carried out in the order they were taken: a batch may be held (say,
 * until an asynchronous fsync completes) while later inputs go on, but a later batch's
 * messages never go out before an earlier batch's writes are durable, and committed
 * entries are applied in order. raft_ready_free releases a batch; a host may keep a
 * message by raft_msg_move'ing it out first.
 *
 * Restart: a host reads back its durable hard state, snapshot and log and passes them to
 * raft_new; everything else (commit index, who leads) is learnt again from the cluster.
 * The state machine restarts from the snapshot; the core hands out committed entries
 * again from the snapshot's index on. */
#ifndef RAFT_H
#define RAFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "raft_msg.h"

#define RAFT_READS_MAX 4096       /* reads waiting for their ReadIndex round */
#define RAFT_UNCOMMITTED_MAX 4096 /* entries a leader holds beyond its commit index */
#define RAFT_COMMITTED_PER_READY 1024 /* committed entries handed out per batch */

enum {
    RAFT_OK = 0,
    RAFT_ENOTLEADER = -1, /* ask raft_status_get for the leader hint */
    RAFT_EBUSY = -2,      /* too many reads or uncommitted entries: retry later */
    RAFT_EINVAL = -3,     /* an argument or message that cannot be right */
};

typedef enum { RAFT_FOLLOWER = 0, RAFT_CANDIDATE, RAFT_LEADER } raft_role;

/* Seeded bugs (DESIGN.md "Targets"), each a real code path of its own. */
enum {
    RAFT_BUG_VOLATILE_VOTE = 1u << 0, /* term/vote changes do not need persisting before replies */
    RAFT_BUG_OLD_TERM_COMMIT = 1u << 1, /* count replicas of earlier-term entries too (Figure 8) */
    RAFT_BUG_STALE_READ = 1u << 2,      /* leader answers reads at once, no heartbeat round */
    RAFT_BUG_LEASE_READ = 1u << 3,      /* leader skips the round while a wall-clock lease holds */
    RAFT_BUGS_ALL = (1u << 4) - 1,
};

typedef struct raft_config {
    int id;                      /* this node, 0..nodes-1 */
    int nodes;                   /* 1..RAFT_NODES_MAX */
    uint32_t election_ticks;     /* T >= 2: follower timeouts drawn from [T, 2T) */
    uint32_t heartbeat_ticks;    /* 1..T-1: leader heartbeat (and lease round) period */
    uint32_t max_append_entries; /* entries per append message, 1..RAFT_APPEND_ENTRIES_MAX */
    uint64_t seed;               /* this node's rng (election timeouts) */
    unsigned bugs;               /* RAFT_BUG_* */
    int64_t lease_ms;            /* lease_read: how long a confirmed round holds, > 0 */
} raft_config;

typedef struct raft_hard_state {
    uint64_t term;
    int vote; /* RAFT_NONE or a node id */
} raft_hard_state;

typedef struct raft_snapshot {
    uint64_t index; /* last log index it covers; 0: no snapshot */
    uint64_t term;  /* that entry's term */
    uint8_t *data;  /* the state machine's bytes (owned where the struct is owned) */
    size_t len;
} raft_snapshot;

/* What a restarting node read back from its disk (all borrowed: raft_new copies). */
typedef struct raft_boot {
    raft_hard_state hs;       /* {0, RAFT_NONE} for a fresh node */
    raft_snapshot snapshot;   /* index 0: none */
    const raft_entry *entries; /* snapshot.index+1, +2, ... */
    size_t n_entries;
} raft_boot;

typedef struct raft_read {
    uint64_t id;    /* the host's read id, as given to raft_read_index */
    uint64_t index; /* the read index: applied by the time the read is reported */
} raft_read;

typedef struct raft_ready {
    uint64_t seq;          /* this batch's number (1, 2, ...): raft_persisted(seq) */
    bool must_sync;        /* contract step 3 */
    bool hs_changed;
    raft_hard_state hs;
    bool has_snapshot;
    raft_snapshot snapshot; /* to save and install (received from the leader) */
    raft_entry *entries;   /* to write: truncate at entries[0].index, then append */
    size_t n_entries;
    raft_msg *msgs;
    size_t n_msgs;
    raft_entry *committed; /* to apply, in order */
    size_t n_committed;
    raft_read *reads;      /* to answer now */
    size_t n_reads;
    uint64_t *failed_reads; /* read ids to fail: leadership lost before they were confirmed */
    size_t n_failed_reads;
    bool role_changed;     /* role, leader or term of the lines below changed */
    raft_role role;
    int leader;            /* the leader this node follows (a redirect hint), or RAFT_NONE */
    uint64_t term;
} raft_ready;

typedef struct raft_ticket {
    uint64_t index, term; /* the proposal took effect iff the entry applied at index has term */
} raft_ticket;

typedef struct raft_status {
    int id;
    raft_role role;
    uint64_t term;
    int vote;
    int leader;
    uint64_t commit;          /* highest index known committed */
    uint64_t applied;         /* highest index handed out to apply (or installed) */
    uint64_t last_index, last_term;
    uint64_t snapshot_index;  /* the log starts after it */
    uint64_t persisted_index; /* highest index this node's host reported durable */
    uint64_t elections_won;
} raft_status;

typedef struct raft_node raft_node;

/* NULL with err when the configuration or the boot state is inconsistent. */
raft_node *raft_new(const raft_config *cfg, const raft_boot *boot, char *err, size_t err_bytes);
void raft_free(raft_node *r);

/* One logical time unit. wall_ms is the host's wall clock (CLOCK_REALTIME in ms): only
 * the lease_read bug looks at it. */
void raft_tick(raft_node *r, int64_t wall_ms);
/* A message from a peer: RAFT_OK, or RAFT_EINVAL when it is not for this node or cannot be
 * right (it is then ignored). Stale messages are normal and return RAFT_OK. */
int raft_receive(raft_node *r, const raft_msg *m);
/* Leader only: append a command (len <= RAFT_ENTRY_BYTES_MAX). The ticket says where it
 * went; it took effect iff the entry later applied at ticket.index has ticket.term. */
int raft_propose(raft_node *r, const void *cmd, size_t len, raft_ticket *ticket);
/* Leader only: start a linearizable read (Raft §6.4 ReadIndex). It comes back in a ready's
 * reads (answer it then) or failed_reads. */
int raft_read_index(raft_node *r, uint64_t read_id);
/* The writes of every must_sync batch up to seq are durable. */
void raft_persisted(raft_node *r, uint64_t seq);
/* The host saved a snapshot of its state machine as of index (applied, and after the
 * current snapshot): entries up to index leave the log; lagging followers get the bytes.
 * The host drops them from its disk after the snapshot is durable. */
int raft_compact(raft_node *r, uint64_t index, const void *data, size_t len);
/* Start an election now (as if the election timeout had passed). Not for a leader. */
int raft_campaign(raft_node *r);

bool raft_has_ready(const raft_node *r);
/* Move the pending batch into *rd (the host owns it until raft_ready_free). */
void raft_ready_take(raft_node *r, raft_ready *rd);
void raft_ready_free(raft_ready *rd);

void raft_status_get(const raft_node *r, raft_status *st);
/* Read-only view of the log (NULL outside it): for hosts that inspect, like the simulator. */
const raft_entry *raft_log_at(const raft_node *r, uint64_t index);
const char *raft_role_name(raft_role role);
/* "volatile-vote" -> RAFT_BUG_VOLATILE_VOTE etc.; 0 when unknown. */
unsigned raft_bug_from_name(const char *name);
const char *raft_bug_name(unsigned bug);

#endif
