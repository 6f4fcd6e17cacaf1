/* raft-sim's lock app (--app lockd): clients that acquire, renew and release lockd's
 * locks through the simulated cluster, whose nodes apply lockd's lock table (fsm.h), and
 * the oracle's two lock checks. Every choice comes from the run's rng.
 *
 * Method. A node taking a client's request stamps it as fl-lockd's leader does
 * (targets/lockd/server/lock_app.c): now_ms from its own simulated wall clock (jumps and
 * --skew move it), ttl_ms from the run (2 election timeouts); a leader refuses acquires
 * while lk_leader_wait_left says so on its monotonic clock (the step it became leader,
 * in true time: the simulator has no monotonic drift); --bug early-grant turns that off.
 * A client has one request out at a time and gives it up after 4 election timeouts
 * (unknown outcome: an acquire is then not held, a renew does not extend).
 *
 * The holder's rule (the safety margin it uses itself): an acknowledged acquire or renew
 * sent at true time t gives it the lease until t + ttl × 9/10 of true time, never
 * longer; it stops holding at that end, when it sends a release, when a renew comes back
 * refused (expired, not-holder), and when it crashes and forgets (it then comes back as a
 * new holder name, "c<client>.<incarnation>").
 *
 * Checks (the first failure stops the seed, as the oracle's other checks do):
 *   lease safety    no lock is held by two holders at the same true time: every held
 *                   interval, when it is created or extended, is compared with every
 *                   other holder's interval of that lock (so an acknowledgement that
 *                   arrives late is judged from its request's send time on);
 *   fencing tokens  tokens grow: in log order, every new grant of a lock (at its first
 *                   application anywhere) has a greater token than every earlier grant of
 *                   it; and in true time, a grant acknowledged to a holder whose interval
 *                   starts after another holder's ended has the greater token. */
#ifndef SIM_LOCKS_H
#define SIM_LOCKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fsm.h"

#define LOCK_CLIENTS 4
#define LOCK_TRUST_NUM 9 /* a holder trusts its lease for ttl × 9/10 from its request */
#define LOCK_TRUST_DEN 10
_Static_assert(LOCK_TRUST_NUM < LOCK_TRUST_DEN, "a holder trusts less than the ttl");

/* One interval a holder believed it held a lock (true time, ms since the run began). */
typedef struct lock_lease {
    int client;
    uint32_t incarnation;
    uint64_t token;
    int64_t from_ms, until_ms; /* [from, until): until only grows by renewals, shrinks to
                                  the time the holder stops */
    uint64_t term;             /* the term of the entry that granted it */
    int leader;                /* the node that proposed that entry and acknowledged it */
} lock_lease;

typedef struct lock_history {
    lock_lease *leases; /* in the order they were acknowledged */
    size_t n, cap;
    uint64_t token_top; /* the greatest token granted in log order so far */
} lock_history;

typedef struct lock_client {
    uint32_t incarnation;
    bool pending;       /* a request is out */
    lk_cmd_kind kind;   /* its kind, lock, op, send step and token (renew, release) */
    int lock;
    uint64_t op, sent, token;
    bool holding;       /* it believes it holds lock_held with token_held */
    bool renews;        /* this lease: it renews (else it lets the lease run out) */
    int lock_held;
    uint64_t token_held;
    size_t lease;       /* its interval: locks[lock_held].leases[lease] */
} lock_client;

typedef struct lock_stats {
    uint64_t acquires, granted, refused_held, leader_waits, renews, renewed, renew_refused;
    uint64_t releases, forgets, timeouts, lost_entries, lapsed;
} lock_stats;

typedef struct sim_locks {
    lock_client clients[LOCK_CLIENTS];
    lock_history locks[FSM_LOCKS];
    uint64_t applied_top; /* the highest index applied anywhere so far */
    lock_stats stats;
} sim_locks;

struct sim;

void locks_init(sim_locks *l);
void locks_free(sim_locks *l);
/* One step of every client (random mode, clients on). */
void locks_clients_step(struct sim *s);
/* The proposing node applied the entry at a client's ticket: ok when it is the very entry
 * proposed (its result in r), else another entry took the index. */
void locks_resolved(struct sim *s, int node, uint64_t op, uint64_t term, bool ok,
                    const fsm_lock_result *r);
/* A node applied entry e (result r): the log-order fencing check at its first application. */
void locks_applied(struct sim *s, const raft_entry *e, const fsm_lock_result *r);
/* A harmless command (a release by nobody: not-holder) for the liveness check's write. */
uint8_t *locks_probe_command(uint64_t op, size_t *len);
void locks_stats_add(lock_stats *total, const lock_stats *one);

#endif
