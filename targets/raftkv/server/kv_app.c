/* fl-raftkv's app on the Raft host (server.h): the key-value map of fsm.h as the state
 * machine; read through ReadIndex, write, cas, append and txn through the log.
 *
 * A transaction (f "txn", fsm.h) is one entry: the leader proposes it whole and the map
 * applies its micro-ops at once, all or nothing, when it commits; the reply is the
 * micro-ops with the reads filled in. Read-only transactions go through the log too (one
 * entry, no effect), so every txn is linearized at its entry.
 *
 * Its own seeded bugs (--bug, DESIGN.md "Targets"), each a code path of its own:
 *   dirty-read  a read-only txn is answered at once by a node that believes it leads,
 *               from its map with every entry of its log not yet committed applied on a
 *               layer over it (dirty_read): it sees writes that may never commit — a
 *               deposed leader's, cut off from the majority — and skips the ReadIndex
 *               round too.
 *   split-txn   a txn's micro-ops are proposed one entry each, the next only once the
 *               previous has applied (split_*): other txns' entries land between them,
 *               so a txn reads around others' writes (lost updates, read skew) and its
 *               later reads see others' writes after its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsm.h"
#include "options.h"
#include "server.h"

enum { KV_BUG_DIRTY_READ = 1u << 0, KV_BUG_SPLIT_TXN = 1u << 1 }; /* bits of opt->app_bugs */
static const char *const kv_bugs[] = {"dirty-read", "split-txn", NULL};

#define KV_SPLITS_MAX 4096 /* split-txn: transactions under way on this node */

/* split-txn: a transaction whose parts are proposed one after another. */
typedef struct kv_split {
    uint64_t index, term;   /* the part proposed last, waiting for its entry to apply */
    size_t next;            /* micro-ops proposed so far */
    json_t *ops, *done;     /* its micro-ops; the filled ones of the parts applied */
    rkv_conn_ref client;
    json_t *id;             /* reference, or NULL */
} kv_split;

typedef struct kv_sm {
    rkv_fsm fsm;
    unsigned bugs;
    rkv_server *s;          /* split-txn: the host, to propose parts and reply from apply */
    kv_split *splits;
    size_t n_splits;
} kv_sm;

static void *kv_create(const rkv_options *o) {
    kv_sm *sm = calloc(1, sizeof *sm);
    if (!sm) abort();
    rkv_fsm_init(&sm->fsm);
    sm->bugs = o->app_bugs;
    return sm;
}

static void split_free(kv_split *x) {
    json_decref(x->ops);
    json_decref(x->done);
    json_decref(x->id);
}

static void kv_destroy(void *p) {
    kv_sm *sm = p;
    if (!sm) return;
    for (size_t i = 0; i < sm->n_splits; i++) split_free(&sm->splits[i]);
    free(sm->splits);
    rkv_fsm_free(&sm->fsm);
    free(sm);
}

/* ---- dirty-read ---- */

/* The bug: a read-only txn answered from the log as this node holds it, committed or not. */
static void dirty_read(rkv_server *s, kv_sm *sm, rkv_conn_ref to, const rkv_line *l) {
    raft_status st;
    raft_status_get(s->raft, &st);
    if (st.role != RAFT_LEADER) {
        rkv_reply_not_leader(s, to, l->id);
        return;
    }
    rkv_fsm spec; /* the map, then every entry after the applied one that the log holds */
    rkv_fsm_init_layer(&spec, &sm->fsm);
    for (uint64_t i = sm->fsm.applied + 1; i <= st.last_index; i++) {
        const raft_entry *e = raft_log_at(s->raft, i);
        if (!e) break;
        rkv_fsm_apply(&spec, e);
    }
    json_t *value = NULL;
    rkv_result r = rkv_fsm_txn(&spec, l->value, &value);
    if (r == RKV_APPLIED) rkv_reply_ok(s, to, l->id, value);
    else rkv_reply_error(s, to, l->id, "fail", rkv_result_error(r), NULL);
    json_decref(value);
    rkv_fsm_free(&spec);
}

/* ---- split-txn ---- */

static int split_propose(rkv_server *s, const json_t *ops, size_t i, raft_ticket *t, size_t *len) {
    *len = 0;
    char *cmd = rkv_txn_part_encode(ops, i, len);
    int rc = rkv_propose_raw(s, cmd, *len, t);
    free(cmd);
    return rc;
}

static void split_start(rkv_server *s, kv_sm *sm, rkv_conn_ref to, const rkv_line *l) {
    if (sm->n_splits == KV_SPLITS_MAX) {
        rkv_reply_error(s, to, l->id, "fail", "overloaded", "too many split txns under way");
        return;
    }
    raft_ticket t;
    size_t len;
    int rc = split_propose(s, l->value, 0, &t, &len);
    if (rc != RAFT_OK) {
        rkv_reply_propose_error(s, to, l->id, rc, len);
        return;
    }
    if (!sm->splits && !(sm->splits = calloc(KV_SPLITS_MAX, sizeof *sm->splits))) abort();
    json_t *done = json_array();
    if (!done) abort();
    sm->splits[sm->n_splits++] = (kv_split){t.index, t.term, 1, json_incref(l->value), done, to,
                                            l->id ? json_incref(l->id) : NULL};
    sm->s = s;
}

/* x's txn ended part way: micro-ops before the next took effect, so never fail. */
static void split_partial(rkv_server *s, const kv_split *x, const char *why) {
    char detail[160];
    snprintf(detail, sizeof detail, "micro-ops 0-%zu took effect as entries of their own; "
             "then %s", x->next - 2, why);
    rkv_reply_error(s, x->client, x->id, "info", "partial", detail);
}

/* Settles x after the entry at its part's index applied (r, value): false while more
 * parts remain (the next one proposed). Once a part took effect the txn is partly done,
 * so any later failure is info (partial), never fail. */
static bool split_step(kv_sm *sm, kv_split *x, const raft_entry *e, rkv_result r,
                       const json_t *value) {
    rkv_server *s = sm->s;
    bool first = x->next == 1;
    if (x->index < e->index) { /* a snapshot covered it */
        rkv_reply_error(s, x->client, x->id, "info", "unknown",
                        "a snapshot from the leader covered its index: its fate is unknown here");
    } else if (x->term != e->term) {
        if (first)
            rkv_reply_error(s, x->client, x->id, "fail", "lost-leadership",
                            "another leader's entry took its place in the log");
        else split_partial(s, x, "another leader's entry took the next one's place");
    } else if (r != RKV_APPLIED) {
        if (first) rkv_reply_error(s, x->client, x->id, "fail", rkv_result_error(r), NULL);
        else split_partial(s, x, rkv_result_error(r));
    } else {
        if (json_array_append(x->done, json_array_get(value, 0)) != 0) abort();
        if (x->next == json_array_size(x->ops)) {
            rkv_reply_ok(s, x->client, x->id, x->done);
            return true;
        }
        raft_ticket t;
        size_t len;
        int rc = split_propose(s, x->ops, x->next, &t, &len);
        if (rc == RAFT_OK) {
            x->index = t.index;
            x->term = t.term;
            x->next++;
            return false;
        }
        x->next++; /* this part took effect too */
        split_partial(s, x, rc == RAFT_ENOTLEADER ? "this node no longer leads" : "the log is full");
    }
    return true;
}

static void split_applied(kv_sm *sm, const raft_entry *e, rkv_result r, const json_t *value) {
    for (size_t i = 0; i < sm->n_splits;) {
        kv_split *x = &sm->splits[i];
        if (x->index > e->index || !split_step(sm, x, e, r, value)) {
            i++;
            continue;
        }
        split_free(x);
        *x = sm->splits[--sm->n_splits]; /* order does not matter: each waits on its index */
    }
}

/* ---- the app's hooks ---- */

static const rkv_cmd_kind cmd_of_f[] = {[RKV_F_WRITE] = RKV_CMD_WRITE, [RKV_F_CAS] = RKV_CMD_CAS,
                                        [RKV_F_APPEND] = RKV_CMD_APPEND, [RKV_F_TXN] = RKV_CMD_TXN};

static void kv_request(rkv_server *s, rkv_conn *c, const rkv_line *l) {
    kv_sm *sm = s->sm;
    char err[RKV_ERR_BYTES];
    if (l->f == RKV_F_READ) {
        rkv_read_start(s, c, l->id, l->ckey);
        return;
    }
    if (l->f == RKV_F_TXN) {
        if (rkv_txn_check(l->value, err, sizeof err)) {
            rkv_reply_error(s, fl_srv_ref_of(c), l->id, "fail", "malformed", err);
            return;
        }
        if ((sm->bugs & KV_BUG_DIRTY_READ) && rkv_txn_read_only(l->value)) {
            dirty_read(s, sm, fl_srv_ref_of(c), l);
            return;
        }
        if (sm->bugs & KV_BUG_SPLIT_TXN) {
            split_start(s, sm, fl_srv_ref_of(c), l);
            return;
        }
    }
    size_t len = 0;
    char *cmd = rkv_command_encode(cmd_of_f[l->f], l->key, l->value, &len);
    rkv_propose(s, c, l->id, cmd, len);
    free(cmd);
}

static void kv_apply(void *p, const raft_entry *e, rkv_applied *out) {
    kv_sm *sm = p;
    json_t *value = NULL;
    rkv_result r = rkv_fsm_apply_value(&sm->fsm, e, &value);
    if (sm->n_splits) split_applied(sm, e, r, value);
    *out = (rkv_applied){rkv_result_error(r), NULL, value};
}

static const json_t *kv_get(void *p, const char *ckey) { return rkv_fsm_get(&((kv_sm *)p)->fsm, ckey); }

static char *kv_snapshot(const void *p, size_t *len) {
    return rkv_fsm_snapshot(&((const kv_sm *)p)->fsm, len);
}

static int kv_restore(void *p, const void *data, size_t len, uint64_t index, uint64_t term,
                      char *err, size_t err_bytes) {
    return rkv_fsm_restore(&((kv_sm *)p)->fsm, data, len, index, term, err, err_bytes);
}

static size_t kv_count(const void *p) { return rkv_fsm_keys(&((const kv_sm *)p)->fsm); }

const rkv_app rkv_kv_app = {
    .name = "fl-raftkv",
    .usage = rkv_usage,
    .ops = &rkv_kv_ops,
    .bugs = kv_bugs,
    .create = kv_create,
    .destroy = kv_destroy,
    .request = kv_request,
    .apply = kv_apply,
    .get = kv_get,
    .snapshot = kv_snapshot,
    .restore = kv_restore,
    .count = kv_count,
};
