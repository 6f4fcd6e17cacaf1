/* The core's node state, shared by its files (raft_node.c: life cycle, roles, ticks;
 * raft_election.c; raft_replicate.c; raft_read.c; raft_snapshot.c; raft_ready.c). Not
 * for hosts: they see raft.h only. */
#ifndef RAFT_INTERNAL_H
#define RAFT_INTERNAL_H

#include "raft.h"
#include "raft_log.h"
#include "raft_rng.h"

#define RAFT_LEASE_ROUNDS 64 /* rounds whose send time a lease_read leader remembers */

/* What the leader knows of one follower. */
typedef struct raft_progress {
    uint64_t next;     /* next index to send: optimistic, moved on at each send */
    uint64_t match;    /* highest index known to be in the follower's log */
    uint64_t read_seq; /* highest leadership round the follower answered in this term */
} raft_progress;

typedef struct raft_pending_read {
    uint64_t id;
    uint64_t index; /* read index: reported once applied >= index */
    uint64_t seq;   /* round that must be confirmed by a majority first; 0: none needed */
} raft_pending_read;

/* A taken batch that wrote log entries, until the host says it is durable. */
typedef struct raft_unsynced {
    uint64_t seq, index, term; /* batch number; last index it wrote and that entry's term */
} raft_unsynced;

/* The batch being built: everything the next raft_ready_take hands out except what is
 * computed at take time (committed entries, reads that became answerable). */
typedef struct raft_out {
    raft_msg *msgs;
    size_t n_msgs, cap_msgs;
    raft_entry *entries; /* log writes: indices consecutive from entries[0].index */
    size_t n_entries, cap_entries;
    uint64_t *failed_reads;
    size_t n_failed, cap_failed;
    bool hs_changed;
    bool role_changed;
    bool has_snapshot;
    raft_snapshot snapshot; /* owned */
} raft_out;

struct raft_node {
    raft_config cfg;
    raft_rng rng;
    int quorum; /* nodes / 2 + 1 */

    /* Persistent (the host writes them when a ready says so). */
    uint64_t term;
    int vote;
    raft_log log;
    raft_snapshot snap; /* the newest snapshot, sent to followers the log no longer covers */

    /* Volatile. Invariants: applied <= commit <= last index; persisted <= last index. */
    raft_role role;
    int leader;
    uint64_t commit;
    uint64_t applied;   /* handed out to the host (or installed from a snapshot) */
    uint64_t persisted; /* durable at the host, as reported by raft_persisted */
    uint32_t election_elapsed, election_timeout, heartbeat_elapsed;
    uint32_t heard_elapsed; /* ticks since a leader was heard (lease_read's vote stickiness) */
    int64_t wall_ms;

    /* Candidate. */
    uint32_t granted, refused; /* bit per node */

    /* Leader. */
    raft_progress prs[RAFT_NODES_MAX];
    uint64_t noop_index;     /* this term's first entry: reads wait until it is applied */
    uint64_t read_seq;       /* last leadership round sent */
    uint64_t confirmed_seq;  /* last round a majority answered */
    bool round_wanted;       /* a read waits for a round not yet sent */
    int64_t round_wall_ms[RAFT_LEASE_ROUNDS]; /* lease_read: send time of round s at s % N */
    int64_t lease_until_ms;  /* lease_read: reads need no round before this wall time */

    raft_pending_read *reads; /* [reads_head, n_reads): seq and index never decrease */
    size_t reads_head, n_reads, cap_reads;

    raft_out out;
    uint64_t ready_seq; /* last batch taken */
    raft_unsynced *unsynced;
    size_t n_unsynced, cap_unsynced;

    uint64_t elections_won;
};

/* raft_node.c */
void raft_set_term(raft_node *r, uint64_t term);
void raft_become_follower(raft_node *r, uint64_t term, int leader);
void raft_become_candidate(raft_node *r);
void raft_become_leader(raft_node *r);
void raft_reset_election_timer(raft_node *r);
bool raft_bug(const raft_node *r, unsigned bug);

/* raft_election.c */
void raft_campaign_now(raft_node *r);
void raft_on_vote(raft_node *r, const raft_msg *m);
void raft_on_vote_resp(raft_node *r, const raft_msg *m);
/* lease_read: a follower that heard a leader less than T ticks ago ignores campaigns. */
bool raft_in_lease(const raft_node *r);

/* raft_replicate.c */
void raft_send_append(raft_node *r, int peer);
void raft_broadcast_append(raft_node *r);
void raft_on_append(raft_node *r, const raft_msg *m);
void raft_on_append_resp(raft_node *r, const raft_msg *m);
void raft_maybe_commit(raft_node *r);
/* Append one entry to the log and to the batch's writes (truncating both as needed). */
void raft_log_write(raft_node *r, const raft_entry *e);
void raft_log_cut(raft_node *r, uint64_t from);

/* raft_read.c */
void raft_reads_fail_all(raft_node *r);      /* leadership lost */
void raft_round_confirmed(raft_node *r);     /* recompute confirmed_seq from the answers */
void raft_round_start(raft_node *r);         /* next round: read_seq + 1, remember wall time */
bool raft_reads_ready(const raft_node *r);
/* Move the reads that can be answered now into rd. */
void raft_reads_take(raft_node *r, raft_ready *rd);

/* raft_snapshot.c */
void raft_send_snapshot(raft_node *r, int peer);
void raft_on_snapshot(raft_node *r, const raft_msg *m);

/* raft_ready.c */
void raft_out_send(raft_node *r, raft_msg *m); /* moves m into the batch */
void raft_out_fail_read(raft_node *r, uint64_t id);
void raft_out_free(raft_out *o);

#endif
