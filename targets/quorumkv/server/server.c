/* fl-quorumkv's loop turns (see server.h): the dispatch of the lines fl_srv (the
 * connections, ../../common/srv.h) reads, replies to clients, the held list, and the
 * before-sleep hook that flushes output and runs the group commit. Connections are closed
 * only by fl_srv, in the loop (never from inside a line's handling, which only dooms them),
 * so no handler ever holds a freed connection. */
#include "server.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "pidfile.h"

#define QKV_COMMIT_ROUNDS_MAX 8 /* a write's commit can start its put, whose commit ends it */
#define QKV_PEER_ERRORS_LOGGED 3

/* ---- the held list: doubly linked, so a closing connection leaves it ---- */

void qkv_list_held_add(qkv_server *s, qkv_conn *c) {
    if (c->on_held) return;
    c->held_prev = NULL;
    c->held_next = s->held;
    if (s->held) s->held->held_prev = c;
    s->held = c;
    c->on_held = true;
}

static void held_remove(qkv_server *s, qkv_conn *c) {
    if (!c->on_held) return;
    if (c->held_prev) c->held_prev->held_next = c->held_next;
    else s->held = c->held_next;
    if (c->held_next) c->held_next->held_prev = c->held_prev;
    c->held_prev = c->held_next = NULL;
    c->on_held = false;
}

qkv_conn *qkv_list_held_pop(qkv_server *s) {
    qkv_conn *c = s->held;
    if (c) held_remove(s, c);
    return c;
}

/* ---- connections: what fl_srv does not know of ---- */

static void on_conn_opened(void *owner, fl_srv_conn *base) {
    (void)owner;
    fl_buf_init(&((qkv_conn *)base)->held, QKV_OUT_BYTES_MAX);
}

static void on_conn_freeing(void *owner, fl_srv_conn *base) {
    qkv_conn *c = (qkv_conn *)base;
    held_remove(owner, c);
    fl_buf_free(&c->held);
}

static void on_peer_lost(void *owner, size_t peer, const char *why) {
    qkv_coord_peer_lost(owner, peer, why);
}

static int on_hello(void *owner, fl_buf *out) {
    qkv_server *s = owner;
    return qkv_encode_hello(out, s->opt->id, s->opt->peer_count);
}

/* ---- replies to clients ---- */

void qkv_reply_ok(qkv_server *s, qkv_conn_ref to, const json_t *id, const json_t *value) {
    qkv_conn *c = qkv_conn_lookup(s, to);
    if (!c || c->base.doomed) return; /* the client left: nobody to tell */
    if (fl_reply_ok(&c->base.io.out, id, value, NULL) != 0)
        qkv_conn_doom(s, c, "send queue full: the client stopped reading");
    else qkv_conn_touch(s, c);
}

void qkv_reply_error(qkv_server *s, qkv_conn_ref to, const json_t *id, const char *type,
                     const char *error, const char *detail) {
    qkv_conn *c = qkv_conn_lookup(s, to);
    if (!c || c->base.doomed) return;
    if (fl_reply_error(&c->base.io.out, id, type, error, detail, NULL) != 0)
        qkv_conn_doom(s, c, "send queue full: the client stopped reading");
    else qkv_conn_touch(s, c);
}

/* ---- lines ---- */

static void handle(qkv_server *s, qkv_conn *c, const qkv_msg *m) {
    switch (m->kind) {
    case QKV_PING:
        if (fl_reply_ok(&c->base.io.out, m->id, NULL, s->opt->id) != 0)
            qkv_conn_doom(s, c, "send queue full: the client stopped reading");
        else qkv_conn_touch(s, c);
        break;
    case QKV_READ:
    case QKV_WRITE: qkv_coord_request(s, c, m); break;
    case QKV_HELLO: fl_srv_peer_hello(&s->srv, &c->base, m->from, m->peer_count); break;
    case QKV_GET: qkv_replica_get(s, qkv_conn_ref_of(c), m->rid, m->ckey); break;
    case QKV_PUT:
        qkv_replica_put(s, qkv_conn_ref_of(c), m->rid, m->ckey, m->ver, m->value);
        break;
    case QKV_GOT:
    case QKV_ACK: /* answers come back only on our own outgoing connections */
        if (c->base.peer_out >= 0)
            qkv_coord_reply(s, (size_t)c->base.peer_out, m->rid, m->kind, m->ver, m->value);
        break;
    case QKV_RECORD: assert(!"a record is never parsed from a connection"); break;
    }
}

static void on_line(void *owner, fl_srv_conn *base, char *line, size_t len) {
    qkv_server *s = owner;
    qkv_conn *c = (qkv_conn *)base;
    qkv_msg m;
    char err[QKV_ERR_BYTES] = "";
    qkv_parse_status st = qkv_parse(line, len, &m, err, sizeof err);
    if (st == QKV_PARSE_OK) {
        handle(s, c, &m);
    } else if (m.from_peer) { /* a peer's bug: there is no one to answer */
        if (c->base.peer_errors++ < QKV_PEER_ERRORS_LOGGED)
            fl_log("malformed peer message ignored: %s: %.200s", err, line);
    } else {
        qkv_reply_error(s, qkv_conn_ref_of(c), m.id, "fail",
                        st == QKV_PARSE_UNKNOWN_F ? "unknown-f" : "malformed", err);
    }
    qkv_msg_release(&m);
}

/* ---- the loop's turn ---- */

/* Before each sleep: send what is queued, then commit the iteration's puts and release
 * what waited for them, as long as commits start more work (bounded). */
static bool before_sleep(fl_loop *l, void *arg) {
    (void)l;
    qkv_server *s = arg;
    fl_srv_flush_touched(&s->srv);
    for (int round = 0; round < QKV_COMMIT_ROUNDS_MAX && qkv_replica_busy(s); round++) {
        qkv_replica_commit(s);
        fl_srv_flush_touched(&s->srv);
    }
    return qkv_replica_busy(s);
}

static const fl_srv_ops srv_ops = {
    .conn_bytes = sizeof(qkv_conn),
    .line_bytes_max = QKV_LINE_BYTES_MAX,
    .out_bytes_max = QKV_OUT_BYTES_MAX,
    .fds_max = QKV_FDS_MAX,
    .user_timeout_ms = QKV_USER_TIMEOUT_MS,
    .refuse_self_hello = false,
    .line = on_line,
    .hello = on_hello,
    .conn_opened = on_conn_opened,
    .conn_freeing = on_conn_freeing,
    .peer_lost = on_peer_lost,
};

int qkv_server_open(qkv_server *s, const qkv_options *o, char *err, size_t err_bytes) {
    memset(s, 0, sizeof *s);
    s->opt = o;
    fl_srv_init(&s->srv, &srv_ops, s, o->peers, o->peer_count, o->self);
    fl_buf_init(&s->scratch, QKV_LINE_BYTES_MAX * 2);
    s->rng = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid() ^ 1;
    qkv_store_init(&s->store);
    qkv_replica_init(s);
    qkv_coord_init(s);
    if (fl_srv_loop_open(&s->srv, QKV_OPS_MAX + QKV_PEERS_MAX + 8, err, err_bytes) != 0)
        return -1;
    s->wal_open = true; /* qkv_wal_open sets every field before anything can fail */
    if (qkv_wal_open(&s->wal, o->data_dir, &s->store, err, err_bytes) != 0) return -1;
    if (fl_srv_listen(&s->srv, &o->listen, o->listen_text, err, err_bytes) != 0) return -1;
    if (o->pidfile && fl_pidfile_write(o->pidfile, err, err_bytes) != 0) return -1;
    char bugs[96];
    fl_log("listening on %s as %s (node index %zu of %zu peers), w=%u r=%u, timeout %d ms, "
           "bugs: %s",
           o->listen_text, o->id, o->self, o->peer_count, o->w, o->r, o->timeout_ms,
           qkv_options_bugs(o, bugs, sizeof bugs));
    fl_srv_peers_start(&s->srv);
    fl_loop_set_hook(s->srv.loop, before_sleep, s);
    return 0;
}

int qkv_server_run(qkv_server *s) { return fl_srv_run(&s->srv); }

void qkv_server_close(qkv_server *s) {
    s->srv.stopping = true;
    fl_srv_peers_stop(&s->srv); /* timers are armed only once the loop exists */
    qkv_coord_free(s);
    fl_srv_close_all(&s->srv);
    if (s->wal_open) qkv_wal_close(&s->wal);
    qkv_replica_free(s);
    qkv_store_free(&s->store);
    fl_buf_free(&s->scratch);
    fl_srv_free(&s->srv);
}
