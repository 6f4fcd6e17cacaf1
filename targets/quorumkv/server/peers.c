/* This node's outgoing connections to its peers: one per peer, connected without blocking,
 * re-established with backoff (50 ms doubling to 1 s) when it breaks or a connect takes
 * longer than a second. Requests to a peer without a connection are not sent at all; those
 * in flight on a connection that breaks are lost, and the coordinator is told, so a phase
 * that can no longer reach its quorum ends at once instead of at its deadline. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "net.h"
#include "server.h"

#define QKV_BACKOFF_MS_MIN 50
#define QKV_BACKOFF_MS_MAX 1000
#define QKV_CONNECT_TIMEOUT_MS 1000

static void retry_later(qkv_server *s, qkv_peer *p) {
    p->state = QKV_PEER_DOWN;
    fl_timer_arm(s->loop, &p->timer, fl_mono_ms() + p->backoff_ms);
    p->backoff_ms = p->backoff_ms * 2 > QKV_BACKOFF_MS_MAX ? QKV_BACKOFF_MS_MAX : p->backoff_ms * 2;
}

static void connect_peer(qkv_server *s, size_t i) {
    qkv_peer *p = &s->peers[i];
    const fl_peer_addr *a = &s->opt->peers[i];
    char err[160];
    int in_progress = 0;
    int fd = fl_tcp_connect(&a->addr, &in_progress, err, sizeof err);
    if (fd < 0) {
        qkv_peer_lost(s, i, err);
        return;
    }
    fl_tcp_user_timeout(fd, QKV_USER_TIMEOUT_MS);
    /* Even a connect that finished at once goes through connect_done: the socket is
     * writable, so the loop calls it next. */
    qkv_conn *c = qkv_conn_open(s, fd, (int)i, true);
    if (!c) {
        retry_later(s, p);
        return;
    }
    p->conn = c;
    p->state = QKV_PEER_CONNECTING;
    if (qkv_encode_hello(&c->io.out, s->opt->id, s->opt->peer_count) != 0)
        qkv_conn_doom(s, c, "cannot queue hello");
    fl_timer_arm(s->loop, &p->timer, fl_mono_ms() + QKV_CONNECT_TIMEOUT_MS);
}

static void on_peer_timer(fl_loop *l, fl_timer *t) {
    (void)l;
    qkv_peer *p = t->arg;
    qkv_server *s = p->server;
    size_t i = (size_t)(p - s->peers);
    if (p->state == QKV_PEER_DOWN) connect_peer(s, i);
    else if (p->state == QKV_PEER_CONNECTING) qkv_conn_close(s, p->conn, "connect timed out");
}

void qkv_peers_start(qkv_server *s) {
    for (size_t i = 0; i < s->opt->peer_count; i++) {
        qkv_peer *p = &s->peers[i];
        p->server = s;
        p->backoff_ms = QKV_BACKOFF_MS_MIN;
        fl_timer_init(&p->timer, on_peer_timer, p);
        if (i != s->opt->self) connect_peer(s, i);
    }
}

void qkv_peers_stop(qkv_server *s) {
    for (size_t i = 0; i < s->opt->peer_count; i++)
        if (s->peers[i].server) fl_timer_disarm(s->loop, &s->peers[i].timer);
}

int qkv_peer_send(qkv_server *s, size_t peer, const void *bytes, size_t n) {
    qkv_peer *p = &s->peers[peer];
    if (!p->conn) return -1;
    return qkv_conn_send(s, p->conn, bytes, n);
}

void qkv_peer_connect_done(qkv_server *s, qkv_conn *c) {
    int e = fl_tcp_connect_result(c->io.fd);
    if (e != 0) {
        char why[160];
        snprintf(why, sizeof why, "connect %s: %s", s->opt->peers[c->peer_out].text, strerror(e));
        qkv_conn_close(s, c, why);
        return;
    }
    qkv_peer *p = &s->peers[c->peer_out];
    c->connecting = false;
    p->state = QKV_PEER_UP;
    p->backoff_ms = QKV_BACKOFF_MS_MIN;
    p->down_logged = false;
    fl_timer_disarm(s->loop, &p->timer);
    fl_log("peer %s (%s) connected", s->opt->peers[c->peer_out].name,
           s->opt->peers[c->peer_out].text);
    qkv_conn_touch(s, c); /* the hello and any requests queued meanwhile */
}

void qkv_peer_lost(qkv_server *s, size_t i, const char *why) {
    qkv_peer *p = &s->peers[i];
    bool was_up = p->state == QKV_PEER_UP;
    p->conn = NULL;
    p->state = QKV_PEER_DOWN;
    if (s->stopping) return;
    const fl_peer_addr *a = &s->opt->peers[i];
    if (was_up) fl_log("peer %s (%s) disconnected: %s; reconnecting", a->name, a->text, why);
    else if (!p->down_logged)
        fl_log("peer %s (%s) unreachable: %s; retrying every %d ms at most", a->name, a->text,
               why, QKV_BACKOFF_MS_MAX);
    p->down_logged = true;
    retry_later(s, p);
    qkv_coord_peer_lost(s, i, why);
}

void qkv_peer_hello(qkv_server *s, qkv_conn *c, const qkv_msg *m) {
    int index = -1;
    for (size_t i = 0; i < s->opt->peer_count; i++)
        if (!strcmp(s->opt->peers[i].name, m->from)) index = (int)i;
    if (index < 0) {
        fl_log("a node calling itself '%.64s' connected, but it is not in --peers", m->from);
        return;
    }
    if ((size_t)m->peer_count != s->opt->peer_count)
        fl_log("peer %s has %" PRId64 " peers and we have %zu: are the --peers lists the same?",
               m->from, m->peer_count, s->opt->peer_count);
    c->peer_in = index;
    fl_log("peer %s connected to us", m->from);
}
