/* fl-quorumkv's connections and loop turns (see server.h): accept, read and dispatch lines,
 * replies to clients, and the before-sleep hook that flushes output and runs the group
 * commit. Connections are closed only here, by the loop (never from inside a line's
 * handling, which only dooms them), so no handler ever holds a freed connection. */
#include "server.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "net.h"
#include "pidfile.h"

#define QKV_ACCEPTS_PER_EVENT 64
#define QKV_ACCEPT_PAUSE_MS 100
#define QKV_COMMIT_ROUNDS_MAX 8 /* a write's commit can start its put, whose commit ends it */
#define QKV_PEER_ERRORS_LOGGED 3

/* ---- the touched and held lists: doubly linked, so a closing connection leaves them ---- */

#define LIST_ADD(head, c, prev, next, on) \
    do {                                  \
        if ((c)->on) break;               \
        (c)->prev = NULL;                 \
        (c)->next = (head);               \
        if (head) (head)->prev = (c);     \
        (head) = (c);                     \
        (c)->on = true;                   \
    } while (0)
#define LIST_REMOVE(head, c, prev, next, on)      \
    do {                                          \
        if (!(c)->on) break;                      \
        if ((c)->prev) (c)->prev->next = (c)->next; \
        else (head) = (c)->next;                  \
        if ((c)->next) (c)->next->prev = (c)->prev; \
        (c)->prev = (c)->next = NULL;             \
        (c)->on = false;                          \
    } while (0)

void qkv_conn_touch(qkv_server *s, qkv_conn *c) {
    LIST_ADD(s->touched, c, touched_prev, touched_next, on_touched);
}

void qkv_list_held_add(qkv_server *s, qkv_conn *c) {
    LIST_ADD(s->held, c, held_prev, held_next, on_held);
}

qkv_conn *qkv_list_held_pop(qkv_server *s) {
    qkv_conn *c = s->held;
    if (c) LIST_REMOVE(s->held, c, held_prev, held_next, on_held);
    return c;
}

/* ---- connections ---- */

qkv_conn_ref qkv_conn_ref_of(const qkv_conn *c) { return (qkv_conn_ref){c->io.fd, c->gen}; }

qkv_conn *qkv_conn_lookup(const qkv_server *s, qkv_conn_ref ref) {
    if (ref.fd < 0 || (size_t)ref.fd >= s->conns_max) return NULL;
    qkv_conn *c = s->conns[ref.fd];
    return c && c->gen == ref.gen ? c : NULL;
}

void qkv_conn_doom(qkv_server *s, qkv_conn *c, const char *why) {
    if (!c->doomed) snprintf(c->doom_why, sizeof c->doom_why, "%s", why);
    c->doomed = true;
    qkv_conn_touch(s, c); /* the flush closes it */
}

int qkv_conn_send(qkv_server *s, qkv_conn *c, const void *bytes, size_t n) {
    if (c->doomed) return -1;
    if (fl_conn_send(&c->io, bytes, n) != 0) {
        qkv_conn_doom(s, c, "send queue full: the other side stopped reading");
        return -1;
    }
    qkv_conn_touch(s, c);
    return 0;
}

static void set_out_interest(qkv_server *s, qkv_conn *c, bool want) {
    if (c->want_out == want) return;
    char err[160];
    if (fl_loop_mod(s->loop, c->io.fd, EPOLLIN | (want ? EPOLLOUT : 0), err, sizeof err) != 0) {
        qkv_conn_doom(s, c, err);
        return;
    }
    c->want_out = want;
}

static void flush_conn(qkv_server *s, qkv_conn *c) {
    char err[160];
    int rc = fl_conn_flush(&c->io, err, sizeof err);
    if (rc < 0) qkv_conn_doom(s, c, err);
    else set_out_interest(s, c, rc == 1);
}

void qkv_conn_close(qkv_server *s, qkv_conn *c, const char *why_in) {
    assert(s->conns[c->io.fd] == c);
    char why[160]; /* why_in may point into c */
    snprintf(why, sizeof why, "%s", why_in);
    LIST_REMOVE(s->touched, c, touched_prev, touched_next, on_touched);
    LIST_REMOVE(s->held, c, held_prev, held_next, on_held);
    fl_loop_del(s->loop, c->io.fd);
    s->conns[c->io.fd] = NULL;
    int peer_out = c->peer_out, peer_in = c->peer_in;
    fl_conn_close(&c->io);
    fl_buf_free(&c->held);
    free(c);
    if (peer_in >= 0 && !s->stopping)
        fl_log("peer %s: its connection to us closed: %s", s->opt->peers[peer_in].name, why);
    if (peer_out >= 0) qkv_peer_lost(s, (size_t)peer_out, why);
}

/* Flushes every touched connection, closing the doomed ones. Closing one may fail
 * operations, whose replies touch more connections: they are flushed in the same pass. */
static void flush_touched(qkv_server *s) {
    for (size_t turn = 0; s->touched && turn < 4 * s->conns_max; turn++) {
        qkv_conn *c = s->touched;
        LIST_REMOVE(s->touched, c, touched_prev, touched_next, on_touched);
        if (c->doomed) {
            qkv_conn_close(s, c, c->doom_why);
            continue;
        }
        if (c->connecting) continue; /* the connect's end flushes it */
        flush_conn(s, c);
        if (c->doomed) qkv_conn_close(s, c, c->doom_why);
    }
}

/* ---- replies to clients ---- */

void qkv_reply_ok(qkv_server *s, qkv_conn_ref to, const json_t *id, const json_t *value) {
    qkv_conn *c = qkv_conn_lookup(s, to);
    if (!c || c->doomed) return; /* the client left: nobody to tell */
    if (qkv_encode_ok(&c->io.out, id, value, NULL) != 0)
        qkv_conn_doom(s, c, "send queue full: the client stopped reading");
    else qkv_conn_touch(s, c);
}

void qkv_reply_error(qkv_server *s, qkv_conn_ref to, const json_t *id, const char *type,
                     const char *error, const char *detail) {
    qkv_conn *c = qkv_conn_lookup(s, to);
    if (!c || c->doomed) return;
    if (qkv_encode_error(&c->io.out, id, type, error, detail) != 0)
        qkv_conn_doom(s, c, "send queue full: the client stopped reading");
    else qkv_conn_touch(s, c);
}

/* ---- lines ---- */

static void handle(qkv_server *s, qkv_conn *c, const qkv_msg *m) {
    switch (m->kind) {
    case QKV_PING:
        if (qkv_encode_ok(&c->io.out, m->id, NULL, s->opt->id) != 0)
            qkv_conn_doom(s, c, "send queue full: the client stopped reading");
        else qkv_conn_touch(s, c);
        break;
    case QKV_READ:
    case QKV_WRITE: qkv_coord_request(s, c, m); break;
    case QKV_HELLO: qkv_peer_hello(s, c, m); break;
    case QKV_GET: qkv_replica_get(s, qkv_conn_ref_of(c), m->rid, m->ckey); break;
    case QKV_PUT:
        qkv_replica_put(s, qkv_conn_ref_of(c), m->rid, m->ckey, m->ver, m->value);
        break;
    case QKV_GOT:
    case QKV_ACK: /* answers come back only on our own outgoing connections */
        if (c->peer_out >= 0)
            qkv_coord_reply(s, (size_t)c->peer_out, m->rid, m->kind, m->ver, m->value);
        break;
    case QKV_RECORD: assert(!"a record is never parsed from a connection"); break;
    }
}

static int on_line(void *arg, char *line, size_t len) {
    qkv_conn *c = arg;
    qkv_server *s = c->server;
    if (c->doomed) return 1;
    qkv_msg m;
    char err[QKV_ERR_BYTES] = "";
    qkv_parse_status st = qkv_parse(line, len, &m, err, sizeof err);
    if (st == QKV_PARSE_OK) {
        handle(s, c, &m);
    } else if (m.from_peer) { /* a peer's bug: there is no one to answer */
        if (c->peer_errors++ < QKV_PEER_ERRORS_LOGGED)
            fl_log("malformed peer message ignored: %s: %.200s", err, line);
    } else {
        qkv_reply_error(s, qkv_conn_ref_of(c), m.id, "fail",
                        st == QKV_PARSE_UNKNOWN_F ? "unknown-f" : "malformed", err);
    }
    qkv_msg_release(&m);
    return c->doomed;
}

static void on_conn_event(fl_loop *l, int fd, uint32_t events, void *arg) {
    (void)l;
    (void)fd;
    qkv_conn *c = arg;
    qkv_server *s = c->server;
    if (c->connecting) {
        qkv_peer_connect_done(s, c);
        return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        char err[160] = "";
        fl_conn_status st = fl_conn_read(&c->io, on_line, c, err, sizeof err);
        const char *why = c->doomed ? c->doom_why
                          : st == FL_CONN_EOF ? "closed by the other end"
                          : st == FL_CONN_ERROR ? err : NULL;
        if (why) {
            qkv_conn_close(s, c, why);
            return;
        }
    }
    if (events & EPOLLOUT) {
        flush_conn(s, c);
        if (c->doomed) qkv_conn_close(s, c, c->doom_why);
    }
}

/* ---- accepting ---- */

qkv_conn *qkv_conn_open(qkv_server *s, int fd, int peer_out, bool connecting) {
    char err[160];
    if ((size_t)fd >= s->conns_max) {
        fl_log("connection refused: fd %d is past the limit of %zu descriptors", fd, s->conns_max);
        close(fd);
        return NULL;
    }
    qkv_conn *c = calloc(1, sizeof *c);
    if (!c) abort();
    fl_conn_init(&c->io, fd, QKV_LINE_BYTES_MAX, QKV_OUT_BYTES_MAX);
    fl_buf_init(&c->held, QKV_OUT_BYTES_MAX);
    c->server = s;
    c->gen = ++s->gen_next;
    c->peer_out = peer_out;
    c->peer_in = -1;
    c->connecting = connecting;
    c->want_out = connecting; /* a connect's end shows as writable */
    uint32_t events = EPOLLIN | (connecting ? EPOLLOUT : 0);
    if (fl_loop_add(s->loop, fd, events, on_conn_event, c, err, sizeof err) != 0) {
        fl_log("connection dropped: %s", err);
        fl_conn_close(&c->io);
        fl_buf_free(&c->held);
        free(c);
        return NULL;
    }
    s->conns[fd] = c;
    return c;
}

static void on_accept(fl_loop *l, int fd, uint32_t events, void *arg);

static void resume_accepting(fl_loop *l, fl_timer *t) {
    qkv_server *s = t->arg;
    char err[160];
    if (fl_loop_add(l, s->listen_fd, EPOLLIN, on_accept, s, err, sizeof err) != 0) {
        fl_log("cannot listen again: %s; retrying", err);
        fl_timer_arm(l, t, fl_mono_ms() + QKV_ACCEPT_PAUSE_MS);
    }
}

static void on_accept(fl_loop *l, int fd, uint32_t events, void *arg) {
    (void)events;
    qkv_server *s = arg;
    for (int i = 0; i < QKV_ACCEPTS_PER_EVENT; i++) {
        char err[160];
        int cfd = fl_tcp_accept(fd, err, sizeof err);
        if (cfd >= 0) {
            fl_tcp_user_timeout(cfd, QKV_USER_TIMEOUT_MS);
            qkv_conn_open(s, cfd, -1, false);
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            /* level-triggered: stop listening for a while rather than spin */
            fl_log("%s: not accepting for %d ms", err, QKV_ACCEPT_PAUSE_MS);
            fl_loop_del(l, fd);
            fl_timer_arm(l, &s->accept_pause, fl_mono_ms() + QKV_ACCEPT_PAUSE_MS);
        }
        return; /* ECONNABORTED and the like: the next event tries again */
    }
}

/* ---- the loop's turn ---- */

/* Before each sleep: send what is queued, then commit the iteration's puts and release
 * what waited for them, as long as commits start more work (bounded). */
static bool before_sleep(fl_loop *l, void *arg) {
    (void)l;
    qkv_server *s = arg;
    flush_touched(s);
    for (int round = 0; round < QKV_COMMIT_ROUNDS_MAX && qkv_replica_busy(s); round++) {
        qkv_replica_commit(s);
        flush_touched(s);
    }
    return qkv_replica_busy(s);
}

static size_t fds_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return QKV_FDS_MAX;
    return rl.rlim_cur < 64 ? 64 : rl.rlim_cur > QKV_FDS_MAX ? QKV_FDS_MAX : (size_t)rl.rlim_cur;
}

static int open_listener(qkv_server *s, char *err, size_t err_bytes) {
    char why[256];
    s->listen_fd = fl_tcp_listen(&s->opt->listen, 512, why, sizeof why);
    if (s->listen_fd < 0) {
        snprintf(err, err_bytes, "cannot listen on %s: %s", s->opt->listen_text, why);
        return -1;
    }
    fl_timer_init(&s->accept_pause, resume_accepting, s);
    return fl_loop_add(s->loop, s->listen_fd, EPOLLIN, on_accept, s, err, err_bytes);
}

int qkv_server_open(qkv_server *s, const qkv_options *o, char *err, size_t err_bytes) {
    memset(s, 0, sizeof *s);
    s->opt = o;
    s->listen_fd = -1;
    s->conns_max = fds_limit();
    s->conns = calloc(s->conns_max, sizeof *s->conns);
    if (!s->conns) abort();
    fl_buf_init(&s->scratch, QKV_LINE_BYTES_MAX * 2);
    s->rng = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull ^ (uint64_t)getpid() ^ 1;
    qkv_store_init(&s->store);
    qkv_replica_init(s);
    qkv_coord_init(s);
    static const int stop_signals[] = {SIGTERM, SIGINT};
    s->loop = fl_loop_new(s->conns_max, QKV_OPS_MAX + QKV_PEERS_MAX + 8, err, err_bytes);
    if (!s->loop || fl_loop_stop_on_signals(s->loop, stop_signals, 2, err, err_bytes) != 0)
        return -1;
    s->wal_open = true; /* qkv_wal_open sets every field before anything can fail */
    if (qkv_wal_open(&s->wal, o->data_dir, &s->store, err, err_bytes) != 0) return -1;
    if (open_listener(s, err, err_bytes) != 0) return -1;
    if (o->pidfile && fl_pidfile_write(o->pidfile, err, err_bytes) != 0) return -1;
    char bugs[96];
    fl_log("listening on %s as %s (node index %zu of %zu peers), w=%u r=%u, timeout %d ms, "
           "bugs: %s",
           o->listen_text, o->id, o->self, o->peer_count, o->w, o->r, o->timeout_ms,
           qkv_options_bugs(o, bugs, sizeof bugs));
    qkv_peers_start(s);
    fl_loop_set_hook(s->loop, before_sleep, s);
    return 0;
}

int qkv_server_run(qkv_server *s) {
    char err[256];
    int sig = fl_loop_run(s->loop, err, sizeof err);
    if (sig < 0) {
        fl_log("stopping: %s", err);
        return 1;
    }
    fl_log("stopping on %s", sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "request");
    return 0;
}

void qkv_server_close(qkv_server *s) {
    s->stopping = true;
    qkv_peers_stop(s);  /* timers are armed only once the loop exists */
    qkv_coord_free(s);
    for (size_t fd = 0; fd < s->conns_max; fd++)
        if (s->conns[fd]) qkv_conn_close(s, s->conns[fd], "stopping");
    fl_timer_disarm(s->loop, &s->accept_pause);
    if (s->listen_fd >= 0) close(s->listen_fd);
    if (s->wal_open) qkv_wal_close(&s->wal);
    qkv_replica_free(s);
    qkv_store_free(&s->store);
    fl_buf_free(&s->scratch);
    fl_loop_free(s->loop);
    free(s->conns);
    s->loop = NULL;
}
