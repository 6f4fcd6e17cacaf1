/* The coordinator: multi-writer ABD over the N replicas, for the clients of this node.
 *   write(k,v): phase 1 gets k's version from R replicas and takes the highest counter c;
 *               phase 2 puts (k, (c+1, my index), v) and waits for W acks; then ok.
 *   read(k):    phase 1 gets (version, value) from R replicas and keeps the highest;
 *               phase 2 writes it back to W replicas; then ok with the value. Phase 2 is
 *               skipped when W of the answers already carry that version (it is on a
 *               write quorum already: writing it back would change nothing).
 * R = W = majority by default, so any two quorums meet: linearizable.
 * Outcomes: phase 1 failing (no quorum in time, or too few replicas reachable) is `fail`:
 * nothing was written. Phase 2 failing is `info`: some replicas may hold the put.
 * Seeded bugs, each a path of its own:
 *   stale-quorum:   W = R = 1, and each phase goes to only that many random replicas, so
 *                   a read can miss the latest write entirely;
 *   no-write-back:  reads end after phase 1, so a later read can see an older value;
 *   wall-clock-lww: writes skip phase 1 and use (CLOCK_REALTIME in µs, my index): a node
 *                   whose clock is behind writes versions the replicas ignore, yet acks. */
#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "server.h"

static void on_deadline(fl_loop *l, fl_timer *t);

void qkv_coord_init(qkv_server *s) {
    s->ops = calloc(QKV_OPS_MAX, sizeof *s->ops);
    s->ops_free = calloc(QKV_OPS_MAX, sizeof *s->ops_free);
    if (!s->ops || !s->ops_free) abort();
    for (size_t i = 0; i < QKV_OPS_MAX; i++) {
        s->ops[i].server = s;
        s->ops[i].rid = -1;
        fl_timer_init(&s->ops[i].timer, on_deadline, &s->ops[i]);
        s->ops_free[i] = (uint32_t)(QKV_OPS_MAX - 1 - i); /* slot 0 is used first */
    }
    s->ops_free_count = QKV_OPS_MAX;
}

static void op_release(qkv_server *s, qkv_op *op) {
    assert(op->kind != QKV_OP_FREE);
    assert(s->ops_free_count < QKV_OPS_MAX);
    fl_timer_disarm(s->srv.loop, &op->timer);
    json_decref(op->client_id);
    json_decref(op->value);
    free(op->ckey);
    op->client_id = op->value = NULL;
    op->ckey = NULL;
    op->kind = QKV_OP_FREE;
    op->rid = -1;
    s->ops_free[s->ops_free_count++] = (uint32_t)(op - s->ops);
}

void qkv_coord_free(qkv_server *s) {
    if (!s->ops) return;
    for (size_t i = 0; i < QKV_OPS_MAX; i++)
        if (s->ops[i].kind != QKV_OP_FREE) op_release(s, &s->ops[i]);
    free(s->ops);
    free(s->ops_free);
    s->ops = NULL;
    s->ops_free = NULL;
}

static uint64_t next_random(qkv_server *s) { /* xorshift64* */
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return s->rng * 0x2545F4914F6CDD1Dull;
}

/* The replicas a phase asks: all of them, or (stale-quorum) k chosen at random. */
static uint64_t phase_targets(qkv_server *s, unsigned k) {
    size_t n = s->opt->peer_count;
    uint64_t all = n == 64 ? ~0ull : (1ull << n) - 1;
    if (!s->opt->bug_stale_quorum || k >= n) return all;
    size_t order[QKV_PEERS_MAX];
    for (size_t i = 0; i < n; i++) order[i] = i;
    uint64_t chosen = 0;
    for (size_t j = 0; j < k; j++) { /* a partial Fisher-Yates shuffle */
        size_t r = j + (size_t)(next_random(s) % (n - j));
        size_t t = order[j];
        order[j] = order[r];
        order[r] = t;
        chosen |= 1ull << order[j];
    }
    return chosen;
}

static const char *op_name(const qkv_op *op) { return op->kind == QKV_OP_READ ? "read" : "write"; }

/* The phase cannot (or did not) reach its quorum: end the operation. */
static void phase_failed(qkv_server *s, qkv_op *op, const char *why) {
    char detail[320];
    snprintf(detail, sizeof detail, "%s phase %d (%s): %d of %u replies needed: %s",
             op_name(op), op->phase, op->phase == 1 ? "get" : "put",
             __builtin_popcountll(op->replied), op->need, why);
    /* Phase 1 only read: certainly no effect. Phase 2 may have reached some replicas. */
    qkv_reply_error(s, op->client, op->client_id, op->phase == 1 ? "fail" : "info",
                    "no-quorum", detail);
    op_release(s, op);
}

static void on_deadline(fl_loop *l, fl_timer *t) {
    (void)l;
    qkv_op *op = t->arg;
    char why[64];
    snprintf(why, sizeof why, "timed out after %d ms", op->server->opt->timeout_ms);
    phase_failed(op->server, op, why);
}

/* Sends this phase's request (get, or put of op->ver/op->value) to its replicas. */
static void start_phase(qkv_server *s, qkv_op *op, int phase) {
    const qkv_options *o = s->opt;
    size_t slot = (size_t)(op - s->ops);
    op->phase = phase;
    op->rid = ++s->op_seq * QKV_OPS_MAX + (int64_t)slot;
    op->sent = op->replied = 0;
    op->at_best = 0;
    op->need = phase == 1 ? o->r : o->w;
    op->started_ms = fl_mono_ms();
    int armed = fl_timer_arm(s->srv.loop, &op->timer, op->started_ms + o->timeout_ms);
    assert(armed == 0); /* the loop has a timer slot per op */
    (void)armed;
    fl_buf_clear(&s->scratch);
    int encoded = phase == 1 ? qkv_encode_get(&s->scratch, op->rid, op->ckey)
                             : qkv_encode_put(&s->scratch, op->rid, op->ckey, op->ver, op->value);
    assert(encoded == 0); /* a key and a value that came in one line fit in two */
    (void)encoded;
    uint64_t targets = phase_targets(s, op->need);
    for (size_t i = 0; i < o->peer_count; i++) {
        if (!(targets & (1ull << i))) continue;
        if (i == o->self) {
            if (phase == 1) qkv_replica_get(s, QKV_TO_SELF, op->rid, op->ckey);
            else qkv_replica_put(s, QKV_TO_SELF, op->rid, op->ckey, op->ver, op->value);
            op->sent |= 1ull << i;
        } else if (qkv_peer_send(s, i, fl_buf_bytes(&s->scratch), fl_buf_len(&s->scratch)) == 0) {
            op->sent |= 1ull << i;
        }
    }
    if ((unsigned)__builtin_popcountll(op->sent) < op->need)
        phase_failed(s, op, "too few replicas reachable");
}

static void reply_read(qkv_server *s, qkv_op *op) {
    qkv_reply_ok(s, op->client, op->client_id, op->value ? op->value : json_null());
    op_release(s, op);
}

/* The phase has its quorum: go on to the next one, or answer the client. */
static void phase_done(qkv_server *s, qkv_op *op) {
    const qkv_options *o = s->opt;
    if (op->kind == QKV_OP_WRITE && op->phase == 1) {
        op->ver = (qkv_version){op->ver.counter + 1, (int64_t)o->self};
        start_phase(s, op, 2);
    } else if (op->kind == QKV_OP_WRITE) {
        qkv_reply_ok(s, op->client, op->client_id, NULL);
        op_release(s, op);
    } else if (op->phase == 2 || o->bug_no_write_back) {
        reply_read(s, op);
    } else if (op->ver.counter == 0) {
        reply_read(s, op); /* never written where it asked: nothing to write back (null) */
    } else if (op->at_best >= o->w && !o->bug_stale_quorum) {
        reply_read(s, op); /* already on a write quorum (stale-quorum writes back at random) */
    } else {
        start_phase(s, op, 2);
    }
}

void qkv_coord_request(qkv_server *s, qkv_conn *client, const qkv_msg *m) {
    assert(m->kind == QKV_READ || m->kind == QKV_WRITE);
    qkv_conn_ref to = qkv_conn_ref_of(client);
    /* The put must fit in a peer's line: jansson's encoding of a value can be longer than
     * the client's (0.1 becomes 0.10000000000000001). */
    size_t value_bytes = m->kind == QKV_WRITE
                             ? json_dumpb(m->value, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY) : 0;
    if (value_bytes + strlen(m->ckey) + QKV_PUT_FRAME_BYTES > QKV_LINE_BYTES_MAX) {
        char detail[128];
        snprintf(detail, sizeof detail, "the value takes %zu bytes as JSON: more than a put "
                 "line of %zu bytes can carry", value_bytes, QKV_LINE_BYTES_MAX);
        qkv_reply_error(s, to, m->id, "fail", "malformed", detail);
        return;
    }
    if (s->ops_free_count == 0) {
        qkv_reply_error(s, to, m->id, "fail", "overloaded",
                        "too many operations in flight on this node: retry later");
        return;
    }
    qkv_op *op = &s->ops[s->ops_free[--s->ops_free_count]];
    assert(op->kind == QKV_OP_FREE);
    op->kind = m->kind == QKV_WRITE ? QKV_OP_WRITE : QKV_OP_READ;
    op->client_id = json_incref(m->id);
    op->client = to;
    op->ckey = strdup(m->ckey);
    if (!op->ckey) abort();
    op->value = m->kind == QKV_WRITE ? json_incref(m->value) : NULL;
    op->ver = (qkv_version){0, 0};
    if (m->kind == QKV_WRITE && s->opt->bug_wall_clock_lww) {
        struct timespec now; /* the node's wall clock, skewed by the clock shim if any */
        clock_gettime(CLOCK_REALTIME, &now);
        int64_t us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
        op->ver = (qkv_version){us > 0 ? us : 1, (int64_t)s->opt->self};
        start_phase(s, op, 2);
        return;
    }
    start_phase(s, op, 1);
}

void qkv_coord_reply(qkv_server *s, size_t from, int64_t rid, qkv_kind kind, qkv_version v,
                     json_t *value) {
    assert(from < s->opt->peer_count);
    assert(rid >= 0);
    qkv_op *op = &s->ops[rid % QKV_OPS_MAX];
    uint64_t bit = 1ull << from;
    if (op->kind == QKV_OP_FREE || op->rid != rid) return; /* late: a phase that ended */
    if (!(op->sent & bit) || (op->replied & bit)) return;
    if ((kind == QKV_GOT) != (op->phase == 1)) return;
    op->replied |= bit;
    if (kind == QKV_GOT) {
        int cmp = qkv_version_cmp(v, op->ver);
        if (cmp > 0 && op->kind == QKV_OP_READ) {
            json_decref(op->value);
            op->value = json_incref(value);
        }
        if (cmp > 0) {
            op->ver = v;
            op->at_best = 1;
        } else if (cmp == 0) {
            op->at_best++;
        }
    }
    if ((unsigned)__builtin_popcountll(op->replied) >= op->need) phase_done(s, op);
}

void qkv_coord_peer_lost(qkv_server *s, size_t peer, const char *why) {
    uint64_t bit = 1ull << peer;
    char reason[224];
    snprintf(reason, sizeof reason, "lost %s: %s", s->opt->peers[peer].name, why);
    for (size_t i = 0; i < QKV_OPS_MAX; i++) {
        qkv_op *op = &s->ops[i];
        if (op->kind == QKV_OP_FREE || !(op->sent & bit) || (op->replied & bit)) continue;
        op->sent &= ~bit;
        if ((unsigned)__builtin_popcountll(op->sent) < op->need) phase_failed(s, op, reason);
    }
}
