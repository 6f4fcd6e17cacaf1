/* fl-raftkv's connections and loop turns (see server.h): accept, read and dispatch lines,
 * and the before-sleep hook that carries out the core's ready batches and flushes output.
 * Connections are closed only here, by the loop (never from inside a line's handling,
 * which only dooms them), so no handler ever holds a freed connection. */
#include "server.h"

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
#include "pidfile.h"

#define RKV_ACCEPTS_PER_EVENT 64
#define RKV_ACCEPT_PAUSE_MS 100
#define RKV_PEER_ERRORS_LOGGED 3

/* ---- the touched list: doubly linked, so a closing connection leaves it ---- */

static void touched_remove(rkv_server *s, rkv_conn *c) {
    if (!c->on_touched) return;
    if (c->touched_prev) c->touched_prev->touched_next = c->touched_next;
    else s->touched = c->touched_next;
    if (c->touched_next) c->touched_next->touched_prev = c->touched_prev;
    c->touched_prev = c->touched_next = NULL;
    c->on_touched = false;
}

void rkv_conn_touch(rkv_server *s, rkv_conn *c) {
    if (c->on_touched) return;
    c->touched_prev = NULL;
    c->touched_next = s->touched;
    if (s->touched) s->touched->touched_prev = c;
    s->touched = c;
    c->on_touched = true;
}

/* ---- connections ---- */

rkv_conn_ref rkv_conn_ref_of(const rkv_conn *c) { return (rkv_conn_ref){c->io.fd, c->gen}; }

rkv_conn *rkv_conn_lookup(const rkv_server *s, rkv_conn_ref ref) {
    if (ref.fd < 0 || (size_t)ref.fd >= s->conns_max) return NULL;
    rkv_conn *c = s->conns[ref.fd];
    return c && c->gen == ref.gen ? c : NULL;
}

void rkv_conn_doom(rkv_server *s, rkv_conn *c, const char *why) {
    if (!c->doomed) snprintf(c->doom_why, sizeof c->doom_why, "%s", why);
    c->doomed = true;
    rkv_conn_touch(s, c); /* the flush closes it */
}

static void set_out_interest(rkv_server *s, rkv_conn *c, bool want) {
    if (c->want_out == want) return;
    char err[160];
    if (fl_loop_mod(s->loop, c->io.fd, EPOLLIN | (want ? EPOLLOUT : 0), err, sizeof err) != 0) {
        rkv_conn_doom(s, c, err);
        return;
    }
    c->want_out = want;
}

static void flush_conn(rkv_server *s, rkv_conn *c) {
    char err[160];
    int rc = fl_conn_flush(&c->io, err, sizeof err);
    if (rc < 0) rkv_conn_doom(s, c, err);
    else set_out_interest(s, c, rc == 1);
}

void rkv_conn_close(rkv_server *s, rkv_conn *c, const char *why_in) {
    assert(s->conns[c->io.fd] == c);
    char why[160]; /* why_in may point into c */
    snprintf(why, sizeof why, "%s", why_in);
    touched_remove(s, c);
    fl_loop_del(s->loop, c->io.fd);
    s->conns[c->io.fd] = NULL;
    int peer_out = c->peer_out, peer_in = c->peer_in;
    fl_conn_close(&c->io);
    free(c);
    if (peer_in >= 0 && !s->stopping)
        fl_log("peer %s: its connection to us closed: %s", s->opt->peers[peer_in].name, why);
    if (peer_out >= 0) rkv_peer_lost(s, (size_t)peer_out, why);
}

/* Flushes every touched connection, closing the doomed ones. */
static void flush_touched(rkv_server *s) {
    for (size_t turn = 0; s->touched && turn < 4 * s->conns_max; turn++) {
        rkv_conn *c = s->touched;
        touched_remove(s, c);
        if (c->doomed) {
            rkv_conn_close(s, c, c->doom_why);
            continue;
        }
        if (c->connecting) continue; /* the connect's end flushes it */
        flush_conn(s, c);
        if (c->doomed) rkv_conn_close(s, c, c->doom_why);
    }
}

/* ---- lines ---- */

static void peer_line(rkv_server *s, rkv_conn *c, rkv_line *l) {
    if (l->kind == RKV_LINE_HELLO) {
        rkv_peer_hello(s, c, l);
        return;
    }
    /* Raft messages only from a peer that said who it is, about itself. */
    if (c->peer_in < 0 || l->msg.from != c->peer_in) {
        if (c->peer_errors++ < RKV_PEER_ERRORS_LOGGED)
            fl_log("raft message from node id %d ignored: the connection said hello as %s",
                   l->msg.from, c->peer_in < 0 ? "nobody" : s->opt->peers[c->peer_in].name);
        return;
    }
    if (raft_receive(s->raft, &l->msg) != RAFT_OK && c->peer_errors++ < RKV_PEER_ERRORS_LOGGED)
        fl_log("raft message from %s refused by the core (not for this node?)",
               s->opt->peers[c->peer_in].name);
}

static int on_line(void *arg, char *line, size_t len) {
    rkv_conn *c = arg;
    rkv_server *s = c->server;
    if (c->doomed) return 1;
    rkv_line l;
    char err[RKV_ERR_BYTES] = "";
    rkv_parse_status st = rkv_parse_line(line, len, (int)s->opt->peer_count, &l, err, sizeof err);
    if (st == RKV_PARSE_OK && l.kind == RKV_LINE_REQUEST) {
        rkv_client_request(s, c, &l);
    } else if (st == RKV_PARSE_OK) {
        peer_line(s, c, &l);
    } else if (l.kind != RKV_LINE_REQUEST) { /* a peer's bug: there is no one to answer */
        if (c->peer_errors++ < RKV_PEER_ERRORS_LOGGED)
            fl_log("malformed peer message ignored: %s: %.200s", err, line);
    } else {
        rkv_reply_error(s, rkv_conn_ref_of(c), l.id, "fail",
                        st == RKV_PARSE_UNKNOWN_F ? "unknown-f" : "malformed", err);
    }
    rkv_line_release(&l);
    return c->doomed;
}

static void on_conn_event(fl_loop *l, int fd, uint32_t events, void *arg) {
    (void)l;
    (void)fd;
    rkv_conn *c = arg;
    rkv_server *s = c->server;
    if (c->connecting) {
        rkv_peer_connect_done(s, c);
        return;
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        char err[160] = "";
        fl_conn_status st = fl_conn_read(&c->io, on_line, c, err, sizeof err);
        const char *why = c->doomed ? c->doom_why
                          : st == FL_CONN_EOF ? "closed by the other end"
                          : st == FL_CONN_ERROR ? err : NULL;
        if (why) {
            rkv_conn_close(s, c, why);
            return;
        }
    }
    if (events & EPOLLOUT) {
        flush_conn(s, c);
        if (c->doomed) rkv_conn_close(s, c, c->doom_why);
    }
}

/* ---- accepting ---- */

rkv_conn *rkv_conn_open(rkv_server *s, int fd, int peer_out, bool connecting) {
    char err[160];
    if ((size_t)fd >= s->conns_max) {
        fl_log("connection refused: fd %d is past the limit of %zu descriptors", fd, s->conns_max);
        close(fd);
        return NULL;
    }
    rkv_conn *c = calloc(1, sizeof *c);
    if (!c) abort();
    fl_conn_init(&c->io, fd, RKV_LINE_BYTES_MAX, RKV_OUT_BYTES_MAX);
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
        free(c);
        return NULL;
    }
    s->conns[fd] = c;
    return c;
}

static void on_accept(fl_loop *l, int fd, uint32_t events, void *arg);

static void resume_accepting(fl_loop *l, fl_timer *t) {
    rkv_server *s = t->arg;
    char err[160];
    if (fl_loop_add(l, s->listen_fd, EPOLLIN, on_accept, s, err, sizeof err) != 0) {
        fl_log("cannot listen again: %s; retrying", err);
        fl_timer_arm(l, t, fl_mono_ms() + RKV_ACCEPT_PAUSE_MS);
    }
}

static void on_accept(fl_loop *l, int fd, uint32_t events, void *arg) {
    (void)events;
    rkv_server *s = arg;
    for (int i = 0; i < RKV_ACCEPTS_PER_EVENT; i++) {
        char err[160];
        int cfd = fl_tcp_accept(fd, err, sizeof err);
        if (cfd >= 0) {
            fl_tcp_user_timeout(cfd, RKV_USER_TIMEOUT_MS);
            rkv_conn_open(s, cfd, -1, false);
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) return;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            /* level-triggered: stop listening for a while rather than spin */
            fl_log("%s: not accepting for %d ms", err, RKV_ACCEPT_PAUSE_MS);
            fl_loop_del(l, fd);
            fl_timer_arm(l, &s->accept_pause, fl_mono_ms() + RKV_ACCEPT_PAUSE_MS);
        }
        return; /* ECONNABORTED and the like: the next event tries again */
    }
}

/* ---- the loop's turn ---- */

/* Before each sleep: carry out what the core has ready (writes, one sync, messages,
 * applies, replies), then send everything queued. */
static bool before_sleep(fl_loop *l, void *arg) {
    (void)l;
    rkv_server *s = arg;
    bool more = rkv_node_pump(s);
    flush_touched(s);
    return more;
}

static size_t fds_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return RKV_FDS_MAX;
    return rl.rlim_cur < 64 ? 64 : rl.rlim_cur > RKV_FDS_MAX ? RKV_FDS_MAX : (size_t)rl.rlim_cur;
}

static int open_listener(rkv_server *s, char *err, size_t err_bytes) {
    char why[256];
    s->listen_fd = fl_tcp_listen(&s->opt->listen, 512, why, sizeof why);
    if (s->listen_fd < 0) {
        snprintf(err, err_bytes, "cannot listen on %s: %s", s->opt->listen_text, why);
        return -1;
    }
    fl_timer_init(&s->accept_pause, resume_accepting, s);
    return fl_loop_add(s->loop, s->listen_fd, EPOLLIN, on_accept, s, err, err_bytes);
}

int rkv_server_open(rkv_server *s, const rkv_options *o, char *err, size_t err_bytes) {
    memset(s, 0, sizeof *s);
    s->opt = o;
    s->listen_fd = -1;
    s->conns_max = fds_limit();
    s->conns = calloc(s->conns_max, sizeof *s->conns);
    if (!s->conns) abort();
    rkv_fsm_init(&s->fsm);
    rkv_client_init(s);
    static const int stop_signals[] = {SIGTERM, SIGINT};
    s->loop = fl_loop_new(s->conns_max, RKV_PEERS_MAX + 8, err, err_bytes);
    if (!s->loop || fl_loop_stop_on_signals(s->loop, stop_signals, 2, err, err_bytes) != 0)
        return -1;
    if (rkv_node_open(s, err, err_bytes) != 0) return -1;
    if (open_listener(s, err, err_bytes) != 0) return -1;
    if (o->pidfile && fl_pidfile_write(o->pidfile, err, err_bytes) != 0) return -1;
    char bugs[96];
    fl_log("listening on %s as %s (raft id %zu of %zu nodes), tick %d ms, election %u ticks, "
           "heartbeat %u ticks, snapshot every %" PRIu64 " entries, bugs: %s",
           o->listen_text, o->id, o->self, o->peer_count, o->tick_ms, o->election_ticks,
           o->heartbeat_ticks, o->snapshot_entries, rkv_options_bugs(o, bugs, sizeof bugs));
    rkv_peers_start(s);
    rkv_node_start_ticks(s);
    fl_loop_set_hook(s->loop, before_sleep, s);
    return 0;
}

int rkv_server_run(rkv_server *s) {
    char err[256];
    int sig = fl_loop_run(s->loop, err, sizeof err);
    if (sig < 0) {
        fl_log("stopping: %s", err);
        return 1;
    }
    fl_log("stopping on %s", sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "request");
    return 0;
}

void rkv_server_close(rkv_server *s) {
    s->stopping = true;
    if (s->loop) {
        rkv_peers_stop(s);
        for (size_t fd = 0; fd < s->conns_max; fd++)
            if (s->conns[fd]) rkv_conn_close(s, s->conns[fd], "stopping");
        fl_timer_disarm(s->loop, &s->accept_pause);
    }
    if (s->listen_fd >= 0) close(s->listen_fd);
    rkv_node_close(s);
    rkv_client_free(s);
    rkv_fsm_free(&s->fsm);
    fl_loop_free(s->loop);
    free(s->conns);
    s->loop = NULL;
}
