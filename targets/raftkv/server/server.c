/* The Raft host's loop turns (see server.h): the dispatch of the lines fl_srv (the connections,
 * ../../common/srv.h) reads, and the before-sleep hook that carries out the core's ready
 * batches and then flushes output. Connections are closed only by fl_srv, in the loop
 * (never from inside a line's handling, which only dooms them), so no handler ever holds
 * a freed connection. */
#include "server.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "pidfile.h"

#define RKV_PEER_ERRORS_LOGGED 3

/* ---- lines ---- */

static void peer_line(rkv_server *s, rkv_conn *c, rkv_line *l) {
    if (l->kind == RKV_LINE_HELLO) {
        fl_srv_peer_hello(&s->srv, c, l->from, l->peer_count);
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

static void on_line(void *owner, rkv_conn *c, char *line, size_t len) {
    rkv_server *s = owner;
    rkv_line l;
    char err[RKV_ERR_BYTES] = "";
    rkv_parse_status st = rkv_parse_line_ops(line, len, (int)s->opt->peer_count, s->app->ops, &l,
                                             err, sizeof err);
    if (st == RKV_PARSE_OK && l.kind == RKV_LINE_REQUEST) {
        rkv_client_request(s, c, &l);
    } else if (st == RKV_PARSE_OK) {
        peer_line(s, c, &l);
    } else if (l.kind != RKV_LINE_REQUEST) { /* a peer's bug: there is no one to answer */
        if (c->peer_errors++ < RKV_PEER_ERRORS_LOGGED)
            fl_log("malformed peer message ignored: %s: %.200s", err, line);
    } else {
        rkv_reply_error(s, fl_srv_ref_of(c), l.id, "fail",
                        st == RKV_PARSE_UNKNOWN_F ? "unknown-f" : "malformed", err);
    }
    rkv_line_release(&l);
}

static int on_hello(void *owner, fl_buf *out) {
    rkv_server *s = owner;
    return rkv_encode_hello(out, s->opt->id, s->opt->peer_count);
}

/* ---- the loop's turn ---- */

/* Before each sleep: carry out what the core has ready (writes, one sync, messages,
 * applies, replies), then send everything queued. */
static bool before_sleep(fl_loop *l, void *arg) {
    (void)l;
    rkv_server *s = arg;
    bool more = rkv_node_pump(s);
    fl_srv_flush_touched(&s->srv);
    return more;
}

static const fl_srv_ops srv_ops = {
    .conn_bytes = sizeof(rkv_conn),
    .line_bytes_max = RKV_LINE_BYTES_MAX,
    .out_bytes_max = RKV_OUT_BYTES_MAX,
    .fds_max = RKV_FDS_MAX,
    .user_timeout_ms = RKV_USER_TIMEOUT_MS,
    .refuse_self_hello = true,
    .line = on_line,
    .hello = on_hello,
};

int rkv_server_open(rkv_server *s, const rkv_app *app, const rkv_options *o, char *err,
                    size_t err_bytes) {
    memset(s, 0, sizeof *s);
    s->opt = o;
    s->app = app;
    fl_srv_init(&s->srv, &srv_ops, s, o->peers, o->peer_count, o->self);
    s->sm = app->create(o);
    rkv_client_init(s);
    if (fl_srv_loop_open(&s->srv, RKV_PEERS_MAX + 8, err, err_bytes) != 0) return -1;
    if (rkv_node_open(s, err, err_bytes) != 0) return -1;
    if (fl_srv_listen(&s->srv, &o->listen, o->listen_text, err, err_bytes) != 0) return -1;
    if (o->pidfile && fl_pidfile_write(o->pidfile, err, err_bytes) != 0) return -1;
    char bugs[96];
    fl_log("listening on %s as %s (raft id %zu of %zu nodes), tick %d ms, election %u ticks, "
           "heartbeat %u ticks, snapshot every %" PRIu64 " entries, bugs: %s",
           o->listen_text, o->id, o->self, o->peer_count, o->tick_ms, o->election_ticks,
           o->heartbeat_ticks, o->snapshot_entries, rkv_options_bugs(o, bugs, sizeof bugs));
    fl_srv_peers_start(&s->srv);
    rkv_node_start_ticks(s);
    fl_loop_set_hook(s->srv.loop, before_sleep, s);
    return 0;
}

int rkv_server_run(rkv_server *s) { return fl_srv_run(&s->srv); }

void rkv_server_close(rkv_server *s) {
    s->srv.stopping = true;
    if (s->srv.loop) fl_srv_peers_stop(&s->srv);
    fl_srv_close_all(&s->srv);
    rkv_node_close(s);
    rkv_client_free(s);
    if (s->app) s->app->destroy(s->sm);
    s->sm = NULL;
    fl_srv_free(&s->srv);
}
