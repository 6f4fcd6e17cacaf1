/* This node's outgoing connections to its peers: one per peer, connected without blocking,
 * re-established with backoff (50 ms doubling to 1 s) when it breaks or a connect takes
 * longer than a second. Raft messages go out on them only (a peer's messages to us come on
 * its own connection); a message for a peer without a connection, or whose queue is full,
 * is dropped: the core resends what matters. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "net.h"
#include "server.h"

#define RKV_BACKOFF_MS_MIN 50
#define RKV_BACKOFF_MS_MAX 1000
#define RKV_CONNECT_TIMEOUT_MS 1000

static void retry_later(rkv_server *s, rkv_peer *p) {
    p->state = RKV_PEER_DOWN;
    fl_timer_arm(s->loop, &p->timer, fl_mono_ms() + p->backoff_ms);
    p->backoff_ms = p->backoff_ms * 2 > RKV_BACKOFF_MS_MAX ? RKV_BACKOFF_MS_MAX : p->backoff_ms * 2;
}

static void connect_peer(rkv_server *s, size_t i) {
    rkv_peer *p = &s->peers[i];
    const fl_peer_addr *a = &s->opt->peers[i];
    char err[160];
    int in_progress = 0;
    int fd = fl_tcp_connect(&a->addr, &in_progress, err, sizeof err);
    if (fd < 0) {
        rkv_peer_lost(s, i, err);
        return;
    }
    fl_tcp_user_timeout(fd, RKV_USER_TIMEOUT_MS);
    /* Even a connect that finished at once goes through connect_done: the socket is
     * writable, so the loop calls it next. */
    rkv_conn *c = rkv_conn_open(s, fd, (int)i, true);
    if (!c) {
        retry_later(s, p);
        return;
    }
    p->conn = c;
    p->state = RKV_PEER_CONNECTING;
    if (rkv_encode_hello(&c->io.out, s->opt->id, s->opt->peer_count) != 0)
        rkv_conn_doom(s, c, "cannot queue hello");
    fl_timer_arm(s->loop, &p->timer, fl_mono_ms() + RKV_CONNECT_TIMEOUT_MS);
}

static void on_peer_timer(fl_loop *l, fl_timer *t) {
    (void)l;
    rkv_peer *p = t->arg;
    rkv_server *s = p->server;
    size_t i = (size_t)(p - s->peers);
    if (p->state == RKV_PEER_DOWN) connect_peer(s, i);
    else if (p->state == RKV_PEER_CONNECTING) rkv_conn_close(s, p->conn, "connect timed out");
}

void rkv_peers_start(rkv_server *s) {
    for (size_t i = 0; i < s->opt->peer_count; i++) {
        rkv_peer *p = &s->peers[i];
        p->server = s;
        p->backoff_ms = RKV_BACKOFF_MS_MIN;
        fl_timer_init(&p->timer, on_peer_timer, p);
        if (i != s->opt->self) connect_peer(s, i);
    }
}

void rkv_peers_stop(rkv_server *s) {
    for (size_t i = 0; i < s->opt->peer_count; i++)
        if (s->peers[i].server) fl_timer_disarm(s->loop, &s->peers[i].timer);
}

void rkv_peer_send(rkv_server *s, const raft_msg *m) {
    if (m->to < 0 || (size_t)m->to >= s->opt->peer_count || (size_t)m->to == s->opt->self) return;
    rkv_peer *p = &s->peers[m->to];
    rkv_conn *c = p->conn;
    /* A connection still connecting queues too: the hello and these go once it is up. */
    if (!c || c->doomed || fl_buf_len(&c->io.out) > RKV_PEER_QUEUE_BYTES_MAX) {
        p->dropped++;
        return;
    }
    if (rkv_encode_raft(&c->io.out, m) != 0) {
        rkv_conn_doom(s, c, "send queue full: the peer stopped reading");
        return;
    }
    rkv_conn_touch(s, c);
}

void rkv_peer_connect_done(rkv_server *s, rkv_conn *c) {
    int e = fl_tcp_connect_result(c->io.fd);
    if (e != 0) {
        char why[160];
        snprintf(why, sizeof why, "connect %s: %s", s->opt->peers[c->peer_out].text, strerror(e));
        rkv_conn_close(s, c, why);
        return;
    }
    rkv_peer *p = &s->peers[c->peer_out];
    c->connecting = false;
    p->state = RKV_PEER_UP;
    p->backoff_ms = RKV_BACKOFF_MS_MIN;
    p->down_logged = false;
    fl_timer_disarm(s->loop, &p->timer);
    fl_log("peer %s (%s) connected", s->opt->peers[c->peer_out].name,
           s->opt->peers[c->peer_out].text);
    rkv_conn_touch(s, c); /* the hello and any messages queued meanwhile */
}

void rkv_peer_lost(rkv_server *s, size_t i, const char *why) {
    rkv_peer *p = &s->peers[i];
    bool was_up = p->state == RKV_PEER_UP;
    p->conn = NULL;
    p->state = RKV_PEER_DOWN;
    if (s->stopping) return;
    const fl_peer_addr *a = &s->opt->peers[i];
    if (was_up) fl_log("peer %s (%s) disconnected: %s; reconnecting", a->name, a->text, why);
    else if (!p->down_logged)
        fl_log("peer %s (%s) unreachable: %s; retrying every %d ms at most", a->name, a->text,
               why, RKV_BACKOFF_MS_MAX);
    p->down_logged = true;
    retry_later(s, p);
}

void rkv_peer_hello(rkv_server *s, rkv_conn *c, const rkv_line *l) {
    int index = -1;
    for (size_t i = 0; i < s->opt->peer_count; i++)
        if (!strcmp(s->opt->peers[i].name, l->from)) index = (int)i;
    if (index < 0 || (size_t)index == s->opt->self) {
        fl_log("a node calling itself '%.64s' connected, but it is not one of our peers", l->from);
        return;
    }
    if ((size_t)l->peer_count != s->opt->peer_count)
        fl_log("peer %s has %" PRId64 " peers and we have %zu: are the --peers lists the same?",
               l->from, l->peer_count, s->opt->peer_count);
    c->peer_in = index;
    fl_log("peer %s connected to us", l->from);
}

const char *rkv_leader_name(const rkv_server *s) {
    raft_status st;
    raft_status_get(s->raft, &st);
    return st.leader >= 0 && (size_t)st.leader < s->opt->peer_count ? s->opt->peers[st.leader].name
                                                                    : NULL;
}
