/* raft-sim's world: N Raft cores (the very same library the daemon links), a simulated
 * network, a simulated disk per node, a toy state machine, clients, faults and the
 * safety oracle — all driven by one seed, one step (= one tick) at a time.
 *
 * Method (what one step does, in this order):
 *   1. faults (random mode): partitions start or heal, nodes crash (losing everything the
 *      disk had not fsynced, or a random prefix of it) and restart from their durable
 *      state, wall clocks jump, nodes compact their logs;
 *   2. clients: proposals (the key-value app's writes, or the lock app's acquires, renews
 *      and releases: locks.h) and reads at random nodes (most often at the leader);
 *   3. the messages due this step are delivered one by one (dropped if a partition or a
 *      crash lies between the two nodes at delivery time), each followed by draining the
 *      receiver's ready batches;
 *   4. every live node ticks;
 *   5. fsyncs due this step complete: the batches waiting for them are carried out (their
 *      messages enter the network with a delay of 1..D ticks, maybe lost or duplicated);
 *   6. the oracle checks every invariant (oracle.h); the first violation stops the seed. */
#ifndef SIM_H
#define SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "raft.h"
#include "raft_rng.h"
#include "disk.h"
#include "fsm.h"
#include "locks.h"
#include "net.h"
#include "oracle.h"
#include "trace.h"

#define SIM_NODES_MAX 7
#define SIM_TICK_MS 10                   /* wall-clock milliseconds per tick */
#define SIM_WALL_EPOCH_MS 1700000000000LL /* the simulated wall clock starts here */

typedef enum { SIM_APP_KV, SIM_APP_LOCKD } sim_app;

/* Everything about a run that a seed (or a script) chooses. Probabilities in parts per
 * million per step. */
typedef struct sim_params {
    int nodes;
    uint32_t steps;
    uint32_t election_ticks, heartbeat_ticks, max_append_entries;
    unsigned bugs;
    bool faults, clients; /* random faults, random client operations */
    uint32_t delay_max;     /* message delay 1..delay_max ticks */
    uint32_t long_delay_ppm; /* per message: delayed up to 3 election timeouts instead */
    uint32_t loss_ppm, dup_ppm;
    uint32_t fsync_delay_min,
        fsync_delay_max; /* an fsync completes this many ticks after it is issued */
    uint32_t partition_ppm, crash_ppm, clock_ppm, compact_ppm;
    uint32_t fault_ticks_max; /* partitions, crashes and clock jumps last 1..this */
    uint32_t propose_ppm, read_ppm;
    bool wire; /* send every message through the JSON codec and back */
    sim_app app;      /* the replicated state machine the nodes apply */
    bool early_grant; /* lockd's seeded bug: a new leader grants at once */
    int64_t ttl_ms;   /* lockd: the lease length the leader stamps */
    int64_t skew_ms;  /* each node's wall clock is off by a fixed -skew..+skew ms */
} sim_params;

/* A proposal waiting for its node to apply the index its ticket names. */
typedef struct sim_write {
    uint64_t op, index, term;
} sim_write;

/* A read waiting for its ReadIndex answer. */
typedef struct sim_pending_read {
    uint64_t id;
    uint64_t floor;   /* every write acknowledged and read answered before it was issued
                       * reached this index: the read must see at least this state */
    uint64_t invoked; /* step */
} sim_pending_read;

/* A ready batch the node's host is carrying out (FIFO: the contract's order). */
typedef struct sim_batch {
    raft_ready rd;
    bool sync;          /* wait for an fsync covering its writes */
    uint64_t sync_mark; /* writes issued up to and including this batch's */
    uint64_t due;       /* step at which that fsync completes */
} sim_batch;

/* The log as the node's core holds it, as a chain of prefix hashes (fsm.h's
 * sim_chain_hash): entry i's hash covers entries 1..i. */
typedef struct sim_mirror {
    uint64_t base_index, base_term, base_hash;
    uint64_t *terms, *hashes; /* base_index+1 .. base_index+n */
    size_t n, cap;
} sim_mirror;

typedef struct sim_node {
    int id;
    bool up;
    uint32_t incarnation;
    raft_node *raft;
    sim_disk disk;
    sim_fsm fsm;
    sim_mirror mirror;
    sim_batch *batches;
    size_t n_batches, cap_batches;
    uint64_t commit_seen; /* commit index the oracle has been told about */
    uint64_t restart_at;  /* down: the step it comes back (0: stays down) */
    int64_t clock_offset_ms;  /* a clock jump's, while it lasts */
    uint64_t clock_reset_at;
    int64_t skew_ms;          /* fixed for the run (--skew) */
    uint64_t leader_since;    /* the step it last became leader (its monotonic clock) */
    sim_write *writes;
    size_t n_writes, cap_writes;
    sim_pending_read *reads;
    size_t n_reads, cap_reads;
} sim_node;

typedef struct sim_stats {
    uint64_t steps, elections, crashes, partitions, clock_jumps, compactions, snapshots_installed;
    uint64_t msgs_sent, msgs_delivered, msgs_dropped, msgs_duplicated;
    uint64_t proposals, writes_acked, writes_lost, reads_invoked, reads_ok, reads_failed;
    uint64_t commit_max;
} sim_stats;

typedef struct sim {
    sim_params p;
    uint64_t seed;
    raft_rng rng;
    uint64_t now; /* step */
    sim_node nodes[SIM_NODES_MAX];
    sim_net net;
    sim_oracle oracle;
    sim_trace trace;
    sim_stats stats;
    sim_locks locks; /* the lock app's clients and what they held */
    uint64_t next_op, next_read;
    uint64_t final_op, final_index; /* the liveness check's write; its index once acknowledged */
    uint64_t partition_heal_at;
    net_msg *due; /* scratch for the messages delivered in one step */
    size_t cap_due;
    bool verbose;
    FILE *out;
} sim;

/* Per-seed parameters for the random mode (nodes > 0 fixes N, else the seed picks 3 or 5). */
void sim_params_random(sim_params *p, uint64_t seed, int nodes, unsigned bugs, uint32_t steps);
/* Quiet parameters for scripted scenarios: delay 1, nothing lost, no random events. */
void sim_params_scripted(sim_params *p, int nodes, unsigned bugs);

void sim_init(sim *s, const sim_params *p, uint64_t seed, bool verbose, FILE *out);
void sim_free(sim *s);
/* One step; false once the oracle found a violation. */
bool sim_step(sim *s);
/* The random run: p.steps steps, then heal and check liveness. 0, or 1 on a violation. */
int sim_run(sim *s);
/* Heal, restart, stop faults, then require a leader and a fresh proposal applied on every
 * node within a bounded number of steps. */
bool sim_check_liveness(sim *s);

/* Faults and events, for faults.c and scenario.c. */
void sim_partition(sim *s, const uint8_t group[SIM_NODES_MAX]);
void sim_heal(sim *s);
void sim_crash(sim *s, int node, bool lose_all_unsynced);
void sim_restart(sim *s, int node);
int sim_propose(sim *s, int node);
/* Propose a command (its bytes start with op, fsm.h) at node; raft_propose's status. */
int sim_propose_bytes(sim *s, int node, uint64_t op, const uint8_t *cmd, size_t len);
int sim_read(sim *s, int node);
void sim_campaign(sim *s, int node);
int sim_leader(const sim *s); /* a live node that is leader in the highest term, or -1 */
int64_t sim_wall_ms(const sim *s, int node);

/* An event: mixed into the trace hash, and printed when the seed runs verbose (the
 * printf arguments are evaluated only then). */
#define SIM_TRACE(s, kind, a, b, c, d, e, ...)                                                   \
    do {                                                                                         \
        trace_event(&(s)->trace, (s)->now, kind, (uint64_t)(a), (uint64_t)(b), (uint64_t)(c),    \
                    (uint64_t)(d), (uint64_t)(e));                                               \
        if ((s)->verbose) sim_log(s, __VA_ARGS__);                                               \
    } while (0)
void sim_log(const sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "n3", or "none" for RAFT_NONE (buf has room for 16 bytes). */
const char *sim_node_name(int id, char *buf);

/* sim_node.c: carrying out a node's ready batches. */
void sim_node_pump(sim *s, sim_node *n);
void sim_node_start(sim *s, sim_node *n);
void sim_node_stop(sim *s, sim_node *n, size_t keep_writes);
/* The oracle's per-step look at a live node: newly committed entries, leader completeness. */
void sim_node_check(sim *s, sim_node *n);
void sim_mirror_free(sim_mirror *m);

/* faults.c */
void sim_faults_step(sim *s);
void sim_clients_step(sim *s);
int sim_client_target(sim *s); /* the leader three times in four, else a random node */

#endif
