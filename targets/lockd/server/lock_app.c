/* fl-lockd's app on the Raft host (targets/raftkv/server/server.h): the lock table of
 * ../core as the replicated state machine, and its client ops (DESIGN.md "Targets",
 * lockd):
 *   {"f":"acquire","key":L,"value":{"holder":H}}          -> ok {"token","expires_ms",
 *                                                             "holder","node","term",
 *                                                             "leader_for_ms"}
 *   {"f":"renew","key":L,"value":{"holder":H,"token":K}}  -> ok the same, or fail
 *                                                             not-holder / expired
 *   {"f":"release","key":L,"value":{"holder":H,"token":K}} -> ok, or fail not-holder
 *   fail held (with the lease in the value), leader-waiting, not-leader (with a hint).
 * The leader stamps each acquire and renew with its CLOCK_REALTIME (the clock shim moves
 * it: leases are judged by the lock service's clocks) and the lease length (--ttl-ms).
 *
 * A new leader waits out old leases: until --ttl-ms plus a tenth (and 100 ms) has passed
 * on its CLOCK_MONOTONIC since it became leader, it refuses acquires (`leader-waiting`),
 * so that every lease an earlier leader granted or renewed has surely expired in real
 * time before it grants one — the committed ones it knows of, and the ones whose commit
 * it cannot tell from its log. Bug `early-grant`: no wait. */
#include <stdlib.h>
#include <string.h>

#include "lock_table.h"
#include "loop.h"
#include "server.h"

enum { LOCKD_OP_ACQUIRE, LOCKD_OP_RENEW, LOCKD_OP_RELEASE };
static const rkv_f_spec lockd_specs[] = {
    [LOCKD_OP_ACQUIRE] = {"acquire", true, true, 0},
    [LOCKD_OP_RENEW] = {"renew", true, true, 0},
    [LOCKD_OP_RELEASE] = {"release", true, true, 0},
};
static const rkv_f_table lockd_ops = {lockd_specs, sizeof lockd_specs / sizeof lockd_specs[0]};

static const char *const lockd_bugs[] = {"early-grant", NULL};
#define BUG_EARLY_GRANT 1u

/* The table and this node's view of its own leadership (not replicated: it only decides
 * whether this node proposes an acquire now). */
typedef struct lockd_sm {
    lk_table table;
    const rkv_options *opt;
    bool leader;
    int64_t leader_since_ms;   /* CLOCK_MONOTONIC, when it became leader */
} lockd_sm;

static void *lockd_create(const rkv_options *o) {
    lockd_sm *m = calloc(1, sizeof *m);
    if (!m) abort();
    lk_table_init(&m->table);
    m->opt = o;
    return m;
}

static void lockd_destroy(void *sm) {
    lockd_sm *m = sm;
    if (m) lk_table_free(&m->table);
    free(m);
}

static void lockd_role_changed(void *sm, rkv_server *s, raft_role role, uint64_t term) {
    (void)s;
    (void)term;
    lockd_sm *m = sm;
    bool was = m->leader;
    m->leader = role == RAFT_LEADER;
    if (m->leader && !was) m->leader_since_ms = fl_mono_ms();
}

/* The request's command, or -1 with err (a malformed value). */
static int command_of(const rkv_line *l, const rkv_options *o, lk_cmd *c, char *err,
                      size_t err_bytes) {
    memset(c, 0, sizeof *c);
    c->kind = l->f == LOCKD_OP_ACQUIRE ? LK_ACQUIRE : l->f == LOCKD_OP_RENEW ? LK_RENEW : LK_RELEASE;
    const char *holder = json_string_value(json_object_get(l->value, "holder"));
    const json_t *token = json_object_get(l->value, "token");
    if (!holder || !*holder || strlen(holder) > LK_HOLDER_BYTES_MAX)
        return snprintf(err, err_bytes, "value.holder must be a string of 1 to %d bytes",
                        LK_HOLDER_BYTES_MAX), -1;
    if (c->kind != LK_ACQUIRE && (!json_is_integer(token) || json_integer_value(token) < 1))
        return snprintf(err, err_bytes, "value.token must be a positive integer"), -1;
    memcpy(c->lock, l->ckey, strlen(l->ckey) + 1);
    memcpy(c->holder, holder, strlen(holder) + 1);
    c->token = c->kind == LK_ACQUIRE ? 0 : (uint64_t)json_integer_value(token);
    c->ttl_ms = o->ttl_ms;
    c->now_ms = rkv_wall_ms(); /* under the clock shim: its offset counts */
    return 0;
}

static void lockd_request(rkv_server *s, rkv_conn *c, const rkv_line *l) {
    lockd_sm *m = s->sm;
    lk_cmd cmd;
    char err[LK_ERR_BYTES];
    if (command_of(l, s->opt, &cmd, err, sizeof err) != 0) {
        rkv_reply_error(s, fl_srv_ref_of(c), l->id, "fail", "malformed", err);
        return;
    }
    int64_t left = lk_leader_wait_left(m->leader_since_ms, fl_mono_ms(), s->opt->ttl_ms,
                                       s->opt->app_bugs & BUG_EARLY_GRANT);
    if (cmd.kind == LK_ACQUIRE && m->leader && left > 0) {
        snprintf(err, sizeof err, "a new leader waits out the old leases: %lld ms left",
                 (long long)left);
        rkv_reply_error(s, fl_srv_ref_of(c), l->id, "fail", "leader-waiting", err);
        return;
    }
    size_t len = 0;
    char *bytes = lk_cmd_encode(&cmd, &len);
    rkv_propose(s, c, l->id, bytes, len);
    free(bytes);
}

static void lockd_apply(void *sm, const raft_entry *e, rkv_applied *out) {
    lockd_sm *m = sm;
    if (e->type != RAFT_ENTRY_COMMAND) {
        *out = (rkv_applied){0};
        return;
    }
    lk_result r;
    lk_table_apply_bytes(&m->table, e->index, e->data, e->len, &r);
    /* What the reply says beyond the lease: who granted it, in which term, and how long
     * it had led (the report's "why two holders overlapped"). Only the proposer replies. */
    if (r.value && json_is_object(r.value)) {
        json_object_set_new(r.value, "node", json_string(m->opt->id));
        json_object_set_new(r.value, "term", json_integer((json_int_t)e->term));
        if (m->leader)
            json_object_set_new(r.value, "leader_for_ms",
                                json_integer(fl_mono_ms() - m->leader_since_ms));
    }
    *out = (rkv_applied){r.error, NULL, r.value};
}

static const json_t *lockd_get(void *sm, const char *ckey) {
    return lk_table_get(&((lockd_sm *)sm)->table, ckey);
}

static char *lockd_snapshot(const void *sm, size_t *len) {
    return lk_table_snapshot(&((const lockd_sm *)sm)->table, len);
}

static int lockd_restore(void *sm, const void *data, size_t len, uint64_t index, uint64_t term,
                         char *err, size_t err_bytes) {
    (void)index;
    (void)term;
    return lk_table_restore(&((lockd_sm *)sm)->table, data, len, err, err_bytes);
}

static size_t lockd_count(const void *sm) { return lk_table_count(&((const lockd_sm *)sm)->table); }

static const char lockd_usage[] =
    "usage: fl-lockd --id ID --listen HOST:PORT --peers ID=HOST:PORT,... --data-dir DIR\n"
    "                [--pidfile FILE] [--ttl-ms 1000] [--tick-ms 10] [--election-ticks 30]\n"
    "                [--heartbeat-ticks 5] [--snapshot-entries 10000] [--bug early-grant]\n"
    "A lock service: leases with fencing tokens (the grant's log index) in a lock table\n"
    "replicated by Raft over the N nodes of --peers (N <= 15). A lease lasts --ttl-ms by\n"
    "the leader's clock; a new leader grants nothing until the old leases surely expired.\n";

const rkv_app lockd_app = {
    .name = "fl-lockd",
    .usage = lockd_usage,
    .ops = &lockd_ops,
    .bugs = lockd_bugs,
    .create = lockd_create,
    .destroy = lockd_destroy,
    .request = lockd_request,
    .apply = lockd_apply,
    .get = lockd_get,
    .snapshot = lockd_snapshot,
    .restore = lockd_restore,
    .count = lockd_count,
    .role_changed = lockd_role_changed,
};
