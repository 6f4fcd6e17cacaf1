/* raft-sim's lock app: its clients and the lease-safety and fencing checks (see locks.h). */
#include "sim.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACQUIRE_PPM 100000 /* per step, an idle client asks for a lock */
#define RELEASE_PPM 20000  /* per step, a holder releases */
#define RENEW_PPM 300000   /* per step, a renewing holder with half its lease left renews */
#define RENEWS_PPM 700000  /* per lease: its holder renews it (else lets it run out) */
#define FORGET_PPM 2000    /* per step, a client crashes and forgets what it held */
#define TIMEOUT_ELECTIONS 4 /* a request unanswered this many election timeouts is given up */

static const char *const kind_names[] = {"acquire", "renew", "release"};

void locks_init(sim_locks *l) {
    memset(l, 0, sizeof *l);
    for (int i = 0; i < LOCK_CLIENTS; i++) l->clients[i].incarnation = 1;
}

void locks_free(sim_locks *l) {
    for (int k = 0; k < FSM_LOCKS; k++) free(l->locks[k].leases);
    memset(l, 0, sizeof *l);
}

void locks_stats_add(lock_stats *t, const lock_stats *o) {
    t->acquires += o->acquires; t->granted += o->granted; t->refused_held += o->refused_held;
    t->leader_waits += o->leader_waits; t->renews += o->renews; t->renewed += o->renewed;
    t->renew_refused += o->renew_refused; t->releases += o->releases; t->forgets += o->forgets;
    t->timeouts += o->timeouts; t->lost_entries += o->lost_entries; t->lapsed += o->lapsed;
}

static int64_t true_ms(const sim *s) { return (int64_t)s->now * SIM_TICK_MS; }

static lock_lease *lease_of(sim *s, const lock_client *c) {
    return &s->locks.locks[c->lock_held].leases[c->lease];
}

/* The client stops holding now (it released, forgot, learned it lost, or its time ran out). */
static void stop_holding(sim *s, lock_client *c) {
    lock_lease *l = lease_of(s, c);
    if (l->until_ms > true_ms(s)) l->until_ms = true_ms(s);
    c->holding = false;
}

uint8_t *locks_probe_command(uint64_t op, size_t *len) {
    lk_cmd c = {.kind = LK_RELEASE, .lock = "L0", .holder = "probe", .token = 1};
    return fsm_lock_command(op, &c, len);
}

/* ---- requests ---- */

/* Send c's request of kind on lock to a node (the leader most often). The node stamps it
 * (now_ms, ttl_ms) and, as a leader, refuses an acquire while it still waits. */
static void request(sim *s, int i, lk_cmd_kind kind, int lock, uint64_t token) {
    lock_client *c = &s->locks.clients[i];
    int node = sim_client_target(s);
    sim_node *n = &s->nodes[node];
    lock_stats *st = &s->locks.stats;
    st->acquires += kind == LK_ACQUIRE;
    st->renews += kind == LK_RENEW;
    st->releases += kind == LK_RELEASE;
    if (!n->up) return;
    lk_cmd cmd = {.kind = kind, .token = token, .ttl_ms = s->p.ttl_ms, .now_ms = sim_wall_ms(s, node)};
    snprintf(cmd.lock, sizeof cmd.lock, "L%d", lock);
    snprintf(cmd.holder, sizeof cmd.holder, "c%d.%u", i + 1, c->incarnation);
    if (kind == LK_RELEASE) cmd.ttl_ms = cmd.now_ms = 0;
    if (kind == LK_ACQUIRE) {
        raft_status rs;
        raft_status_get(n->raft, &rs);
        int64_t left = lk_leader_wait_left((int64_t)n->leader_since * SIM_TICK_MS, true_ms(s),
                                           s->p.ttl_ms, s->p.early_grant);
        if (rs.role == RAFT_LEADER && left > 0) {
            st->leader_waits++;
            SIM_TRACE(s, "lock-wait", node, i, lock, (uint64_t)left, 0,
                      "n%d refuses %s's acquire of L%d: leader-waiting, %lld ms left", node + 1,
                      cmd.holder, lock, (long long)left);
            return;
        }
    }
    c->pending = true; /* before proposing: nothing may resolve it unseen */
    c->kind = kind;
    c->lock = lock;
    c->token = token;
    c->sent = s->now;
    c->op = ++s->next_op;
    SIM_TRACE(s, "lock-req", node, i, kind, lock, token, "%s sends %s L%d (token %llu) to n%d",
              cmd.holder, kind_names[kind], lock, (unsigned long long)token, node + 1);
    size_t len = 0;
    uint8_t *bytes = fsm_lock_command(c->op, &cmd, &len);
    if (sim_propose_bytes(s, node, c->op, bytes, len) != RAFT_OK) c->pending = false;
    free(bytes);
}

static void forget(sim *s, int i) {
    lock_client *c = &s->locks.clients[i];
    if (c->holding) stop_holding(s, c);
    c->pending = false;
    c->incarnation++;
    s->locks.stats.forgets++;
    SIM_TRACE(s, "lock-forget", i, c->incarnation, 0, 0, 0,
              "client c%d crashes and forgets (now c%d.%u)", i + 1, i + 1, c->incarnation);
}

static void client_step(sim *s, int i) {
    lock_client *c = &s->locks.clients[i];
    if (c->holding && true_ms(s) >= lease_of(s, c)->until_ms) {
        c->holding = false; /* its own margin says stop: the lease lapses */
        s->locks.stats.lapsed++;
    }
    if (c->pending && s->now - c->sent > TIMEOUT_ELECTIONS * (uint64_t)s->p.election_ticks) {
        c->pending = false; /* unknown outcome: not held, not extended */
        s->locks.stats.timeouts++;
    }
    if (raft_rng_chance(&s->rng, FORGET_PPM)) forget(s, i);
    if (c->pending) return;
    if (c->holding) {
        int64_t left = lease_of(s, c)->until_ms - true_ms(s);
        if (c->renews && left <= s->p.ttl_ms / 2 && raft_rng_chance(&s->rng, RENEW_PPM)) {
            request(s, i, LK_RENEW, c->lock_held, c->token_held);
        } else if (raft_rng_chance(&s->rng, RELEASE_PPM)) {
            stop_holding(s, c); /* it stops using the lock when it sends the release */
            request(s, i, LK_RELEASE, c->lock_held, c->token_held);
        }
    } else if (raft_rng_chance(&s->rng, ACQUIRE_PPM)) {
        request(s, i, LK_ACQUIRE, (int)raft_rng_below(&s->rng, FSM_LOCKS), 0);
    }
}

void locks_clients_step(sim *s) {
    for (int i = 0; i < LOCK_CLIENTS; i++) client_step(s, i);
}

/* ---- the checks ---- */

static void describe(char *buf, size_t n, const lock_lease *l) {
    snprintf(buf, n, "c%d.%u (token %llu, granted in term %llu by leader n%d, held %lld..%lld ms)",
             l->client + 1, l->incarnation, (unsigned long long)l->token,
             (unsigned long long)l->term, l->leader + 1, (long long)l->from_ms,
             (long long)l->until_ms);
}

/* Lease safety for lock's interval k against every other holder's. */
static void check_lease(sim *s, int lock, size_t k) {
    const lock_history *h = &s->locks.locks[lock];
    const lock_lease *a = &h->leases[k];
    for (size_t j = 0; j < h->n; j++) {
        const lock_lease *b = &h->leases[j];
        if (j == k || (b->client == a->client && b->incarnation == a->incarnation)) continue;
        if (!(a->from_ms < b->until_ms && b->from_ms < a->until_ms)) continue;
        char da[160], db[160];
        describe(da, sizeof da, b);
        describe(db, sizeof db, a);
        oracle_fail(&s->oracle, s->now, "lease safety", "L%d held by %s and by %s at once", lock,
                    da, db);
        return;
    }
}

/* Fencing in true time: the new grant k beats every grant whose holder stopped before k's
 * interval began. */
static void check_fencing_after(sim *s, int lock, size_t k) {
    const lock_history *h = &s->locks.locks[lock];
    const lock_lease *a = &h->leases[k];
    for (size_t j = 0; j < h->n; j++) {
        const lock_lease *b = &h->leases[j];
        if (b->until_ms > a->from_ms || b->token < a->token) continue;
        if (b->client == a->client && b->incarnation == a->incarnation && b->token == a->token)
            continue; /* the same lease again (a retried acquire keeps its token) */
        char da[160], db[160];
        describe(da, sizeof da, b);
        describe(db, sizeof db, a);
        oracle_fail(&s->oracle, s->now, "fencing tokens",
                    "L%d: %s ended before %s began, with a token not lower", lock, da, db);
        return;
    }
}

static void granted(sim *s, int node, int i, uint64_t term, const fsm_lock_result *r) {
    lock_client *c = &s->locks.clients[i];
    lock_history *h = &s->locks.locks[c->lock];
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 16;
        h->leases = raft_xrealloc(h->leases, h->cap * sizeof *h->leases);
    }
    int64_t from = (int64_t)c->sent * SIM_TICK_MS;
    h->leases[h->n] = (lock_lease){i, c->incarnation, r->token, from,
                                   from + s->p.ttl_ms * LOCK_TRUST_NUM / LOCK_TRUST_DEN, term, node};
    c->holding = true;
    c->lock_held = c->lock;
    c->token_held = r->token;
    c->lease = h->n++;
    c->renews = raft_rng_chance(&s->rng, RENEWS_PPM);
    s->locks.stats.granted++;
    check_lease(s, c->lock, c->lease);
    check_fencing_after(s, c->lock, c->lease);
}

void locks_resolved(sim *s, int node, uint64_t op, uint64_t term, bool ok, const fsm_lock_result *r) {
    int i = 0;
    while (i < LOCK_CLIENTS && !(s->locks.clients[i].pending && s->locks.clients[i].op == op)) i++;
    if (i == LOCK_CLIENTS) return; /* given up, or the liveness check's write */
    lock_client *c = &s->locks.clients[i];
    c->pending = false;
    SIM_TRACE(s, "lock-ack", node, i, c->kind, ok ? r->token : 0, ok && !r->error,
              "n%d answers c%d.%u's %s of L%d: %s (token %llu, expires %lld)", node + 1, i + 1,
              c->incarnation, kind_names[c->kind], c->lock,
              !ok ? "lost (another entry there)" : r->error ? r->error : "ok",
              (unsigned long long)(ok ? r->token : 0), (long long)(ok ? r->expires_ms : 0));
    if (!ok) {
        s->locks.stats.lost_entries++;
        return;
    }
    assert(r->command && r->kind == c->kind);
    if (c->kind == LK_ACQUIRE) {
        if (!r->error) granted(s, node, i, term, r);
        else s->locks.stats.refused_held++;
    } else if (c->kind == LK_RENEW && c->holding && c->lock_held == c->lock &&
               c->token_held == c->token) {
        if (r->error) {
            s->locks.stats.renew_refused++;
            stop_holding(s, c);
            return;
        }
        s->locks.stats.renewed++;
        lock_lease *l = lease_of(s, c);
        int64_t until = (int64_t)c->sent * SIM_TICK_MS + s->p.ttl_ms * LOCK_TRUST_NUM / LOCK_TRUST_DEN;
        if (until > l->until_ms) l->until_ms = until;
        check_lease(s, c->lock_held, c->lease);
    }
}

void locks_applied(sim *s, const raft_entry *e, const fsm_lock_result *r) {
    sim_locks *l = &s->locks;
    if (e->index <= l->applied_top) return; /* applied elsewhere before: judged then */
    l->applied_top = e->index;
    if (!r->new_grant || r->lock < 0) return;
    lock_history *h = &l->locks[r->lock];
    if (r->token <= h->token_top)
        oracle_fail(&s->oracle, s->now, "fencing tokens",
                    "L%d granted with token %llu at index %llu after token %llu was granted",
                    r->lock, (unsigned long long)r->token, (unsigned long long)e->index,
                    (unsigned long long)h->token_top);
    h->token_top = r->token;
}
