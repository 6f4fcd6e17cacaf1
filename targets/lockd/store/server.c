/* fl-fencestore's loop turns (see server.h): the lines, their answers into the held
 * buffers, and the before-sleep commit that releases them. */
#include "server.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"
#include "pidfile.h"
#include "request.h"
#include "wire.h"

static void die_undurable(const char *err) {
    fl_log("cannot make decisions durable: %s; exiting without acknowledging them", err);
    _exit(1); /* like a crash: nothing of the batch was acknowledged */
}

/* ---- held replies ---- */

static void on_conn_opened(void *owner, fl_srv_conn *base) {
    (void)owner;
    fl_buf_init(&((fs_conn *)base)->held, FS_OUT_BYTES_MAX);
}

static void on_conn_freeing(void *owner, fl_srv_conn *base) {
    (void)owner;
    fl_buf_free(&((fs_conn *)base)->held);
}

/* After the commit: c's held replies to its output. */
static void release_held(void *arg, fl_srv_conn *base) {
    fs_server *s = arg;
    fs_conn *c = (fs_conn *)base;
    if (fl_buf_append(&c->base.io.out, fl_buf_bytes(&c->held), fl_buf_len(&c->held)) != 0)
        fl_srv_doom(&s->srv, &c->base, "send queue full: the client stopped reading");
    else fl_srv_touch(&s->srv, &c->base);
    fl_buf_clear(&c->held);
}

/* The group commit, then the replies that waited for it. */
static void commit(fs_server *s) {
    fl_commit_turn_commit(&s->commits, &s->journal, &s->srv, release_held, s);
}

static bool before_sleep(fl_loop *l, void *arg) {
    (void)l;
    fs_server *s = arg;
    commit(s);
    fl_srv_flush_touched(&s->srv);
    return false;
}

/* Where c's reply goes this turn: its held buffer, c listed for the release. */
static fl_buf *hold(fs_server *s, fs_conn *c) {
    fl_commit_turn_list(&s->commits, &c->base, &c->held_turn, &s->journal, &s->srv,
                        release_held, s);
    return &c->held;
}

/* ---- answers ---- */

static int answer_access(fs_server *s, const fs_request *m, fl_buf *out) {
    fs_access a = {m->f == FS_F_WRITE ? FS_WRITE : FS_READ, m->ckey, m->token,
                   m->f == FS_F_WRITE ? m->value : NULL};
    fs_decision d;
    if (fs_decide(&s->table, s->opt->mode, &a, &d) != 0)
        return fl_reply_error(out, m->id, "fail", "full", "too many resources", NULL);
    if (fs_journal_append(&s->journal, d.r) != 0) { /* the batch is full: commit it now */
        char err[512];
        if (fl_applog_commit(&s->journal, err, sizeof err) != 0) die_undurable(err);
        /* the replies of the batch stay held: the turn's commit releases them */
        if (fs_journal_append(&s->journal, d.r) != 0) die_undurable("a record too large");
    }
    return fs_reply_decision(out, m->id, &d);
}

/* An unfenced read: the state as it is, no seq taken. */
static json_t *peek_json(const fs_server *s, const char *ckey) {
    const fs_resource *r = fs_table_get(&s->table, ckey);
    return json_pack("{s:O, s:o, s:I}", "value", r && r->value ? r->value : json_null(),
                     "fence", fs_fence_json(r ? r->fence : FS_FENCE_NONE), "seq",
                     (json_int_t)(r ? r->seq : 0));
}

static json_t *status_json(const fs_server *s) {
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "node", s->opt->id,
                     "mode", fs_mode_name(s->opt->mode), "resources", (json_int_t)s->table.count,
                     "accepted", (json_int_t)s->table.accepted, "rejected",
                     (json_int_t)s->table.rejected, "reads", (json_int_t)s->counts.reads,
                     "writes", (json_int_t)s->counts.writes, "peeks", (json_int_t)s->counts.peeks,
                     "malformed", (json_int_t)s->counts.malformed);
}

static int answer(fs_server *s, const fs_request *m, fl_buf *out) {
    json_t *v = NULL;
    int rc;
    switch (m->f) {
    case FS_F_PING: return fl_reply_ok(out, m->id, NULL, s->opt->id);
    case FS_F_READ: s->counts.reads++; return answer_access(s, m, out);
    case FS_F_WRITE: s->counts.writes++; return answer_access(s, m, out);
    case FS_F_PEEK:
        s->counts.peeks++;
        v = peek_json(s, m->ckey);
        break;
    case FS_F_STATUS: v = status_json(s); break;
    }
    rc = v ? fl_reply_ok(out, m->id, v, m->f == FS_F_STATUS ? s->opt->id : NULL) : -1;
    json_decref(v);
    return rc;
}

/* A request line: answered into the connection's held buffer. */
static void on_line(void *owner, fl_srv_conn *base, char *line, size_t len) {
    fs_server *s = owner;
    fs_request m;
    fl_buf *out = hold(s, (fs_conn *)base);
    bool ok = fs_request_parse(line, len, &m) == FS_PARSE_OK;
    if (!ok) s->counts.malformed++;
    if ((ok ? answer(s, &m, out) : fs_reply_refusal(out, &m)) != 0)
        fl_srv_doom(&s->srv, base, "send queue full: the client stopped reading");
    fs_request_release(&m);
}

/* No peer is dialled and none says hello (a line that does is a malformed request). */
static const fl_srv_ops srv_ops = {
    .line = on_line, .hello = NULL,
    .conn_opened = on_conn_opened, .conn_freeing = on_conn_freeing,
    .conn_bytes = sizeof(fs_conn), .line_bytes_max = FS_LINE_BYTES_MAX,
    .out_bytes_max = FS_OUT_BYTES_MAX, .fds_max = FS_FDS_MAX,
    .user_timeout_ms = FS_USER_TIMEOUT_MS,
};

int fs_server_open(fs_server *s, const fs_options *o, char *err, size_t err_bytes) {
    *s = (fs_server){.opt = o};
    fs_table_init(&s->table);
    fl_srv_init(&s->srv, &srv_ops, s, o->peers, o->peer_count, o->self);
    fl_commit_turn_init(&s->commits, s->srv.conns_max);
    if (fl_srv_loop_open(&s->srv, 8, err, err_bytes) != 0) return -1;
    s->journal_open = true; /* fs_journal_open sets every field before anything can fail */
    if (fs_journal_open(&s->journal, o->data_dir, &s->table, err, err_bytes) != 0) return -1;
    if (fl_srv_listen(&s->srv, &o->listen, o->listen_text, err, err_bytes) != 0) return -1;
    if (o->pidfile && fl_pidfile_write(o->pidfile, err, err_bytes) != 0) return -1;
    fl_log("listening on %s as %s (%zu peers, not contacted), bugs: %s", o->listen_text, o->id,
           o->peer_count, o->mode == FS_CORRECT ? "none" : fs_mode_name(o->mode));
    fl_loop_set_hook(s->srv.loop, before_sleep, s);
    return 0;
}

int fs_server_run(fs_server *s) { return fl_srv_run(&s->srv); }

void fs_server_close(fs_server *s) {
    s->srv.stopping = true;
    fl_srv_close_all(&s->srv);
    if (s->journal_open) fl_applog_close(&s->journal);
    fs_table_free(&s->table);
    fl_commit_turn_free(&s->commits);
    fl_srv_free(&s->srv);
}
