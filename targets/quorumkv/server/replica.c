/* The replica: answers get and put from any coordinator (this node's by a local call),
 * applying a put only if its version is higher than the one held. Every answer is held
 * until the group commit of the loop iteration that produced it: the iteration's applied
 * puts are written to the log with one fdatasync, and only then do the answers leave (or
 * reach this node's coordinator). So no coordinator ever counts, or reads, a put that a
 * SIGKILL could still take back. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "server.h"

void qkv_replica_init(qkv_server *s) {
    s->self = calloc(QKV_SELF_REPLIES_MAX, sizeof *s->self);
    s->self_spare = calloc(QKV_SELF_REPLIES_MAX, sizeof *s->self_spare);
    if (!s->self || !s->self_spare) abort();
    s->self_count = 0;
}

void qkv_replica_free(qkv_server *s) {
    for (size_t i = 0; i < s->self_count; i++) json_decref(s->self[i].value);
    free(s->self);
    free(s->self_spare);
    s->self = s->self_spare = NULL;
    s->self_count = 0;
}

static void hold_for_self(qkv_server *s, int64_t rid, qkv_kind kind, qkv_version v,
                          json_t *value) {
    if (s->self_count == QKV_SELF_REPLIES_MAX) { /* the operation will time out */
        if (!s->self_full_logged) fl_log("local replies dropped: more than %d in one turn",
                                         QKV_SELF_REPLIES_MAX);
        s->self_full_logged = true;
        return;
    }
    s->self[s->self_count++] = (qkv_self_reply){rid, kind, v, json_incref(value)};
}

/* The connection to answer on, or NULL when it is gone (then nobody is waiting). */
static qkv_conn *answer_to(qkv_server *s, qkv_conn_ref to) {
    qkv_conn *c = qkv_conn_lookup(s, to);
    return c && !c->base.doomed ? c : NULL;
}

static void held_or_doom(qkv_server *s, qkv_conn *c, int encoded) {
    if (encoded != 0) qkv_conn_doom(s, c, "reply queue full: the coordinator stopped reading");
    else qkv_list_held_add(s, c);
}

void qkv_replica_get(qkv_server *s, qkv_conn_ref to, int64_t rid, const char *ckey) {
    const qkv_entry *e = qkv_store_get(&s->store, ckey);
    qkv_version v = e ? e->ver : (qkv_version){0, 0};
    json_t *value = e ? e->value : json_null();
    if (to.fd < 0) {
        hold_for_self(s, rid, QKV_GOT, v, value);
        return;
    }
    qkv_conn *c = answer_to(s, to);
    if (c) held_or_doom(s, c, qkv_encode_got(&c->held, rid, v, value));
}

static void die_undurable(const char *err) {
    fl_log("cannot make puts durable: %s; exiting without acknowledging them", err);
    _exit(1); /* like a crash: nothing of the batch was acknowledged */
}

void qkv_replica_put(qkv_server *s, qkv_conn_ref to, int64_t rid, const char *ckey,
                     qkv_version v, json_t *value) {
    qkv_put_result r = qkv_store_put(&s->store, ckey, v, value);
    if (r == QKV_FULL) { /* no ack: the coordinator's phase goes on without this replica */
        if (!s->store_full_logged) fl_log("put refused: more than %u keys", QKV_STORE_KEYS_MAX);
        s->store_full_logged = true;
        return;
    }
    if (r == QKV_APPLIED && qkv_wal_append(&s->wal, ckey, v, value) != 0) {
        char err[256]; /* the batch is full: commit it now, then queue this one */
        if (qkv_wal_commit(&s->wal, err, sizeof err) != 0) die_undurable(err);
        if (qkv_wal_append(&s->wal, ckey, v, value) != 0) die_undurable("a record too large");
    }
    /* A stale put is acknowledged too (we hold a higher version), but after the commit:
     * the higher version may be in this very batch. */
    if (to.fd < 0) {
        hold_for_self(s, rid, QKV_ACK, v, NULL);
        return;
    }
    qkv_conn *c = answer_to(s, to);
    if (c) held_or_doom(s, c, qkv_encode_ack(&c->held, rid));
}

bool qkv_replica_busy(const qkv_server *s) {
    return qkv_wal_pending(&s->wal) || s->held || s->self_count > 0;
}

void qkv_replica_commit(qkv_server *s) {
    char err[256];
    if (qkv_wal_pending(&s->wal) && qkv_wal_commit(&s->wal, err, sizeof err) != 0)
        die_undurable(err);
    qkv_conn *c;
    for (size_t turn = 0; turn < s->srv.conns_max && (c = qkv_list_held_pop(s)); turn++) {
        qkv_conn_send(s, c, fl_buf_bytes(&c->held), fl_buf_len(&c->held));
        fl_buf_clear(&c->held);
    }
    /* Local replies: the coordinator may start phases that hold new ones, for next round. */
    qkv_self_reply *batch = s->self;
    size_t n = s->self_count;
    s->self = s->self_spare;
    s->self_spare = batch;
    s->self_count = 0;
    for (size_t i = 0; i < n; i++) {
        qkv_coord_reply(s, s->opt->self, batch[i].rid, batch[i].kind, batch[i].ver,
                        batch[i].value);
        json_decref(batch[i].value);
    }
}
