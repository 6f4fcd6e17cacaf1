/* A node's connections (see srv.h). */
#include "srv.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"
#include "net.h"

#define ACCEPTS_PER_EVENT 64
#define ACCEPT_PAUSE_MS 100
#define BACKOFF_MS_MIN 50
#define BACKOFF_MS_MAX 1000
#define CONNECT_TIMEOUT_MS 1000

static void peer_lost(fl_srv *srv, size_t i, const char *why);
static void peer_connect_done(fl_srv *srv, fl_srv_conn *c);

/* ---- the touched list: doubly linked, so a closing connection leaves it ---- */

static void touched_remove(fl_srv *srv, fl_srv_conn *c) {
    if (!c->on_touched) return;
    if (c->touched_prev) c->touched_prev->touched_next = c->touched_next;
    else srv->touched = c->touched_next;
    if (c->touched_next) c->touched_next->touched_prev = c->touched_prev;
    c->touched_prev = c->touched_next = NULL;
    c->on_touched = false;
}

void fl_srv_touch(fl_srv *srv, fl_srv_conn *c) {
    if (c->on_touched) return;
    c->touched_prev = NULL;
    c->touched_next = srv->touched;
    if (srv->touched) srv->touched->touched_prev = c;
    srv->touched = c;
    c->on_touched = true;
}

/* ---- connections ---- */

fl_srv_conn *fl_srv_lookup(const fl_srv *srv, fl_srv_ref ref) {
    if (ref.fd < 0 || (size_t)ref.fd >= srv->conns_max) return NULL;
    fl_srv_conn *c = srv->conns[ref.fd];
    return c && c->gen == ref.gen ? c : NULL;
}

void fl_srv_doom(fl_srv *srv, fl_srv_conn *c, const char *why) {
    if (!c->doomed) snprintf(c->doom_why, sizeof c->doom_why, "%s", why);
    c->doomed = true;
    fl_srv_touch(srv, c); /* the flush closes it */
}

int fl_srv_send(fl_srv *srv, fl_srv_conn *c, const void *bytes, size_t n) {
    if (c->doomed) return -1;
    if (fl_conn_send(&c->io, bytes, n) != 0) {
        fl_srv_doom(srv, c, "send queue full: the other side stopped reading");
        return -1;
    }
    fl_srv_touch(srv, c);
    return 0;
}

static void set_out_interest(fl_srv *srv, fl_srv_conn *c, bool want) {
    if (c->want_out == want) return;
    char err[160];
    if (fl_loop_mod(srv->loop, c->io.fd, EPOLLIN | (want ? EPOLLOUT : 0), err, sizeof err) != 0) {
        fl_srv_doom(srv, c, err);
        return;
    }
    c->want_out = want;
}

static void flush_conn(fl_srv *srv, fl_srv_conn *c) {
    char err[160];
    int rc = fl_conn_flush(&c->io, err, sizeof err);
    if (rc < 0) fl_srv_doom(srv, c, err);
    else set_out_interest(srv, c, rc == 1);
}

static void conn_free(fl_srv *srv, fl_srv_conn *c) {
    fl_conn_close(&c->io);
    if (srv->ops->conn_freeing) srv->ops->conn_freeing(srv->owner, c);
    free(c);
}

void fl_srv_close(fl_srv *srv, fl_srv_conn *c, const char *why_in) {
    assert(srv->conns[c->io.fd] == c);
    char why[160]; /* why_in may point into c */
    snprintf(why, sizeof why, "%s", why_in);
    touched_remove(srv, c);
    fl_loop_del(srv->loop, c->io.fd);
    srv->conns[c->io.fd] = NULL;
    int peer_out = c->peer_out, peer_in = c->peer_in;
    conn_free(srv, c);
    if (peer_in >= 0 && !srv->stopping)
        fl_log("peer %s: its connection to us closed: %s", srv->peers[peer_in].name, why);
    if (peer_out >= 0) peer_lost(srv, (size_t)peer_out, why);
}

void fl_srv_flush_touched(fl_srv *srv) {
    for (size_t turn = 0; srv->touched && turn < 4 * srv->conns_max; turn++) {
        fl_srv_conn *c = srv->touched;
        touched_remove(srv, c);
        if (c->doomed) {
            fl_srv_close(srv, c, c->doom_why);
            continue;
        }
        if (c->connecting) continue; /* the connect's end flushes it */
        flush_conn(srv, c);
        if (c->doomed) fl_srv_close(srv, c, c->doom_why);
    }
}

static int on_line(void *arg, char *line, size_t len) {
    fl_srv_conn *c = arg;
    fl_srv *srv = c->srv;
    if (c->doomed) return 1;
    srv->ops->line(srv->owner, c, line, len);
    return c->doomed;
}

static void on_conn_event(fl_loop *l, int fd, uint32_t events, void *arg) {
    (void)l;
    (void)fd;
    fl_srv_conn *c = arg;
    fl_srv *srv = c->srv;
    if (c->connecting) {
        peer_connect_done(srv, c);
        return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        char err[160] = "";
        fl_conn_status st = fl_conn_read(&c->io, on_line, c, err, sizeof err);
        const char *why = c->doomed ? c->doom_why
                          : st == FL_CONN_EOF ? "closed by the other end"
                          : st == FL_CONN_ERROR ? err : NULL;
        if (why) {
            fl_srv_close(srv, c, why);
            return;
        }
    }
    if (events & EPOLLOUT) {
        flush_conn(srv, c);
        if (c->doomed) fl_srv_close(srv, c, c->doom_why);
    }
}

/* ---- accepting ---- */

fl_srv_conn *fl_srv_conn_open(fl_srv *srv, int fd, int peer_out, bool connecting) {
    char err[160];
    if ((size_t)fd >= srv->conns_max) {
        fl_log("connection refused: fd %d is past the limit of %zu descriptors", fd,
               srv->conns_max);
        close(fd);
        return NULL;
    }
    assert(srv->ops->conn_bytes >= sizeof(fl_srv_conn));
    fl_srv_conn *c = calloc(1, srv->ops->conn_bytes);
    if (!c) abort();
    fl_conn_init(&c->io, fd, srv->ops->line_bytes_max, srv->ops->out_bytes_max);
    if (srv->ops->conn_opened) srv->ops->conn_opened(srv->owner, c);
    c->srv = srv;
    c->gen = ++srv->gen_next;
    c->peer_out = peer_out;
    c->peer_in = -1;
    c->connecting = connecting;
    c->want_out = connecting; /* a connect's end shows as writable */
    uint32_t events = EPOLLIN | (connecting ? EPOLLOUT : 0);
    if (fl_loop_add(srv->loop, fd, events, on_conn_event, c, err, sizeof err) != 0) {
        fl_log("connection dropped: %s", err);
        conn_free(srv, c);
        return NULL;
    }
    srv->conns[fd] = c;
    return c;
}

static void on_accept(fl_loop *l, int fd, uint32_t events, void *arg);

static void resume_accepting(fl_loop *l, fl_timer *t) {
    fl_srv *srv = t->arg;
    char err[160];
    if (fl_loop_add(l, srv->listen_fd, EPOLLIN, on_accept, srv, err, sizeof err) != 0) {
        fl_log("cannot listen again: %s; retrying", err);
        fl_timer_arm(l, t, fl_mono_ms() + ACCEPT_PAUSE_MS);
    }
}

static void on_accept(fl_loop *l, int fd, uint32_t events, void *arg) {
    (void)events;
    fl_srv *srv = arg;
    for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
        char err[160];
        int cfd = fl_tcp_accept(fd, err, sizeof err);
        if (cfd >= 0) {
            fl_tcp_user_timeout(cfd, srv->ops->user_timeout_ms);
            fl_srv_conn_open(srv, cfd, -1, false);
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            /* level-triggered: stop listening for a while rather than spin */
            fl_log("%s: not accepting for %d ms", err, ACCEPT_PAUSE_MS);
            fl_loop_del(l, fd);
            fl_timer_arm(l, &srv->accept_pause, fl_mono_ms() + ACCEPT_PAUSE_MS);
        }
        return; /* ECONNABORTED and the like: the next event tries again */
    }
}

/* ---- the server's life ---- */

static size_t fds_limit(size_t fds_max) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return fds_max;
    return rl.rlim_cur < 64 ? 64 : rl.rlim_cur > fds_max ? fds_max : (size_t)rl.rlim_cur;
}

void fl_srv_init(fl_srv *srv, const fl_srv_ops *ops, void *owner, const fl_peer_addr *peers,
                 size_t peer_count, size_t self) {
    memset(srv, 0, sizeof *srv);
    assert(peer_count <= FL_SRV_PEERS_MAX);
    srv->ops = ops;
    srv->owner = owner;
    srv->peers = peers;
    srv->peer_count = peer_count;
    srv->self = self;
    srv->listen_fd = -1;
    srv->conns_max = fds_limit(ops->fds_max);
    srv->conns = calloc(srv->conns_max, sizeof *srv->conns);
    if (!srv->conns) abort();
}

int fl_srv_loop_open(fl_srv *srv, size_t timers_max, char *err, size_t err_bytes) {
    static const int stop_signals[] = {SIGTERM, SIGINT};
    srv->loop = fl_loop_new(srv->conns_max, timers_max, err, err_bytes);
    if (!srv->loop || fl_loop_stop_on_signals(srv->loop, stop_signals, 2, err, err_bytes) != 0)
        return -1;
    return 0;
}

int fl_srv_listen(fl_srv *srv, const struct sockaddr_in *a, const char *text, char *err,
                  size_t err_bytes) {
    char why[256];
    srv->listen_fd = fl_tcp_listen(a, 512, why, sizeof why);
    if (srv->listen_fd < 0) {
        snprintf(err, err_bytes, "cannot listen on %s: %s", text, why);
        return -1;
    }
    fl_timer_init(&srv->accept_pause, resume_accepting, srv);
    return fl_loop_add(srv->loop, srv->listen_fd, EPOLLIN, on_accept, srv, err, err_bytes);
}

int fl_srv_run(fl_srv *srv) {
    char err[256];
    int sig = fl_loop_run(srv->loop, err, sizeof err);
    if (sig < 0) {
        fl_log("stopping: %s", err);
        return 1;
    }
    fl_log("stopping on %s", sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "request");
    return 0;
}

void fl_srv_close_all(fl_srv *srv) {
    if (srv->loop) {
        for (size_t fd = 0; fd < srv->conns_max; fd++)
            if (srv->conns[fd]) fl_srv_close(srv, srv->conns[fd], "stopping");
        fl_timer_disarm(srv->loop, &srv->accept_pause);
    }
    if (srv->listen_fd >= 0) close(srv->listen_fd);
    srv->listen_fd = -1;
}

void fl_srv_free(fl_srv *srv) {
    fl_loop_free(srv->loop);
    free(srv->conns);
    srv->loop = NULL;
    srv->conns = NULL;
}

/* ---- the outgoing peer connections ---- */

static void retry_later(fl_srv *srv, fl_srv_peer *p) {
    p->state = FL_PEER_DOWN;
    fl_timer_arm(srv->loop, &p->timer, fl_mono_ms() + p->backoff_ms);
    p->backoff_ms = p->backoff_ms * 2 > BACKOFF_MS_MAX ? BACKOFF_MS_MAX : p->backoff_ms * 2;
}

static void connect_peer(fl_srv *srv, size_t i) {
    fl_srv_peer *p = &srv->peer[i];
    const fl_peer_addr *a = &srv->peers[i];
    char err[160];
    int in_progress = 0;
    int fd = fl_tcp_connect(&a->addr, &in_progress, err, sizeof err);
    if (fd < 0) {
        peer_lost(srv, i, err);
        return;
    }
    fl_tcp_user_timeout(fd, srv->ops->user_timeout_ms);
    /* Even a connect that finished at once goes through connect_done: the socket is
     * writable, so the loop calls it next. */
    fl_srv_conn *c = fl_srv_conn_open(srv, fd, (int)i, true);
    if (!c) {
        retry_later(srv, p);
        return;
    }
    p->conn = c;
    p->state = FL_PEER_CONNECTING;
    assert(srv->ops->hello); /* only a server that dials its peers gets here */
    if (srv->ops->hello(srv->owner, &c->io.out) != 0) fl_srv_doom(srv, c, "cannot queue hello");
    fl_timer_arm(srv->loop, &p->timer, fl_mono_ms() + CONNECT_TIMEOUT_MS);
}

static void on_peer_timer(fl_loop *l, fl_timer *t) {
    (void)l;
    fl_srv_peer *p = t->arg;
    fl_srv *srv = p->srv;
    size_t i = (size_t)(p - srv->peer);
    if (p->state == FL_PEER_DOWN) connect_peer(srv, i);
    else if (p->state == FL_PEER_CONNECTING) fl_srv_close(srv, p->conn, "connect timed out");
}

void fl_srv_peers_start(fl_srv *srv) {
    for (size_t i = 0; i < srv->peer_count; i++) {
        fl_srv_peer *p = &srv->peer[i];
        p->srv = srv;
        p->backoff_ms = BACKOFF_MS_MIN;
        fl_timer_init(&p->timer, on_peer_timer, p);
        if (i != srv->self) connect_peer(srv, i);
    }
}

void fl_srv_peers_stop(fl_srv *srv) {
    for (size_t i = 0; i < srv->peer_count; i++)
        if (srv->peer[i].srv) fl_timer_disarm(srv->loop, &srv->peer[i].timer);
}

static void peer_connect_done(fl_srv *srv, fl_srv_conn *c) {
    int e = fl_tcp_connect_result(c->io.fd);
    if (e != 0) {
        char why[160];
        snprintf(why, sizeof why, "connect %s: %s", srv->peers[c->peer_out].text, strerror(e));
        fl_srv_close(srv, c, why);
        return;
    }
    fl_srv_peer *p = &srv->peer[c->peer_out];
    c->connecting = false;
    p->state = FL_PEER_UP;
    p->backoff_ms = BACKOFF_MS_MIN;
    p->down_logged = false;
    fl_timer_disarm(srv->loop, &p->timer);
    fl_log("peer %s (%s) connected", srv->peers[c->peer_out].name, srv->peers[c->peer_out].text);
    fl_srv_touch(srv, c); /* the hello and anything queued meanwhile */
}

/* The outgoing connection to peer i closed or could not be made. */
static void peer_lost(fl_srv *srv, size_t i, const char *why) {
    fl_srv_peer *p = &srv->peer[i];
    bool was_up = p->state == FL_PEER_UP;
    p->conn = NULL;
    p->state = FL_PEER_DOWN;
    if (srv->stopping) return;
    const fl_peer_addr *a = &srv->peers[i];
    if (was_up) fl_log("peer %s (%s) disconnected: %s; reconnecting", a->name, a->text, why);
    else if (!p->down_logged)
        fl_log("peer %s (%s) unreachable: %s; retrying every %d ms at most", a->name, a->text,
               why, BACKOFF_MS_MAX);
    p->down_logged = true;
    retry_later(srv, p);
    if (srv->ops->peer_lost) srv->ops->peer_lost(srv->owner, i, why);
}

void fl_srv_peer_hello(fl_srv *srv, fl_srv_conn *c, const char *from, int64_t peer_count) {
    int index = -1;
    for (size_t i = 0; i < srv->peer_count; i++)
        if (!strcmp(srv->peers[i].name, from)) index = (int)i;
    if (index < 0 || (srv->ops->refuse_self_hello && (size_t)index == srv->self)) {
        fl_log("a node calling itself '%.64s' connected, but it is %s", from,
               srv->ops->refuse_self_hello ? "not one of our peers" : "not in --peers");
        return;
    }
    if ((size_t)peer_count != srv->peer_count)
        fl_log("peer %s has %" PRId64 " peers and we have %zu: are the --peers lists the same?",
               from, peer_count, srv->peer_count);
    c->peer_in = index;
    fl_log("peer %s connected to us", from);
}
