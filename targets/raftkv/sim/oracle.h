/* The simulator's safety oracle: what every node did, over all time, checked against
 * Raft's guarantees (Figure 3) and against linearizable reads. The first violation is
 * kept (which check, at which step, what it saw).
 *
 * Log prefixes are named by hashes (sim_chain_hash): equal hashes, equal prefixes.
 *   election safety      at most one node becomes leader in any term, over all time;
 *   log matching         two logs holding an entry with the same index and term hold
 *                        the same prefix up to it: the first (index, term) seen fixes its
 *                        prefix hash, and every later one must agree;
 *   commit agreement     no two nodes ever consider different entries committed at the
 *                        same index (a node's commit index, as it advances);
 *   leader completeness  a leader of term T holds every entry committed in a term
 *                        <= T (checked when it is elected and at every step). Not "every
 *                        entry whose own term is <= T": a leader of term T+1 may commit an
 *                        entry of term T-1 after the leader of T was elected without it;
 *   state-machine safety no two nodes apply different entries at the same index (the
 *                        digest after applying index i is the same everywhere, snapshots
 *                        included);
 *   linearizable reads   a read answered by a node returns the state after some index a,
 *                        and a must be >= every index acknowledged to a client before the
 *                        read was issued: writes (acknowledged when the proposing node
 *                        applies them) and earlier reads (their a). With state-machine
 *                        safety this gives linearizability: order writes by index and each
 *                        read right after index a; real-time order is then respected. It
 *                        is slightly stricter than comparing values (a read at an index
 *                        whose later entries changed nothing still counts as stale). */
#ifndef SIM_ORACLE_H
#define SIM_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct oracle_slot { /* (index, term) -> prefix hash, open addressing */
    uint64_t index, term, hash;
} oracle_slot;

typedef struct oracle_committed { /* per index; hash 0: not known committed */
    uint64_t term;        /* the entry's term */
    uint64_t commit_term; /* the term of the node that first reported it committed: the
                           * leader that committed it (it learns first) */
    uint64_t hash;
} oracle_committed;

typedef struct sim_oracle {
    int *leader_of_term; /* -1: none yet */
    size_t n_terms;
    oracle_committed *committed;
    size_t n_committed;  /* cells allocated */
    uint64_t commit_top; /* highest index known committed */
    uint64_t *applied_digest; /* per index: digest after applying it; 0: not yet applied */
    size_t n_applied;
    oracle_slot *slots;
    size_t n_slots, cap_slots; /* cap a power of two */
    uint64_t lin_floor;        /* highest index acknowledged to a client so far */
    bool violated;
    char check[32];
    char detail[512];
    uint64_t step;
} sim_oracle;

void oracle_init(sim_oracle *o);
void oracle_free(sim_oracle *o);
/* Each returns false (and records the violation, the first one only) when a check fails. */
bool oracle_leader(sim_oracle *o, uint64_t step, uint64_t term, int node);
bool oracle_log_entry(sim_oracle *o, uint64_t step, int node, uint64_t index, uint64_t term,
                      uint64_t hash);
bool oracle_commit(sim_oracle *o, uint64_t step, int node, uint64_t node_term, uint64_t index,
                   uint64_t term, uint64_t hash);
bool oracle_applied(sim_oracle *o, uint64_t step, int node, uint64_t index, uint64_t digest);
/* The largest index committed in a term <= term, 0 when none; *hash is its prefix. */
uint64_t oracle_committed_upto(const sim_oracle *o, uint64_t term, uint64_t *hash);
bool oracle_read(sim_oracle *o, uint64_t step, int node, uint64_t read_id, uint64_t floor,
                 uint64_t index);
void oracle_acked(sim_oracle *o, uint64_t index);
bool oracle_fail(sim_oracle *o, uint64_t step, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
